package troupe_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/supervisor"
)

// requireKey is an auth stage: without "X-Key: secret" the request ends
// with 401.
func requireKey(name string) *actors.Spec {
	return troupe.Stage(name, actors.Auth, actors.StageFunc(func(ex *actors.Exchange) error {
		if ex.Request.Header.Get("X-Key") != "secret" {
			return actors.NewError(http.StatusUnauthorized, "a key is required")
		}
		ex.Response.Header().Add("X-Trace", name)
		return nil
	}))
}

func echoRoute(name string) *actors.Spec {
	return troupe.Handler(name, func(ex *actors.Exchange) error {
		var b strings.Builder
		b.WriteString(name)
		for i := range ex.Params.Len() {
			k, v := ex.Params.At(i)
			b.WriteString(" " + k + "=" + v)
		}
		ex.Respond(http.StatusOK, "text/plain", []byte(b.String()))
		return nil
	})
}

func declareRoutes(app *troupe.App) {
	app.Use(mark("global", actors.Global), mark("late", actors.Terminating))
	app.Handle("GET", "/items/{id}", echoRoute("item"))
	app.Handle("GET", "/files/{path...}", echoRoute("files"))
	app.Handle("POST", "/items", echoRoute("create"))
	app.Handle("GET", "/public/{rest...}", echoRoute("public"))
	admin := app.Group("/admin", requireKey("admin-key"))
	admin.Handle("GET", "/users/{id}", echoRoute("admin-user"))
	audit := admin.Group("/audit", mark("audit", actors.Preprocessing))
	audit.Handle("GET", "/log", echoRoute("audit-log")).With(mark("route-only", actors.Global))
}

func TestRouting(t *testing.T) {
	s := start(t, troupe.Config{}, declareRoutes)
	tests := []struct {
		name       string
		method     string
		path       string
		header     []string
		wantStatus int
		wantBody   string
		wantTrace  string // X-Trace, stages in execution order
		wantAllow  string
	}{
		{name: "param", method: "GET", path: "/items/42", wantStatus: 200, wantBody: "item id=42", wantTrace: "global, late"},
		{name: "wildcard", method: "GET", path: "/files/a/b/c.txt", wantStatus: 200, wantBody: "files path=a/b/c.txt"},
		{name: "HEAD answers like GET", method: "HEAD", path: "/items/1", wantStatus: 200},
		{name: "404", method: "GET", path: "/nope", wantStatus: 404},
		{name: "405 with Allow", method: "DELETE", path: "/items", wantStatus: 405, wantAllow: "POST, OPTIONS"},
		{name: "group stage", method: "GET", path: "/admin/users/7", header: []string{"X-Key", "secret"}, wantStatus: 200, wantBody: "admin-user id=7", wantTrace: "global, admin-key, late"},
		{name: "group stage denies", method: "GET", path: "/admin/users/7", wantStatus: 401},
		{
			// Priorities order the stages whatever the nesting: the route's
			// own global stage runs first, the auth stage before the
			// preprocessing one, the terminating one last.
			name: "nested group with priorities", method: "GET", path: "/admin/audit/log", header: []string{"X-Key", "secret"},
			wantStatus: 200, wantBody: "audit-log", wantTrace: "global, route-only, admin-key, audit, late",
		},
		{name: "nested group inherits auth", method: "GET", path: "/admin/audit/log", wantStatus: 401},
		{name: "trailing slash", method: "GET", path: "/items/42/", wantStatus: 200, wantBody: "item id=42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(t, tt.method, tt.path, "", tt.header...)
			if r.status != tt.wantStatus {
				t.Fatalf("%s %s: status %d, want %d (body %s)", tt.method, tt.path, r.status, tt.wantStatus, r.body)
			}
			if tt.wantBody != "" && r.body != tt.wantBody {
				t.Errorf("%s %s: body %q, want %q", tt.method, tt.path, r.body, tt.wantBody)
			}
			if tt.wantTrace != "" {
				if got := strings.Join(r.header.Values("X-Trace"), ", "); got != tt.wantTrace {
					t.Errorf("%s %s: stages %q, want %q", tt.method, tt.path, got, tt.wantTrace)
				}
			}
			if tt.wantAllow != "" && r.header.Get("Allow") != tt.wantAllow {
				t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, r.header.Get("Allow"), tt.wantAllow)
			}
		})
	}
}

