package envelope_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/envelope"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start runs an app declared by declare on 127.0.0.1 (no admin listener)
// and returns its base URL; it shuts down when the test ends.
func start(t *testing.T, declare func(app *troupe.App)) string {
	t.Helper()
	var cfg troupe.Config
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Admin.Addr = "off"
	app := troupe.New(cfg, troupe.WithLogger(zap.NewNop()))
	declare(app)
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	return "http://" + app.Addr().String()
}

// reply is what one request got.
type reply struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, url, requestID string, header ...string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Request-ID", requestID)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: res.StatusCode, header: res.Header, body: string(b)}
}

// failing is a stage that ends every request with the error its route's
// {status} parameter names: actors.NewError(status, "detail STATUS"), with
// a Retry-After of 2s when the query says retry=1.
func failing() *actors.Spec {
	return troupe.Stage("fail", actors.Business, actors.StageFunc(func(ex *actors.Exchange) error {
		status, err := strconv.Atoi(ex.Params.Get("status"))
		if err != nil {
			return actors.NewError(http.StatusBadRequest, "status must be a number")
		}
		e := actors.NewError(status, fmt.Sprintf("detail %d", status))
		if ex.Request.URL.Query().Get("retry") == "1" {
			e.RetryAfter = 2 * time.Second
		}
		return e
	}))
}

// errSecret is what a stage might return from a failed database call.
var errSecret = errors.New(`pq: password authentication failed for user "admin" at 10.0.0.5`)

// errorApp declares the same failing routes under /plain and, with an
// envelope, under /env.
func errorApp(app *troupe.App) {
	ok := troupe.Handler("ok", func(ex *actors.Exchange) error { return ex.JSON(http.StatusOK, "never") })
	oops := troupe.Stage("oops", actors.Business, actors.StageFunc(func(ex *actors.Exchange) error { return errSecret }))
	fail := failing()
	env, _ := envelope.New("envelope", envelope.Config{}) // it never fails
	for _, g := range []*troupe.Group{app.Group("/plain"), app.Group("/env", env)} {
		g.Handle("GET", "/fail/{status}", ok).With(fail)
		g.Handle("GET", "/oops", ok).With(oops)
	}
}

// problemJSON is the problem document troupe answers status with.
func problemJSON(status int, detail, instance, id string) string {
	d := ""
	if detail != "" {
		d = fmt.Sprintf(`"detail":%q,`, detail)
	}
	return fmt.Sprintf(`{"type":"about:blank","title":%q,"status":%d,%s"instance":%q,"request_id":%q}`,
		http.StatusText(status), status, d, instance, id)
}

// TestErrorStatuses checks that every status a stage picks with
// actors.NewError comes out as one problem+json body of the same shape,
// carrying the request id, with or without an envelope.
func TestErrorStatuses(t *testing.T) {
	url := start(t, errorApp)
	tests := []struct {
		status    int
		query     string
		wantRetry string
	}{
		{status: 400}, {status: 401}, {status: 403}, {status: 404}, {status: 409}, {status: 413}, {status: 415},
		{status: 422}, {status: 429, query: "?retry=1", wantRetry: "2"}, {status: 500}, {status: 502},
		{status: 503, query: "?retry=1", wantRetry: "2"}, {status: 504},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			id := fmt.Sprintf("req-%d", tt.status)
			path := fmt.Sprintf("/plain/fail/%d", tt.status)
			wantProblem := problemJSON(tt.status, fmt.Sprintf("detail %d", tt.status), path, id)
			got := get(t, url+path+tt.query, id)
			if got.status != tt.status || got.header.Get("Content-Type") != actors.ProblemContentType || got.body != wantProblem {
				t.Errorf("GET %s = %d %q %s; want %d %q %s", path, got.status, got.header.Get("Content-Type"), got.body, tt.status, actors.ProblemContentType, wantProblem)
			}
			if got.header.Get("X-Request-ID") != id || got.header.Get("Retry-After") != tt.wantRetry {
				t.Errorf("GET %s: X-Request-ID %q Retry-After %q; want %q %q", path, got.header.Get("X-Request-ID"), got.header.Get("Retry-After"), id, tt.wantRetry)
			}

			envPath := fmt.Sprintf("/env/fail/%d", tt.status)
			wantEnvelope := fmt.Sprintf(`{"data":null,"error":%s,"request_id":%q}`, problemJSON(tt.status, fmt.Sprintf("detail %d", tt.status), envPath, id), id)
			got = get(t, url+envPath+tt.query, id)
			if got.status != tt.status || got.header.Get("Content-Type") != "application/json" || got.body != wantEnvelope {
				t.Errorf("GET %s = %d %q %s; want %d application/json %s", envPath, got.status, got.header.Get("Content-Type"), got.body, tt.status, wantEnvelope)
			}
			if got.header.Get("Retry-After") != tt.wantRetry {
				t.Errorf("GET %s: Retry-After %q, want %q", envPath, got.header.Get("Retry-After"), tt.wantRetry)
			}
		})
	}
}

// TestPlainErrorIs500 checks that an error that is not an *actors.Error
// is a 500 whose body says nothing of it.
func TestPlainErrorIs500(t *testing.T) {
	url := start(t, errorApp)
	tests := []struct {
		path string
		want string
	}{
		{path: "/plain/oops", want: problemJSON(500, "", "/plain/oops", "req-oops")},
		{path: "/env/oops", want: `{"data":null,"error":` + problemJSON(500, "", "/env/oops", "req-oops") + `,"request_id":"req-oops"}`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got := get(t, url+tt.path, "req-oops")
			if got.status != 500 || got.body != tt.want {
				t.Errorf("GET %s = %d %s, want 500 %s", tt.path, got.status, got.body, tt.want)
			}
			if strings.Contains(got.body, "password") || strings.Contains(got.body, "10.0.0.5") {
				t.Errorf("GET %s leaks the error: %s", tt.path, got.body)
			}
		})
	}
}

// TestWrappedErrorDetail pins what a wrapped *actors.Error should give:
// its status and its own detail, not the text of the errors around it
// (which is where callers put internals: "loading user 42 from shard-7").
func TestWrappedErrorDetail(t *testing.T) {
	url := start(t, func(app *troupe.App) {
		app.Handle("GET", "/wrapped", troupe.Handler("h", func(ex *actors.Exchange) error {
			return fmt.Errorf("loading user 42 from shard-7: %w", actors.NewError(http.StatusNotFound, "no such user"))
		}))
	})
	got := get(t, url+"/wrapped", "req-w")
	if want := problemJSON(404, "no such user", "/wrapped", "req-w"); got.status != 404 || got.body != want {
		t.Errorf("GET /wrapped = %d %s, want 404 %s", got.status, got.body, want)
	}
}
