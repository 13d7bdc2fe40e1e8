package cors_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/cors"
	"github.com/troupe-go/troupe/stagetest"
)

func mustNew(t *testing.T, cfg cors.Config) actors.Stage {
	t.Helper()
	spec, err := cors.New("cors", cfg)
	if err != nil {
		t.Fatalf("cors.New(%+v): %v", cfg, err)
	}
	return spec.Stage
}

var apiConfig = cors.Config{
	AllowedOrigins:   []string{"https://app.example.com", "https://*.example.com"},
	AllowedMethods:   []string{"GET", "put", "DELETE"},
	AllowedHeaders:   []string{"Content-Type", "X-Api-Key"},
	ExposedHeaders:   []string{"x-request-id", "ETag"},
	AllowCredentials: true,
	MaxAge:           10 * time.Minute,
}

// request builds a request with header pairs.
func request(method string, header ...string) *http.Request {
	r := httptest.NewRequest(method, "/api/items/1", nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

// varies returns the response's Vary entries, split on commas.
func varies(h http.Header) []string {
	var out []string
	for _, line := range h.Values("Vary") {
		for v := range strings.SplitSeq(line, ",") {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}

// Requests that are not preflights go on to the handler; allowed origins
// get the Access-Control headers, others none.
func TestActualRequests(t *testing.T) {
	stage := mustNew(t, apiConfig)
	tests := []struct {
		name       string
		give       *http.Request
		wantOrigin string // Access-Control-Allow-Origin; "" for none
	}{
		{"allowed exact", request("GET", "Origin", "https://app.example.com"), "https://app.example.com"},
		{"allowed wildcard", request("POST", "Origin", "https://eu.example.com"), "https://eu.example.com"},
		{"no origin", request("GET"), ""},
		{"foreign", request("GET", "Origin", "https://evil.com"), ""},
		{"null", request("GET", "Origin", "null"), ""},
		{"suffix trick", request("GET", "Origin", "https://example.com.evil.com"), ""},
		{"no-dot trick", request("GET", "Origin", "https://evilexample.com"), ""},
		{"two origins", request("GET", "Origin", "https://app.example.com", "Origin", "https://evil.com"), ""},
		{"OPTIONS without request method", request("OPTIONS", "Origin", "https://app.example.com"), "https://app.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := stagetest.Run(t, stage, tt.give)
			if !out.HandlerRan || out.Status != http.StatusOK {
				t.Fatalf("handler ran %v, status %d; want the request through to the handler", out.HandlerRan, out.Status)
			}
			if got := out.Header.Get("Access-Control-Allow-Origin"); got != tt.wantOrigin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tt.wantOrigin)
			}
			if !slices.Contains(varies(out.Header), "Origin") {
				t.Errorf("Vary = %q, want Origin in it", out.Header.Values("Vary"))
			}
			wantCred, wantExpose := "", ""
			if tt.wantOrigin != "" {
				wantCred, wantExpose = "true", "X-Request-Id, Etag"
			}
			if got := out.Header.Get("Access-Control-Allow-Credentials"); got != wantCred {
				t.Errorf("Access-Control-Allow-Credentials = %q, want %q", got, wantCred)
			}
			if got := out.Header.Get("Access-Control-Expose-Headers"); got != wantExpose {
				t.Errorf("Access-Control-Expose-Headers = %q, want %q", got, wantExpose)
			}
		})
	}
}

// A preflight is answered 204 by the stage: the handler never runs. Only a
// preflight from an allowed origin, for an allowed method and headers,
// carries the headers that let the browser go on.
func TestPreflights(t *testing.T) {
	stage := mustNew(t, apiConfig)
	tests := []struct {
		name        string
		give        *http.Request
		wantOrigin  string
		wantHeaders string // Access-Control-Allow-Headers
	}{
		{"allowed", request("OPTIONS", "Origin", "https://app.example.com", "Access-Control-Request-Method", "PUT",
			"Access-Control-Request-Headers", "content-type,x-api-key"), "https://app.example.com", "content-type, x-api-key"},
		{"allowed wildcard, no headers", request("OPTIONS", "Origin", "https://a.b.example.com", "Access-Control-Request-Method", "DELETE"),
			"https://a.b.example.com", ""},
		{"headers split over lines", request("OPTIONS", "Origin", "https://app.example.com", "Access-Control-Request-Method", "PUT",
			"Access-Control-Request-Headers", "Content-Type", "Access-Control-Request-Headers", " X-API-Key "), "https://app.example.com", "content-type, x-api-key"},
		{"method not allowed", request("OPTIONS", "Origin", "https://app.example.com", "Access-Control-Request-Method", "PATCH"), "", ""},
		{"method case matters", request("OPTIONS", "Origin", "https://app.example.com", "Access-Control-Request-Method", "put"), "", ""},
		{"header not allowed", request("OPTIONS", "Origin", "https://app.example.com", "Access-Control-Request-Method", "PUT",
			"Access-Control-Request-Headers", "content-type, authorization"), "", ""},
		{"bad header name", request("OPTIONS", "Origin", "https://app.example.com", "Access-Control-Request-Method", "PUT",
			"Access-Control-Request-Headers", "content-type, x(y)"), "", ""},
		{"foreign origin", request("OPTIONS", "Origin", "https://evil.com", "Access-Control-Request-Method", "GET"), "", ""},
		{"null origin", request("OPTIONS", "Origin", "null", "Access-Control-Request-Method", "GET"), "", ""},
		{"suffix trick", request("OPTIONS", "Origin", "https://example.com.evil.com", "Access-Control-Request-Method", "GET"), "", ""},
		{"no-dot trick", request("OPTIONS", "Origin", "https://evilexample.com", "Access-Control-Request-Method", "GET"), "", ""},
		{"other scheme", request("OPTIONS", "Origin", "http://app.example.com", "Access-Control-Request-Method", "GET"), "", ""},
		{"other port", request("OPTIONS", "Origin", "https://app.example.com:8443", "Access-Control-Request-Method", "GET"), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := stagetest.Run(t, stage, tt.give, stagetest.WithHandler(func(*actors.Exchange) error {
				t.Error("the handler ran for a preflight")
				return nil
			}))
			if !out.Ended || out.Status != http.StatusNoContent || len(out.Body) != 0 {
				t.Fatalf("ended %v, status %d, body %q; want the stage to answer 204 with no body", out.Ended, out.Status, out.Body)
			}
			if got := out.Header.Get("Access-Control-Allow-Origin"); got != tt.wantOrigin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tt.wantOrigin)
			}
			if got := out.Header.Get("Access-Control-Allow-Headers"); got != tt.wantHeaders {
				t.Errorf("Access-Control-Allow-Headers = %q, want %q", got, tt.wantHeaders)
			}
			for _, v := range []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"} {
				if !slices.Contains(varies(out.Header), v) {
					t.Errorf("Vary = %q, want %s in it", out.Header.Values("Vary"), v)
				}
			}
			want := map[string]string{"Access-Control-Allow-Methods": "", "Access-Control-Allow-Credentials": "", "Access-Control-Max-Age": ""}
			if tt.wantOrigin != "" {
				want = map[string]string{"Access-Control-Allow-Methods": "GET, PUT, DELETE", "Access-Control-Allow-Credentials": "true", "Access-Control-Max-Age": "600"}
			}
			for k, v := range want {
				if got := out.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// With "*" and no credentials, every origin gets "*"; credentials are
// never announced.
func TestAnyOrigin(t *testing.T) {
	stage := mustNew(t, cors.Config{AllowedOrigins: []string{"*"}, AllowedHeaders: []string{"*"}})
	tests := []struct {
		name string
		give *http.Request
	}{
		{"actual", request("GET", "Origin", "https://anyone.test")},
		{"preflight", request("OPTIONS", "Origin", "https://anyone.test", "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "x-anything")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := stagetest.Run(t, stage, tt.give)
			if got := out.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
			}
			if got := out.Header.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("Access-Control-Allow-Credentials = %q, want none", got)
			}
		})
	}
}

