package troupe_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// server is a running app on loopback, with a client that talks to it.
type server struct {
	app    *troupe.App
	url    string
	admin  string
	client *http.Client
}

// start runs app on 127.0.0.1 with an admin listener, and shuts it down
// when the test ends.
func start(t *testing.T, cfg troupe.Config, declare func(app *troupe.App), opts ...troupe.Option) *server {
	t.Helper()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Admin.Addr = "127.0.0.1:0"
	opts = append([]troupe.Option{troupe.WithLogger(zap.NewNop())}, opts...)
	app := troupe.New(cfg, opts...)
	declare(app)
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	s := &server{app: app, url: "http://" + app.Addr().String(), admin: "http://" + app.AdminAddr().String(), client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// Idle client connections first: a connection opened and never used
		// counts as active to the server, and Shutdown would wait for it.
		tr.CloseIdleConnections()
		_ = app.Shutdown(ctx) // a no-op when the test shut the app down itself
	})
	return s
}

// response is what a request got back.
type response struct {
	status int
	header http.Header
	body   string
	took   time.Duration
	closed bool // the server said it closes the connection (Connection: close)
}

func (s *server) do(t *testing.T, method, path string, body string, header ...string) response {
	t.Helper()
	r, err := s.try(t.Context(), method, path, body, header...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func (s *server) try(ctx context.Context, method, path string, body string, header ...string) (response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.url+path, rd)
	if err != nil {
		return response{}, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	begin := time.Now()
	res, err := s.client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, err
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b), took: time.Since(begin), closed: res.Close}, nil
}

func (s *server) adminGet(t *testing.T, path string) response {
	t.Helper()
	res, err := s.client.Get(s.admin + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

// ok is a pure handler answering 200 "ok".
func ok(name string) *actors.Spec {
	return troupe.Handler(name, func(ex *actors.Exchange) error {
		ex.Respond(http.StatusOK, "text/plain", []byte("ok"))
		return nil
	})
}

// mark is a pure stage that appends its name to the X-Trace response header.
func mark(name string, p actors.Priority) *actors.Spec {
	return troupe.Stage(name, p, actors.StageFunc(func(ex *actors.Exchange) error {
		ex.Response.Header().Add("X-Trace", name)
		return nil
	}))
}

func nopLogger() *zap.Logger { return zap.NewNop() }

// waitFor polls cond until it holds, and fails the test after 10 s. It is
// for state the test can only observe from outside (a metric, a count).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
