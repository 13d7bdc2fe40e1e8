package httpin_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2cClient speaks cleartext HTTP/2 with prior knowledge only.
func h2cClient(t *testing.T) *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &p}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// With H2C, a client that opens with HTTP/2's preface is served HTTP/2, and
// an HTTP/1.1 client on the same listener HTTP/1.1.
func TestH2CPriorKnowledge(t *testing.T) {
	_, addr := startApp(t, httpin.Config{H2C: true}, nil)
	resp, body := get(t, h2cClient(t), "http://"+addr+"/hello")
	if resp.Proto != "HTTP/2.0" || resp.StatusCode != http.StatusOK || body != "hello" {
		t.Errorf("h2c client: %s %d %q, want HTTP/2.0 200 \"hello\"", resp.Proto, resp.StatusCode, body)
	}
	c := dial(t, addr)
	if !served11(t, c, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n") {
		t.Error("an HTTP/1.1 request on an h2c listener was not served in HTTP/1.1")
	}
}

// Without H2C, a cleartext HTTP/2 client gets no HTTP/2.
func TestH2COff(t *testing.T) {
	_, addr := startApp(t, httpin.Config{}, nil)
	if resp, err := h2cClient(t).Get("http://" + addr + "/hello"); err == nil {
		resp.Body.Close()
		t.Fatalf("a cleartext HTTP/2 client was served %s without h2c", resp.Proto)
	}
}

// The HTTP/1.1 Upgrade to h2c is not offered: the request is answered in
// HTTP/1.1, without 101.
func TestH2CUpgradeAnsweredInHTTP1(t *testing.T) {
	_, addr := startApp(t, httpin.Config{H2C: true}, nil)
	c := dial(t, addr)
	req := "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"
	if !served11(t, c, req) {
		t.Error("an Upgrade: h2c request was not answered 200 in HTTP/1.1")
	}
}

// served11 sends raw on c and reports whether it was answered 200 "hello"
// in HTTP/1.1.
func served11(t *testing.T, c net.Conn, raw string) bool {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.Proto == "HTTP/1.1" && resp.StatusCode == http.StatusOK && string(body) == "hello"
}

// h2conn is a raw cleartext HTTP/2 connection, frame by frame.
type h2conn struct {
	c  net.Conn
	fr *http2.Framer
}

// dialH2C opens an HTTP/2 connection to addr with prior knowledge and
// returns it with the server's first SETTINGS frame, acknowledged.
func dialH2C(t *testing.T, addr string) (*h2conn, *http2.SettingsFrame) {
	t.Helper()
	c := dial(t, addr)
	_ = c.SetDeadline(time.Now().Add(20 * time.Second)) // every read of these tests: well within it on a loaded machine
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	h := &h2conn{c: c, fr: http2.NewFramer(c, c)}
	if err := h.fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	for {
		f := h.read(t)
		if sf, ok := f.(*http2.SettingsFrame); ok && !sf.IsAck() {
			if err := h.fr.WriteSettingsAck(); err != nil {
				t.Fatal(err)
			}
			return h, sf
		}
	}
}