func TestMalformedPathIs400(t *testing.T) {
	s := start(t, troupe.Config{}, declareRoutes)
	for _, path := range []string{"/items/%zz", "/items/%00", "/items/%4"} {
		if status, body := rawGet(t, s, path); status != http.StatusBadRequest {
			t.Errorf("GET %s: status %d %s, want 400", path, status, body)
		}
	}
}

// No spelling of a path reaches an /admin route without the admin group's
// auth stage. Paths are sent as raw request lines, so that no client
// cleans them first.
func TestPathTricksNeverSkipGroupStages(t *testing.T) {
	s := start(t, troupe.Config{}, declareRoutes)
	tricks := []string{
		"/admin/users/7",
		"//admin/users/7",
		"/./admin/users/7",
		"/public/../admin/users/7",
		"/public/%2e%2e/admin/users/7",
		"/public/%2E%2e/admin/users/7",
		"/public/..%2Fadmin/users/7",
		"/admin%2Fusers/7",
		"/admin/users/7/",
		"/admin//users/7",
		"/admin/./users/7",
		"/admin/audit/../users/7",
		"/Admin/users/7",
		"/%61dmin/users/7",
		"/public/x/../../admin/users/7",
	}
	for _, path := range tricks {
		t.Run(path, func(t *testing.T) {
			status, body := rawGet(t, s, path)
			if status >= 200 && status < 300 && strings.HasPrefix(body, "admin-user") {
				t.Fatalf("GET %s without a key reached the admin route: %d %s", path, status, body)
			}
			if status >= 500 {
				t.Fatalf("GET %s: status %d", path, status)
			}
		})
	}
}

// rawGet sends path exactly as it is on the request line, over a raw TCP
// connection: no client cleans it (Go's client would read "//admin" as an
// authority). header holds name, value pairs.
func rawGet(t *testing.T, s *server, path string, header ...string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var req strings.Builder
	req.WriteString("GET " + path + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n")
	for i := 0; i+1 < len(header); i += 2 {
		req.WriteString(header[i] + ": " + header[i+1] + "\r\n")
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(conn, req.String()); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestBodyLimit(t *testing.T) {
	s := start(t, troupe.Config{HTTP: httpin.Config{MaxBodyBytes: 16}}, func(app *troupe.App) {
		app.Handle("POST", "/small", echoRoute("small")).MaxBodyBytes(4)
		app.Handle("POST", "/default", echoRoute("default"))
	})
	tests := []struct {
		name, path, body string
		want             int
	}{
		{"route limit", "/small", "12345", http.StatusRequestEntityTooLarge},
		{"within route limit", "/small", "1234", http.StatusOK},
		{"server default", "/default", strings.Repeat("x", 17), http.StatusRequestEntityTooLarge},
		{"within default", "/default", strings.Repeat("x", 16), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := s.do(t, "POST", tt.path, tt.body); r.status != tt.want {
				t.Errorf("POST %s with %d bytes: status %d, want %d", tt.path, len(tt.body), r.status, tt.want)
			}
		})
	}
	t.Run("chunked over the limit", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", s.url+"/small", strings.NewReader("123456789"))
		req.ContentLength = -1 // unknown length: sent chunked
		r, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked body: status %d, want 413", r.StatusCode)
		}
	})
}

