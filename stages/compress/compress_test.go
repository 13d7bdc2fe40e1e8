package compress_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/compress"
	"github.com/troupe-go/troupe/stagetest"
)

// jsonBody returns n bytes of compressible JSON-ish text.
func jsonBody(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `{"id":%d,"name":"item number %d","tags":["a","b"]},`, i, i)
	}
	return b.Bytes()[:n]
}

// decode undoes the coding named by ce.
func decode(t *testing.T, ce string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch ce {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("gzip.NewReader: %v", err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderMaxWindow(8<<20))
		if err != nil {
			t.Fatalf("zstd.NewReader: %v", err)
		}
		defer zr.Close()
		r = zr
	case "":
		return b
	default:
		t.Fatalf("unexpected Content-Encoding %q", ce)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decoding %s: %v", ce, err)
	}
	return out
}

// respond returns a handler answering status with body, Content-Type ct
// and extra header pairs.
func respond(status int, ct string, body []byte, header ...string) func(ex *actors.Exchange) error {
	return func(ex *actors.Exchange) error {
		for i := 0; i+1 < len(header); i += 2 {
			ex.Response.Header().Set(header[i], header[i+1])
		}
		ex.Respond(status, ct, body)
		return nil
	}
}

func mustNew(t *testing.T, cfg compress.Config) actors.Stage {
	t.Helper()
	spec, err := compress.New("compress", cfg)
	if err != nil {
		t.Fatalf("compress.New(%+v): %v", cfg, err)
	}
	return spec.Stage
}

// Compressed bodies decode to the handler's body; the headers say what
// was done.
func TestRoundTrip(t *testing.T) {
	stage := mustNew(t, compress.Config{})
	body := jsonBody(64 << 10)
	tests := []struct {
		name   string
		accept string
		want   string
	}{
		{"zstd", "zstd", "zstd"},
		{"gzip", "gzip", "gzip"},
		{"browser", "gzip, deflate, br, zstd", "zstd"},
		{"gzip preferred", "gzip;q=1, zstd;q=0.5", "gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/items", nil)
			r.Header.Set("Accept-Encoding", tt.accept)
			out := stagetest.Run(t, stage, r, stagetest.WithHandler(respond(http.StatusOK, "application/json", body,
				"Content-Length", fmt.Sprint(len(body)), "Etag", `"v1"`)))
			if got := out.Header.Get("Content-Encoding"); got != tt.want {
				t.Fatalf("Content-Encoding = %q, want %q", got, tt.want)
			}
			if len(out.Body) >= len(body)/4 {
				t.Errorf("compressed to %d of %d bytes; want far smaller", len(out.Body), len(body))
			}
			if got := decode(t, tt.want, out.Body); !bytes.Equal(got, body) {
				t.Errorf("decoded body differs from the original (%d vs %d bytes)", len(got), len(body))
			}
			if got := out.Header.Get("Content-Length"); got != "" {
				t.Errorf("Content-Length = %q, want it dropped", got)
			}
			if got := out.Header.Get("Etag"); got != `W/"v1"` {
				t.Errorf(`ETag = %q, want W/"v1"`, got)
			}
			if got := out.Header.Values("Vary"); len(got) != 1 || got[0] != "Accept-Encoding" {
				t.Errorf("Vary = %q, want [Accept-Encoding]", got)
			}
		})
	}
}

// Responses the stage must leave as they are, and whether they still
// vary by Accept-Encoding.
func TestLeftAlone(t *testing.T) {
	stage := mustNew(t, compress.Config{})
	big := jsonBody(4096)
	random := make([]byte, 4096)
	rand.Read(random)
	tests := []struct {
		name     string
		method   string
		accept   string
		handler  func(ex *actors.Exchange) error
		wantVary bool
	}{
		{"client accepts nothing", "GET", "", respond(200, "application/json", big), true},
		{"client accepts identity only", "GET", "identity", respond(200, "application/json", big), true},
		{"below the threshold", "GET", "gzip", respond(200, "application/json", big[:1023]), false},
		{"already encoded", "GET", "gzip", respond(200, "application/json", big, "Content-Encoding", "br"), false},
		{"a byte range", "GET", "gzip", respond(206, "application/json", big, "Content-Range", "bytes 0-4095/9000"), false},
		{"not compressible", "GET", "gzip", respond(200, "image/png", big), false},
		{"no content type", "GET", "gzip", respond(200, "", big), false},
		{"no-transform", "GET", "gzip", respond(200, "application/json", big, "Cache-Control", "public, No-Transform"), false},
		{"HEAD", "HEAD", "gzip", respond(200, "application/json", big), false},
		{"204", "GET", "gzip", respond(204, "application/json", big), false},
		{"304", "GET", "gzip", respond(304, "application/json", big), false},
		{"incompressible bytes", "GET", "gzip, zstd", respond(200, "text/plain", random), true},
		{"weak ETag kept", "GET", "", respond(200, "application/json", big, "Etag", `W/"v1"`), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/items", nil)
			if tt.accept != "" {
				r.Header.Set("Accept-Encoding", tt.accept)
			}
			ex := stagetest.Exchange(t, r)
			if err := tt.handler(ex); err != nil {
				t.Fatal(err)
			}
			before := append([]byte(nil), ex.Response.Body...)
			beforeCE, beforeETag := ex.Response.Header().Get("Content-Encoding"), ex.Response.Header().Get("Etag")
			stage.(actors.AfterStage).After(ex)
			h := ex.Response.Header()
			if !bytes.Equal(ex.Response.Body, before) || h.Get("Content-Encoding") != beforeCE || h.Get("Etag") != beforeETag {
				t.Errorf("response changed: Content-Encoding %q, ETag %q, %d bytes", h.Get("Content-Encoding"), h.Get("Etag"), len(ex.Response.Body))
			}
			if got := h.Get("Vary") == "Accept-Encoding"; got != tt.wantVary {
				t.Errorf("Vary = %q; want Accept-Encoding: %v", h.Values("Vary"), tt.wantVary)
			}
		})
	}
}