// read returns the next frame.
func (h *h2conn) read(t *testing.T) http2.Frame {
	t.Helper()
	f, err := h.fr.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// get sends GET path on stream id, its request complete.
func (h *h2conn) get(t *testing.T, id uint32, path string) {
	t.Helper()
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", "x"}, {":path", path}} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: buf.Bytes(), EndStream: true, EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
}

// An HTTP/2 connection is told MaxConcurrentStreams and MaxHeaderBytes in
// the server's SETTINGS.
func TestHTTP2Settings(t *testing.T) {
	_, addr := startApp(t, httpin.Config{H2C: true, MaxConcurrentStreams: 7, MaxHeaderBytes: 8 << 10}, nil)
	_, settings := dialH2C(t, addr)
	if v, ok := settings.Value(http2.SettingMaxConcurrentStreams); !ok || v != 7 {
		t.Errorf("SETTINGS_MAX_CONCURRENT_STREAMS %d (sent: %v), want 7", v, ok)
	}
	// net/http adds HPACK's per-field overhead to MaxHeaderBytes (a few
	// KiB); without MaxHeaderBytes it would be 1 MiB.
	if v, ok := settings.Value(http2.SettingMaxHeaderListSize); !ok || v < 8<<10 || v > 16<<10 {
		t.Errorf("SETTINGS_MAX_HEADER_LIST_SIZE %d (sent: %v), want 8 KiB and HPACK's overhead", v, ok)
	}
}

// A graceful shutdown tells an HTTP/2 client with GOAWAY, and still
// answers the request that was running, in full.
func TestHTTP2ShutdownSendsGOAWAY(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	app, addr := startAppWith(t, httpin.Config{H2C: true}, nil, func(app *troupe.App) {
		app.GET("/slow", func(ex *actors.Exchange) error {
			close(entered)
			<-release
			ex.Response.Status, ex.Response.Body = http.StatusOK, []byte("done")
			return nil
		})
	})
	h, _ := dialH2C(t, addr)
	h.get(t, 1, "/slow")
	<-entered

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		shut <- app.Shutdown(ctx)
	}()
	var away *http2.GoAwayFrame
	for away == nil {
		if f, ok := h.read(t).(*http2.GoAwayFrame); ok {
			away = f
		}
	}
	if away.ErrCode != http2.ErrCodeNo || away.LastStreamID < 1 {
		t.Errorf("GOAWAY %v, last stream %d; want NO_ERROR and stream 1 kept", away.ErrCode, away.LastStreamID)
	}
	close(release)
	var status string
	var body strings.Builder
	for done := false; !done; {
		switch f := h.read(t).(type) {
		case *http2.HeadersFrame:
			fields, err := hpack.NewDecoder(4096, nil).DecodeFull(f.HeaderBlockFragment())
			if err != nil {
				t.Fatal(err)
			}
			for _, hf := range fields {
				if hf.Name == ":status" {
					status = hf.Value
				}
			}
			done = f.StreamEnded()
		case *http2.DataFrame:
			body.Write(f.Data())
			done = f.StreamEnded()
		}
	}
	if status != "200" || body.String() != "done" {
		t.Errorf("the request running at shutdown: %s %q, want 200 \"done\"", status, body.String())
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// The write-rate guard holds on HTTP/2: a client that stops taking a
// response (it never opens its flow-control window past the first 64 KiB)
// has its stream reset after the rate's grace and one piece's time, not at
// WriteTimeout.
func TestHTTP2WriteRateGuard(t *testing.T) {
	cfg := httpin.Config{H2C: true, MinWriteRate: 1024, WriteRateGrace: time.Second, WriteTimeout: time.Minute}
	_, addr := startAppWith(t, cfg, nil, func(app *troupe.App) {
		app.GET("/big", func(ex *actors.Exchange) error {
			ex.Response.Status, ex.Response.Body = http.StatusOK, make([]byte, 1<<20)
			return nil
		})
	})
	h, _ := dialH2C(t, addr)
	start := time.Now()
	h.get(t, 1, "/big")
	for {
		f := h.read(t) // the connection's deadline (20 s) is well below WriteTimeout (60 s)
		if rst, ok := f.(*http2.RSTStreamFrame); ok && rst.StreamID == 1 {
			break
		}
		if d, ok := f.(*http2.DataFrame); ok && d.StreamEnded() {
			t.Fatal("the whole response went through a window that was never opened")
		}
	}
	// The guard's bound is grace + 4 KiB at 1 KiB/s = 5 s; WriteTimeout's
	// would be 60 s. Half of WriteTimeout leaves a loaded machine 25 s.
	// And the guard never cuts before its grace.
	if took := time.Since(start); took > 30*time.Second || took < time.Second {
		t.Errorf("stream reset after %s, want the write-rate guard's ~5s", took)
	}
}
