package httpin

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// connCounter counts the rejections of each cap.
type connCounter struct{ overCap, overIPCap atomic.Int64 }

func (c *connCounter) ConnRejected(r ConnRejection) {
	switch r {
	case ConnOverCap:
		c.overCap.Add(1)
	case ConnOverIPCap:
		c.overIPCap.Add(1)
	}
}

// serveLimited serves "hello" on a loopback listener with limits, until the
// test's cleanup; it returns the address, the rejections and the log.
func serveLimited(t *testing.T, limits ConnLimits) (string, *connCounter, *observer.ObservedLogs) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.DebugLevel)
	counter := &connCounter{}
	lln := LimitListener(ln, limits, zap.New(core), counter)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello") }),
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(lln) })
	t.Cleanup(func() {
		_ = srv.Close()
		wg.Wait()
	})
	return ln.Addr().String(), counter, logs
}

// dialFrom opens n connections to addr from the local address ip.
func dialFrom(t *testing.T, addr, ip string, n int) []net.Conn {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		conns[i] = c
	}
	return conns
}

// closedAtOnce reports whether the server closed c without a word: a read
// ends (EOF, or a reset) rather than waiting. 10 s is a bound for a loaded
// machine: the listener closes such a connection as it accepts it.
func closedAtOnce(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := c.Read(make([]byte, 1))
	return n == 0 && err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
}

// served reports whether a request on c is answered 200.
func served(c net.Conn) bool {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return false
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	return err == nil && resp.StatusCode == http.StatusOK
}

// checkCapLog checks that rejections were logged, at Warn, and no more
// lines than the rate allows in the time since start: a burst of
// ErrorLogLinesPerSecond, then that many a second.
func checkCapLog(t *testing.T, logs *observer.ObservedLogs, start time.Time) {
	t.Helper()
	lines := logs.FilterMessage("connection closed at once: past the cap").All()
	allowed := ErrorLogLinesPerSecond + int(time.Since(start).Seconds()*ErrorLogLinesPerSecond) + 1
	if len(lines) == 0 || len(lines) > allowed {
		t.Errorf("%d lines logged, want between 1 and %d", len(lines), allowed)
	}
	for _, l := range lines {
		if l.Level != zap.WarnLevel {
			t.Errorf("logged at %s, want warn", l.Level)
		}
	}
}

// 200 connections against a cap of 50: the first 50 are served, the 150
// past the cap closed at once, counted and logged within the rate.
func TestLimitListenerMax(t *testing.T) {
	start := time.Now()
	addr, counter, logs := serveLimited(t, ConnLimits{Max: 50})
	conns := dialFrom(t, addr, "127.0.0.1", 200)
	for i, c := range conns[50:] {
		if !closedAtOnce(c) {
			t.Errorf("connection %d past the cap was not closed", 50+i)
		}
	}
	for i, c := range conns[:50] {
		if !served(c) {
			t.Errorf("connection %d within the cap was not served", i)
		}
	}
	if got := counter.overCap.Load(); got != 150 {
		t.Errorf("%d rejections counted, want 150", got)
	}
	checkCapLog(t, logs, start)
}

// 200 connections from one address against a cap of 20 per address: 20
// served, 180 closed at once; another address is still served.
func TestLimitListenerPerIP(t *testing.T) {
	start := time.Now()
	addr, counter, logs := serveLimited(t, ConnLimits{Max: 1000, PerIP: 20})
	conns := dialFrom(t, addr, "127.0.0.1", 200)
	for i, c := range conns[20:] {
		if !closedAtOnce(c) {
			t.Errorf("connection %d past the cap per address was not closed", 20+i)
		}
	}
	other := dialFrom(t, addr, "127.0.0.2", 1)[0]
	for i, c := range append(conns[:20], other) {
		if !served(c) {
			t.Errorf("connection %d within the cap was not served", i)
		}
	}
	if got := counter.overIPCap.Load(); got != 180 {
		t.Errorf("%d rejections counted, want 180", got)
	}
	checkCapLog(t, logs, start)
}

// A connection closed frees its place for the next.
func TestLimitListenerRelease(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lln := LimitListener(ln, ConnLimits{Max: 1, PerIP: 1}, zap.NewNop(), nil)
	accepted := make(chan net.Conn)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := lln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	})
	defer wg.Wait()
	defer lln.Close()
	addr := ln.Addr().String()
	c1 := dialFrom(t, addr, "127.0.0.1", 1)[0]
	a1 := <-accepted
	if c2 := dialFrom(t, addr, "127.0.0.1", 1)[0]; !closedAtOnce(c2) {
		t.Fatal("a second connection past the cap of 1 was not closed")
	}
	_ = a1.Close()
	_ = a1.Close() // a second Close must not free a second place
	_ = c1.Close()
	dialFrom(t, addr, "127.0.0.1", 1)
	a3 := <-accepted // within the cap again
	defer a3.Close()
	if c4 := dialFrom(t, addr, "127.0.0.1", 1)[0]; !closedAtOnce(c4) {
		t.Fatal("the place of a connection closed twice was freed twice")
	}
}

func TestMaxConnectionsFor(t *testing.T) {
	for _, tt := range []struct {
		files uint64
		want  int
	}{
		{0, 4096},                // unknown
		{1, 1},                   // never below one
		{100, 50},                // half kept back below 512 files
		{1024, 768},              // 256 kept back
		{20000, 15000},           // a quarter kept back
		{1 << 40, 1<<20 - 1<<18}, // taken as 1<<20
	} {
		if got := maxConnectionsFor(tt.files); got != tt.want {
			t.Errorf("maxConnectionsFor(%d) = %d, want %d", tt.files, got, tt.want)
		}
	}
	if DefaultMaxConnections() <= 0 {
		t.Errorf("DefaultMaxConnections() = %d", DefaultMaxConnections())
	}
}