// The threshold is inclusive, and MinSize moves it.
func TestThreshold(t *testing.T) {
	tests := []struct {
		name string
		give compress.Config
		size int
		want string
	}{
		{"default, just below", compress.Config{}, 1023, ""},
		{"default, at", compress.Config{}, 1024, "gzip"},
		{"custom, below", compress.Config{MinSize: 4096}, 4095, ""},
		{"custom, at", compress.Config{MinSize: 4096}, 4096, "gzip"},
		{"tiny", compress.Config{MinSize: 1}, 200, "gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x", nil)
			r.Header.Set("Accept-Encoding", "gzip")
			body := []byte(strings.Repeat("a", tt.size))
			out := stagetest.Run(t, mustNew(t, tt.give), r, stagetest.WithHandler(respond(200, "text/plain", body)))
			if got := out.Header.Get("Content-Encoding"); got != tt.want {
				t.Errorf("%d bytes: Content-Encoding = %q, want %q", tt.size, got, tt.want)
			}
			if got := decode(t, out.Header.Get("Content-Encoding"), out.Body); !bytes.Equal(got, body) {
				t.Errorf("decoded body differs")
			}
		})
	}
}

// Vary is added once, beside what earlier stages put there.
func TestVaryKeepsOthers(t *testing.T) {
	stage := mustNew(t, compress.Config{})
	tests := []struct {
		name string
		give []string
		want []string
	}{
		{"none", nil, []string{"Accept-Encoding"}},
		{"origin", []string{"Origin"}, []string{"Origin", "Accept-Encoding"}},
		{"already there", []string{"Origin, accept-encoding"}, []string{"Origin, accept-encoding"}},
		{"star", []string{"*"}, []string{"*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x", nil)
			r.Header.Set("Accept-Encoding", "gzip")
			out := stagetest.Run(t, stage, r, stagetest.WithHandler(func(ex *actors.Exchange) error {
				for _, v := range tt.give {
					ex.Response.Header().Add("Vary", v)
				}
				ex.Respond(200, "text/plain", jsonBody(2048))
				return nil
			}))
			if got := out.Header.Values("Vary"); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Vary = %q, want %q", got, tt.want)
			}
		})
	}
}

// Many responses compressed at once share the pooled gzip writers and
// the zstd encoder without mixing their bytes.
func TestConcurrent(t *testing.T) {
	stage := mustNew(t, compress.Config{})
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			ce := []string{"gzip", "zstd"}[i%2]
			body := jsonBody(2048 + 97*i)
			for range 20 {
				r := httptest.NewRequest("GET", "/x", nil)
				r.Header.Set("Accept-Encoding", ce)
				out := stagetest.Run(t, stage, r, stagetest.WithHandler(respond(200, "application/json", body)))
				if got := decode(t, out.Header.Get("Content-Encoding"), out.Body); !bytes.Equal(got, body) {
					t.Errorf("%s: decoded body differs", ce)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		give compress.Config
		want string
	}{
		{"negative min size", compress.Config{MinSize: -1}, "min_size"},
		{"unknown encoding", compress.Config{Encodings: []string{"br"}}, `"br" is not one of zstd, gzip`},
		{"encoding twice", compress.Config{Encodings: []string{"gzip", "GZIP"}}, "listed twice"},
		{"gzip level", compress.Config{GzipLevel: 10}, "gzip_level"},
		{"zstd level", compress.Config{ZstdLevel: "ultra"}, "zstd_level"},
		{"bad type", compress.Config{Types: []string{"json"}}, "types"},
		{"bad type with a parameter", compress.Config{Types: []string{"text/plain; charset=utf-8"}}, "types"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := compress.New("compress", tt.give); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%+v) = %v, want an error containing %q", tt.give, err, tt.want)
			}
		})
	}
}

// Every level produces what the decoders read back, and a body larger
// than zstd's 8 MiB window still decodes with a decoder limited to 8 MiB
// (RFC 9659), as browsers are.
func TestLevelsAndWindow(t *testing.T) {
	tests := []struct {
		name   string
		give   compress.Config
		accept string
		size   int
	}{
		{"gzip 1", compress.Config{GzipLevel: 1}, "gzip", 32 << 10},
		{"gzip 9", compress.Config{GzipLevel: 9}, "gzip", 32 << 10},
		{"zstd fastest", compress.Config{ZstdLevel: "fastest"}, "zstd", 32 << 10},
		{"zstd better", compress.Config{ZstdLevel: "better"}, "zstd", 32 << 10},
		{"zstd best", compress.Config{ZstdLevel: "BEST"}, "zstd", 32 << 10},
		{"zstd past the window", compress.Config{}, "zstd", 9 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x", nil)
			r.Header.Set("Accept-Encoding", tt.accept)
			body := jsonBody(tt.size)
			out := stagetest.Run(t, mustNew(t, tt.give), r, stagetest.WithHandler(respond(200, "application/json", body)))
			if got := out.Header.Get("Content-Encoding"); got != tt.accept {
				t.Fatalf("Content-Encoding = %q, want %q", got, tt.accept)
			}
			if got := decode(t, tt.accept, out.Body); !bytes.Equal(got, body) {
				t.Errorf("decoded body differs")
			}
		})
	}
}