// "*" in allowed_headers echoes what the preflight asks for, so it works
// with credentials too (where a literal "*" would not).
func TestAnyHeaderWithCredentials(t *testing.T) {
	stage := mustNew(t, cors.Config{AllowedOrigins: []string{"https://app.example.com"}, AllowedHeaders: []string{"*"}, AllowCredentials: true})
	out := stagetest.Run(t, stage, request("OPTIONS", "Origin", "https://app.example.com", "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "x-one,authorization"))
	if got := out.Header.Get("Access-Control-Allow-Headers"); got != "x-one, authorization" {
		t.Errorf("Access-Control-Allow-Headers = %q, want the asked headers echoed", got)
	}
}

// Headers set on the way in stay on an error the handler returns.
func TestHeadersStayOnErrors(t *testing.T) {
	stage := mustNew(t, apiConfig)
	out := stagetest.Run(t, stage, request("GET", "Origin", "https://app.example.com"), stagetest.WithHandler(func(*actors.Exchange) error {
		return actors.NewError(http.StatusForbidden, "no")
	}))
	if out.Status != http.StatusForbidden || out.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("status %d, Access-Control-Allow-Origin %q; want 403 readable by the origin", out.Status, out.Header.Get("Access-Control-Allow-Origin"))
	}
}

// Configurations New refuses.
func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		give cors.Config
		want string
	}{
		{"no origins", cors.Config{}, "at least one origin"},
		{"star with credentials", cors.Config{AllowedOrigins: []string{"*"}, AllowCredentials: true}, "cannot be combined with allow_credentials"},
		{"null origin", cors.Config{AllowedOrigins: []string{"null"}}, `"null" cannot be allowed`},
		{"suffix-style wildcard", cors.Config{AllowedOrigins: []string{"https://*example.com"}}, "bad host"},
		{"bad method", cors.Config{AllowedOrigins: []string{"https://a.test"}, AllowedMethods: []string{"GET PUT"}}, "is not a method"},
		{"bad header", cors.Config{AllowedOrigins: []string{"https://a.test"}, AllowedHeaders: []string{"X-A: b"}}, "is not a header name"},
		{"bad exposed header", cors.Config{AllowedOrigins: []string{"https://a.test"}, ExposedHeaders: []string{"a\nb"}}, "is not a header name"},
		{"negative max age", cors.Config{AllowedOrigins: []string{"https://a.test"}, MaxAge: -time.Second}, "max_age"},
		{"fractional max age", cors.Config{AllowedOrigins: []string{"https://a.test"}, MaxAge: 1500 * time.Millisecond}, "max_age"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := cors.New("cors", tt.give); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%+v) = %v, want an error containing %q", tt.give, err, tt.want)
			}
		})
	}
}
