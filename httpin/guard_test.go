package httpin

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// pipeListener is a net.Listener whose connections are net.Pipe ends, so
// that an http.Server can run inside a synctest bubble, on its fake clock.
type pipeListener struct {
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial returns the client end of a new connection to the server.
func (l *pipeListener) dial() net.Conn {
	client, server := net.Pipe()
	l.conns <- server
	return client
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// serveGuarded serves h behind the connection guard of cfg on a pipe
// listener, inside the calling synctest bubble, until the test's cleanup.
func serveGuarded(t *testing.T, cfg Config, h http.Handler) *pipeListener {
	cfg = cfg.WithDefaults()
	ln := newPipeListener()
	srv := &http.Server{Handler: newConnGuard(cfg, framingGuard{next: h}), ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.WriteTimeout}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) })
	t.Cleanup(func() {
		_ = srv.Close()
		wg.Wait()
	})
	return ln
}

// A body trickling below the minimum rate is cut off at exactly the time
// the rate gives: grace + n/rate after the body's first read, n being the
// bytes that had come; the client gets 408 with Connection: close, then the
// connection closes.
func TestGuardCutsSlowBody(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{MinBodyRate: 100, BodyRateGrace: 2 * time.Second, ReadTimeout: time.Minute}
		ln := serveGuarded(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.ReadAll(r.Body); errors.Is(err, os.ErrDeadlineExceeded) {
				w.WriteHeader(http.StatusRequestTimeout)
				return
			}
			w.WriteHeader(http.StatusOK)
		}))
		c := ln.dial()
		defer c.Close()
		start := time.Now()
		var writer sync.WaitGroup
		writer.Go(func() { // a byte with the header, then one a second; it stops when the server hangs up
			if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\na"); err != nil {
				return
			}
			for {
				time.Sleep(time.Second)
				if _, err := io.WriteString(c, "a"); err != nil {
					return
				}
			}
		})
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		// Bytes at 0 s, 1 s and 2 s are in time (deadlines 2.01 s, 2.02 s,
		// 2.03 s); the one at 3 s is not.
		if want := 2*time.Second + 3*time.Second/100; took != want {
			t.Errorf("cut off after %s, want %s", took, want)
		}
		if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
			t.Errorf("got %d, Close=%v; want 408 with Connection: close", resp.StatusCode, resp.Close)
		}
		if _, err := resp.Body.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("after the response: %v, want io.EOF", err)
		}
		_ = c.Close()
		writer.Wait()
	})
}

// A body at the minimum rate or faster is read in full, however long it
// takes within ReadTimeout.
func TestGuardKeepsBodyAtRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{MinBodyRate: 100, BodyRateGrace: 2 * time.Second, ReadTimeout: time.Minute}
		ln := serveGuarded(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				w.WriteHeader(http.StatusRequestTimeout)
				return
			}
			_, _ = w.Write(b)
		}))
		c := ln.dial()
		defer c.Close()
		var writer sync.WaitGroup
		defer writer.Wait()
		writer.Go(func() {
			_, _ = io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
			for range 10 { // 100 bytes every 0.9 s: 111 bytes/s, just above the rate
				time.Sleep(900 * time.Millisecond)
				_, _ = io.WriteString(c, strings.Repeat("b", 100))
			}
		})
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1000))
		if resp.StatusCode != http.StatusOK || len(b) != 1000 || resp.Close {
			t.Errorf("got %d with %d bytes, Close=%v; want 200 with 1000 and the connection kept", resp.StatusCode, len(b), resp.Close)
		}
	})
}

// A client that never reads its response holds the handler no longer than
// the write rate's grace plus the time of one piece.
func TestGuardCutsNeverReadingClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{MinWriteRate: 1024, WriteRateGrace: 2 * time.Second, WriteTimeout: time.Minute}
		var took time.Duration
		var werr error
		handled := make(chan struct{})
		ln := serveGuarded(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer close(handled)
			start := time.Now()
			_, werr = w.Write(make([]byte, 64<<10))
			took = time.Since(start)
		}))
		c := ln.dial()
		defer c.Close()
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		<-handled // the client reads nothing: net.Pipe buffers nothing either
		if werr == nil {
			t.Fatal("Write to a client that never reads succeeded")
		}
		if want := 2*time.Second + 4*time.Second; took != want { // grace + 4 KiB at 1 KiB/s
			t.Errorf("Write failed after %s, want %s", took, want)
		}
	})
}
