package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/troupe-go/troupe/bench"
	"go.uber.org/zap"
)

// servePeerFlag, first on the command line, makes httpbench a peer of the
// overload scenario in a process of its own (servePeerMain); it is not
// shown by -h.
const servePeerFlag = "-serve-peer"

// The overload scenario's peers, as -peers and -serve-peer name them.
const (
	peerTroupe       = "troupe"          // troupe's defaults
	peerTroupeStatic = "troupe-static"   // troupe with the ingress's adaptive limit off
	peerNetHTTP      = "nethttp"         // net/http behind a semaphore
	peerUncapped     = "troupe-uncapped" // troupe's defaults, the handler waiting on a pool of its own
)

// overloadPeers lists every peer, in the order runs visit them.
var overloadPeers = []string{peerTroupe, peerTroupeStatic, peerNetHTTP, peerUncapped}

// newOverloadPeer returns the peer called name, serving the workload st.
func newOverloadPeer(name string, st *bench.ServiceTime, log *zap.Logger) (bench.OverloadPeer, error) {
	switch name {
	case peerTroupe:
		return bench.NewOverloadTroupe(st, log), nil
	case peerTroupeStatic:
		return bench.NewOverloadTroupeStatic(st, log), nil
	case peerNetHTTP:
		return bench.NewOverloadNetHTTP(st), nil
	case peerUncapped:
		return bench.NewOverloadTroupeUncapped(st, log), nil
	}
	return nil, fmt.Errorf("unknown peer %q (want %s)", name, strings.Join(overloadPeers, ", "))
}

// childAddrs is what a peer's process says on its first line of output:
// where it serves, its admin listener ("" if none) and its control
// listener.
type childAddrs struct {
	Addr    string `json:"addr"`
	Admin   string `json:"admin,omitempty"`
	Control string `json:"control"`
}

// controlPath is the control listener's route: PUT with ?d=DURATION sets
// the workload's service time.
const controlPath = "/service-time"

// servePeerMain runs httpbench as one peer of the overload scenario,
// args being what follows -serve-peer: NAME [-addr ADDR]. It serves the
// peer and a control listener on loopback, writes their addresses as one
// JSON line to stdout, and serves until SIGTERM or SIGINT, or until its
// stdin closes (its parent is gone); then it shuts down gracefully. It
// returns the process's exit status.
func servePeerMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if err := servePeer(args, stdin, stdout); err != nil {
		fmt.Fprintln(stderr, "httpbench peer:", err)
		return 1
	}
	return 0
}

func servePeer(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(servePeerFlag + " needs a peer name")
	}
	name := args[0]
	fs := flag.NewFlagSet("httpbench "+servePeerFlag, flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "where the peer serves")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	log, err := warnLogger()
	if err != nil {
		return err
	}
	st := bench.NewServiceTime(bench.OverloadServiceTime)
	p, err := newOverloadPeer(name, st, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := p.Start(*addr); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	ctl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return errors.Join(err, p.Shutdown(context.Background()))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT "+controlPath, func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil || d < 0 {
			http.Error(w, "d: want a duration, not negative", http.StatusBadRequest)
			return
		}
		st.Set(d)
		w.WriteHeader(http.StatusNoContent)
	})
	ctlSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	var serving sync.WaitGroup
	serving.Go(func() { _ = ctlSrv.Serve(ctl) })

	a := childAddrs{Addr: p.Addr().String(), Control: ctl.Addr().String()}
	if admin := p.AdminAddr(); admin != nil {
		a.Admin = admin.String()
	}
	line, _ := json.Marshal(a)
	if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
		stop()
	}
	// The parent holds our stdin open while it wants us; the goroutine
	// reading it ends with the process.
	orphaned := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		close(orphaned)
	}()
	select {
	case <-ctx.Done():
	case <-orphaned:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = p.Shutdown(sctx)
	err = errors.Join(err, ctlSrv.Shutdown(sctx))
	serving.Wait()
	return err
}

// peerProcess is a peer of the overload scenario running in a child
// process: a fresh one per run, so that its peak RSS is its own.
type peerProcess struct {
	name  string
	cmd   *exec.Cmd
	stdin io.Closer
	addrs childAddrs
	// exited is closed once the process has been waited for; waitErr is
	// what Wait returned.
	exited  chan struct{}
	waitErr error
}

// startPeer starts the peer called name in a new process (this program,
// run with -serve-peer) and returns once it serves.
func startPeer(ctx context.Context, name string) (*peerProcess, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, servePeerFlag, name, "-addr", "127.0.0.1:0")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &peerProcess{name: name, cmd: cmd, stdin: stdin, exited: make(chan struct{})}
	lines := make(chan string, 1)
	go func() {
		// Wait closes stdout, so this reader ends before Wait returns.
		br := bufio.NewReader(stdout)
		line, _ := br.ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, br)
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	timer := time.NewTimer(30 * time.Second)
	defer timer.Stop()
	var line string
	select {
	case line = <-lines:
	case <-timer.C:
		err = errors.New("it did not say where it serves within 30s")
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err == nil {
		if err = json.Unmarshal([]byte(line), &p.addrs); err == nil && (p.addrs.Addr == "" || p.addrs.Control == "") {
			err = fmt.Errorf("it said %q", strings.TrimSpace(line))
		}
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", name, err), p.stop(context.Background()))
	}
	return p, nil
}

// peakRSS returns the process's peak resident set (VmHWM), in KiB.
func (p *peerProcess) peakRSS() (int64, error) {
	return readVmHWM(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
}

// readVmHWM returns the VmHWM line of a /proc/PID/status file, in KiB.
func readVmHWM(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return parseVmHWM(string(b))
}

// parseVmHWM returns the VmHWM of a /proc/PID/status text, in KiB.
func parseVmHWM(status string) (int64, error) {
	for line := range strings.Lines(status) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("VmHWM line %q", strings.TrimSpace(line))
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, errors.New("no VmHWM line")
}

// setServiceTime changes the peer's service time to d.
func (p *peerProcess) setServiceTime(ctx context.Context, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	url := "http://" + p.addrs.Control + controlPath + "?d=" + d.String()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, nil)
	if err != nil {
		return err
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("PUT %s: %s", url, resp.Status)
	}
	return nil
}

// stop asks the process to shut down (SIGTERM, and its stdin closed) and
// waits for it until ctx ends, then kills it.
func (p *peerProcess) stop(ctx context.Context) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.stdin.Close()
	select {
	case <-p.exited:
	case <-ctx.Done():
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s: killed: %w", p.name, ctx.Err())
	}
	if p.waitErr != nil {
		return fmt.Errorf("%s: %w", p.name, p.waitErr)
	}
	return nil
}
