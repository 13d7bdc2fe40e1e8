package compress_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/stages/compress"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Through a real server, with a blocking handler in a hop of its own: the
// body that arrives decodes to the handler's, and Content-Length is the
// compressed length.
func TestThroughTheServer(t *testing.T) {
	body := jsonBody(100 << 10)
	app := troupe.New(troupe.Config{HTTP: httpin.Config{Addr: "127.0.0.1:0"}, Admin: troupe.AdminConfig{Addr: "off"}}, troupe.WithLogger(zap.NewNop()))
	app.Use(troupe.Stage("compress", compress.Priority, mustNew(t, compress.Config{})))
	app.GET("/items", func(ex *actors.Exchange) error {
		ex.Response.Header().Set("Content-Length", strconv.Itoa(len(body))) // stale once compressed
		ex.Respond(http.StatusOK, "application/json", body)
		return nil
	})
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		app.Shutdown(ctx)
	}()
	// DisableCompression: the client must not add Accept-Encoding or
	// decode by itself; the test does both.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DisableCompression: true}, Timeout: 10 * time.Second}
	for _, ce := range []string{"zstd", "gzip", ""} {
		t.Run("accept "+ce, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://"+app.Addr().String()+"/items", nil)
			if ce != "" {
				req.Header.Set("Accept-Encoding", ce)
			}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Header.Get("Content-Encoding"); got != ce {
				t.Fatalf("Content-Encoding = %q, want %q", got, ce)
			}
			if res.ContentLength != int64(len(raw)) {
				t.Errorf("Content-Length %d, body %d bytes", res.ContentLength, len(raw))
			}
			if got := decode(t, ce, raw); !bytes.Equal(got, body) {
				t.Errorf("decoded body differs (%d vs %d bytes)", len(got), len(body))
			}
		})
	}
}
