package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap"
)

// onSIGHUP reloads on every SIGHUP until ctx ends, on a goroutine wg
// waits for.
func (r *reloader) onSIGHUP(ctx context.Context, wg *sync.WaitGroup) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	wg.Go(func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				_, _ = r.reload(ctx) // logged
			}
		}
	})
}

// watchDebounce is how long the file must stay unchanged after a change
// before it is reloaded: an editor's save is several events (truncate,
// write, rename), and a half-written file must not be read.
const watchDebounce = 250 * time.Millisecond

// watch reloads when the configuration file changes, until ctx ends, on a
// goroutine wg waits for. It watches the file's directory, so that a file
// replaced by a rename (as editors and config managers write it) is
// followed.
func (r *reloader) watch(ctx context.Context, wg *sync.WaitGroup, debounce time.Duration) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	path, err := filepath.Abs(r.path)
	if err != nil {
		_ = w.Close()
		return err
	}
	if err := w.Add(filepath.Dir(path)); err != nil {
		_ = w.Close()
		return err
	}
	wg.Go(func() {
		defer w.Close()
		timer := time.NewTimer(debounce)
		timer.Stop()
		defer timer.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if filepath.Clean(ev.Name) == path && !ev.Has(fsnotify.Chmod) {
					timer.Reset(debounce)
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				r.log.Warn("watching the configuration file", zap.Error(err))
			case <-timer.C:
				_, _ = r.reload(ctx) // logged
			}
		}
	})
	return nil
}