// An app mounts as an http.Handler, and ordinary net/http middleware wraps
// its ingress.
func TestMountAsHandlerWithMiddleware(t *testing.T) {
	app := troupe.New(troupe.Config{}, troupe.WithLogger(nopLogger()), troupe.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Outer", "yes")
			next.ServeHTTP(w, r)
		})
	}))
	app.Handle("GET", "/hello", echoRoute("hello"))
	h, err := app.Handler()
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close(t.Context())
	mux := http.NewServeMux()
	mux.Handle("/troupe/", http.StripPrefix("/troupe", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL + "/troupe/hello")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || string(b) != "hello" || res.Header.Get("X-Outer") != "yes" {
		t.Errorf("mounted: %d %q X-Outer=%q, want 200 \"hello\" yes", res.StatusCode, b, res.Header.Get("X-Outer"))
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name    string
		declare func(app *troupe.App)
		want    string
	}{
		{"no routes", func(*troupe.App) {}, "no routes"},
		{"duplicate route", func(app *troupe.App) {
			app.Handle("GET", "/a", echoRoute("a"))
			app.Handle("GET", "/a", echoRoute("b"))
		}, "already registered"},
		{"two stages one name", func(app *troupe.App) {
			app.Use(mark("same", actors.Global))
			app.Handle("GET", "/a", echoRoute("a")).With(mark("same", actors.Global))
		}, `two different stages are named "same"`},
		{"bad pattern", func(app *troupe.App) { app.Handle("GET", "/a/{", echoRoute("a")) }, "route GET /a/{"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := troupe.New(troupe.Config{}, troupe.WithLogger(nopLogger()))
			tt.declare(app)
			_, err := app.Handler()
			if err == nil {
				_ = app.Close(t.Context())
				t.Fatalf("Handler() = nil error, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Handler() = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestStackWith(t *testing.T) {
	a, b, c := mark("a", actors.Global), mark("b", actors.Global), mark("c", actors.Global)
	public := troupe.Stack{a}
	api := public.With(b)
	admin := api.With(c)
	if len(public) != 1 || len(api) != 2 || len(admin) != 3 || admin[2] != c || api[1] != b {
		t.Errorf("stacks: public %d, api %d, admin %d stages; want 1, 2, 3 in order", len(public), len(api), len(admin))
	}
}

// OPTIONS: a plain one is answered 204 with Allow; a CORS preflight runs the
// stages of the route it asks about (so a CORS stage can answer it) but
// never the handler.
func TestOptionsAndPreflight(t *testing.T) {
	var handled int
	preflightAnswerer := troupe.Stage("cors-like", actors.Global, actors.StageFunc(func(ex *actors.Exchange) error {
		if ex.Preflight() && ex.Request.Header.Get("Origin") == "https://ok.example" {
			ex.Response.Header().Set("Access-Control-Allow-Origin", "https://ok.example")
			ex.Respond(http.StatusNoContent, "", nil)
		}
		return nil
	}))
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		api := app.Group("/api", preflightAnswerer)
		api.Handle("PUT", "/items/{id}", troupe.Handler("put", func(ex *actors.Exchange) error {
			handled++
			ex.Respond(http.StatusOK, "", nil)
			return nil
		}))
	})
	tests := []struct {
		name      string
		header    []string
		want      int
		wantAllow string
		wantACAO  string
	}{
		{"plain OPTIONS", nil, http.StatusNoContent, "PUT, OPTIONS", ""},
		{"preflight answered by the stage", []string{"Origin", "https://ok.example", "Access-Control-Request-Method", "PUT"}, http.StatusNoContent, "", "https://ok.example"},
		{"preflight no stage answers", []string{"Origin", "https://other.example", "Access-Control-Request-Method", "PUT"}, http.StatusNoContent, "PUT, OPTIONS", ""},
		{"preflight for a method the path lacks", []string{"Origin", "https://ok.example", "Access-Control-Request-Method", "DELETE"}, http.StatusNoContent, "PUT, OPTIONS", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(t, "OPTIONS", "/api/items/1", "", tt.header...)
			if r.status != tt.want || r.header.Get("Allow") != tt.wantAllow || r.header.Get("Access-Control-Allow-Origin") != tt.wantACAO {
				t.Errorf("OPTIONS = %d Allow %q ACAO %q; want %d %q %q", r.status, r.header.Get("Allow"), r.header.Get("Access-Control-Allow-Origin"), tt.want, tt.wantAllow, tt.wantACAO)
			}
		})
	}
	if handled != 0 {
		t.Errorf("the handler ran %d times for OPTIONS requests, want 0", handled)
	}
}

// The request id is set under its canonical header key, so that net/http
// middleware around troupe reads it with Header().Get.
func TestRequestIDVisibleToOuterMiddleware(t *testing.T) {
	var seen string
	app := troupe.New(troupe.Config{}, troupe.WithLogger(nopLogger()), troupe.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			seen = w.Header().Get("X-Request-ID")
		})
	}))
	app.Handle("GET", "/x", echoRoute("x"))
	h, err := app.Handler()
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close(t.Context())
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil))
	if seen == "" {
		t.Error("outer middleware sees no X-Request-ID")
	}
}

