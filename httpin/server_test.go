package httpin_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/troupe-go/troupe/httpin"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// Server's listener keeps to Config.MaxConnectionsPerIP: the connection
// past it is closed at once, logged; those within are served.
func TestServerCapsConnections(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	_, addr := startApp(t, httpin.Config{MaxConnectionsPerIP: 3}, zap.New(core))
	conns := []net.Conn{dial(t, addr), dial(t, addr), dial(t, addr)}
	past := dial(t, addr)
	_ = past.SetReadDeadline(time.Now().Add(10 * time.Second)) // closed at once: 10 s is for a loaded machine
	if n, err := past.Read(make([]byte, 1)); n != 0 || err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the 4th connection from one address: read %d, %v; want it closed", n, err)
	}
	for i, c := range conns {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = io.WriteString(c, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("connection %d within the cap: %v", i, err)
		}
	}
	if n := logs.FilterMessage("connection closed at once: past the cap").Len(); n != 1 {
		t.Errorf("%d lines logged for one connection past the cap, want 1", n)
	}
}
