package live

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzAPI sends any method and path under /api/ (but a GET of the
// stream, which does not end by itself): every answer is the snapshot
// (200 JSON), or a problem document with the status it names, and a 405
// carries Allow.
func FuzzAPI(f *testing.F) {
	for _, seed := range [][2]string{
		{"GET", "/api/state"}, {"HEAD", "/api/state"}, {"POST", "/api/state"}, {"POST", "/api/events"},
		{"GET", "/api/"}, {"GET", "/api/state/"}, {"GET", "/api/%2e%2e/metrics"}, {"OPTIONS", "/api/events"},
		{"GET", "/api//state"}, {"PUT", "/api/\u00e9"},
	} {
		f.Add(seed[0], seed[1])
	}
	var c counting
	mux, _ := newMux(c.source)
	f.Fuzz(func(t *testing.T, method, path string) {
		if !validMethod(method) || !strings.HasPrefix(path, "/api/") || strings.ContainsAny(path, " \t\r\n?#") {
			t.Skip()
		}
		if method == http.MethodGet && strings.Contains(path, "events") {
			t.Skip() // a stream: TestEvents* cover it
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Method = method
		req.URL.Path = path
		req.RequestURI = path
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK:
			if w.Header().Get("Content-Type") != "application/json" || (method != http.MethodHead && !json.Valid(w.Body.Bytes())) {
				t.Fatalf("%s %q: 200 %q %q", method, path, w.Header().Get("Content-Type"), w.Body)
			}
		case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			// net/http's mux cleaning the path first (//, /./, /../)
		default:
			var p struct{ Status int }
			if w.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(w.Body.Bytes(), &p) != nil || p.Status != w.Code {
				t.Fatalf("%s %q: %d %q %q, want a problem document", method, path, w.Code, w.Header().Get("Content-Type"), w.Body)
			}
			if w.Code == http.StatusMethodNotAllowed && w.Header().Get("Allow") == "" {
				t.Fatalf("%s %q: 405 without Allow", method, path)
			}
		}
	})
}

// validMethod reports whether m is an HTTP token, as a client would send.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, r := range m {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}