// What the ingress turns away itself — a path no route has, a method the
// route lacks, a body too large — passes through the global stages like
// any answer: their headers (security headers, CORS, a request's trace)
// and their after-phases (the access log) apply to it too.
func TestIngressRejectionsPassTheGlobalStages(t *testing.T) {
	var after atomic.Int64
	counting := troupe.Stage("counting", actors.Global, actors.Around(
		func(*actors.Exchange) error { return nil },
		func(*actors.Exchange) { after.Add(1) }))
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Use(mark("outer", actors.Global), counting)
		app.Handle("POST", "/small", ok("small")).MaxBodyBytes(4)
	})
	tests := []struct {
		name, method, path, body string
		want                     int
		wantAllow                string
	}{
		{name: "no route", method: "GET", path: "/nope", want: http.StatusNotFound},
		{name: "wrong method", method: "DELETE", path: "/small", want: http.StatusMethodNotAllowed, wantAllow: "POST, OPTIONS"},
		{name: "body too large", method: "POST", path: "/small", body: "too large", want: http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := after.Load()
			r := s.do(t, tt.method, tt.path, tt.body)
			if r.status != tt.want || r.header.Get("X-Trace") != "outer" || r.header.Get("Allow") != tt.wantAllow {
				t.Errorf("%s %s = %d, X-Trace %q, Allow %q; want %d with the global stage's header and Allow %q",
					tt.method, tt.path, r.status, r.header.Get("X-Trace"), r.header.Get("Allow"), tt.want, tt.wantAllow)
			}
			if !strings.Contains(r.body, `"request_id":"`+r.header.Get("X-Request-ID")+`"`) {
				t.Errorf("body %s lacks the request id", r.body)
			}
			if got := after.Load() - before; got != 1 {
				t.Errorf("the global after-phase ran %d times, want 1", got)
			}
		})
	}
}

// A route whose stage is down is refused (503, Retry-After) through the
// global stages too: the same headers and after-phases as any answer.
func TestStageDownPassesTheGlobalStages(t *testing.T) {
	var after atomic.Int64
	counting := troupe.Stage("counting", actors.Global, actors.Around(
		func(*actors.Exchange) error { return nil },
		func(*actors.Exchange) { after.Add(1) }))
	crashing := troupe.Stage("crashing", actors.Business, actors.StageFunc(func(*actors.Exchange) error { panic("crash") }))
	cfg := troupe.Config{Policies: map[string]supervisor.Policy{"crashing": {MaxRestarts: 1, Window: time.Minute, Backoff: time.Minute}}}
	s := start(t, cfg, func(app *troupe.App) {
		app.Use(mark("outer", actors.Global), counting)
		app.Handle("GET", "/fragile", ok("fragile")).With(crashing)
	})
	for range 2 { // more than MaxRestarts within the window: down
		if r := s.do(t, "GET", "/fragile", ""); r.status != http.StatusInternalServerError {
			t.Fatalf("crash: %d, want 500", r.status)
		}
	}
	before := after.Load()
	r := s.do(t, "GET", "/fragile", "")
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || r.header.Get("X-Trace") != "outer" {
		t.Errorf("while down: %d, Retry-After %q, X-Trace %q; want 503 with Retry-After and the global stage's header", r.status, r.header.Get("Retry-After"), r.header.Get("X-Trace"))
	}
	if got := after.Load() - before; got != 1 {
		t.Errorf("the global after-phase ran %d times, want 1", got)
	}
}
