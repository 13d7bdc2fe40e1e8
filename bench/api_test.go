package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"go.uber.org/zap"
)

// syncBuffer is a bytes.Buffer safe for the access loggers' writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(s.b.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("access-log line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// apiPeers returns both peers' handlers, logging to their own buffers.
func apiPeers(t *testing.T) map[string]struct {
	h   http.Handler
	log *syncBuffer
} {
	t.Helper()
	trLog, plainLog := &syncBuffer{}, &syncBuffer{}
	tr, err := NewAPITroupe(zap.NewNop(), NewAccessLogger(trLog))
	if err != nil {
		t.Fatal(err)
	}
	trh, err := tr.Handler()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	plain, err := NewAPINetHTTP(NewAccessLogger(plainLog))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]struct {
		h   http.Handler
		log *syncBuffer
	}{"troupe": {trh, trLog}, "nethttp": {plain.Handler(), plainLog}}
}

// TestAPIPeersAgree checks that both peers answer every conformance case
// with the same status and body shape, and log the same fields.
func TestAPIPeersAgree(t *testing.T) {
	for name, p := range apiPeers(t) {
		t.Run(name, func(t *testing.T) {
			for _, c := range APICases {
				req, err := c.Request("")
				if err != nil {
					t.Fatal(err)
				}
				req.RemoteAddr = "192.0.2.7:4321"
				req.Header.Set("User-Agent", "bench-test")
				rec := httptest.NewRecorder()
				p.h.ServeHTTP(rec, req)
				t.Logf("%s: %d %s", c.Name, rec.Code, bytes.TrimSpace(rec.Body.Bytes()))
				if err := c.Check(rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
					t.Error(err)
				}
			}
			lines := p.log.lines(t)
			if len(lines) != len(APICases) {
				t.Fatalf("%d access-log lines, want %d", len(lines), len(APICases))
			}
			for i, l := range lines {
				for _, f := range AccessLogFields {
					if _, ok := l[f]; !ok {
						t.Errorf("line %d lacks %q: %v", i, f, l)
					}
				}
				if got, want := l["status"], float64(APICases[i].WantStatus); got != want {
					t.Errorf("line %d: status %v, want %v", i, got, want)
				}
				if l["route"] != APIPath || l["path"] != APIPath || l["method"] != "POST" ||
					l["client_ip"] != "192.0.2.7" || l["user_agent"] != "bench-test" || l["msg"] != "request" {
					t.Errorf("line %d = %v, want route and path %s, POST, client 192.0.2.7, agent bench-test", i, l, APIPath)
				}
			}
			keys := slices.Sorted(maps.Keys(lines[0]))
			want := slices.Sorted(slices.Values(append([]string{"level", "ts", "msg"}, AccessLogFields...)))
			if !slices.Equal(keys, want) {
				t.Errorf("access-log fields %v, want %v", keys, want)
			}
		})
	}
}
