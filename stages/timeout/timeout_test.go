package timeout_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/stages/timeout"
	"github.com/troupe-go/troupe/stagetest"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newStage(t *testing.T, name string, d time.Duration) *actors.Spec {
	t.Helper()
	st, err := timeout.New(name, timeout.Config{Timeout: d})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Stage.(*timeout.Stage); !ok {
		t.Fatalf("New: Stage is a %T, want a *timeout.Stage", st.Stage)
	}
	return st
}

// The deadline comes down to Start + timeout, never up, and the handler's
// context carries whichever deadline stands.
func TestDeadline(t *testing.T) {
	tests := []struct {
		name      string
		timeout   time.Duration
		route     time.Duration // the deadline the exchange arrives with, from Start
		elapsed   time.Duration // how long before the stage runs the request started
		earlyCtx  bool          // an earlier stage made the context before the timeout stage ran
		wantAfter time.Duration // the deadline after the stage, from Start
	}{
		{name: "lowers the route's deadline", timeout: time.Second, route: 10 * time.Second, wantAfter: time.Second},
		{name: "a shorter route deadline stands", timeout: 5 * time.Second, route: 2 * time.Second, wantAfter: 2 * time.Second},
		{name: "equal deadlines", timeout: 2 * time.Second, route: 2 * time.Second, wantAfter: 2 * time.Second},
		{name: "counts from the start", timeout: time.Second, route: 10 * time.Second, elapsed: 500 * time.Millisecond, wantAfter: time.Second},
		{name: "a context made earlier is replaced", timeout: time.Second, route: 10 * time.Second, earlyCtx: true, wantAfter: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var start, ctxDeadline time.Time
			setup := stagetest.WithSetup(func(ex *actors.Exchange) {
				start = time.Now().Add(-tt.elapsed)
				ex.Start, ex.Deadline = start, start.Add(tt.route)
				if tt.earlyCtx {
					ex.Context()
				}
			})
			handler := stagetest.WithHandler(func(ex *actors.Exchange) error {
				ctxDeadline, _ = ex.Context().Deadline()
				ex.Respond(http.StatusOK, "", nil)
				return nil
			})
			out := stagetest.RunSpec(t, newStage(t, "timeout", tt.timeout), httptest.NewRequest(http.MethodGet, "/", nil), setup, handler)
			if out.Status != http.StatusOK {
				t.Fatalf("status %d %s, want 200", out.Status, out.Body)
			}
			if got := out.Exchange.Deadline.Sub(start); got != tt.wantAfter {
				t.Errorf("Deadline = Start + %s, want Start + %s", got, tt.wantAfter)
			}
			if got := ctxDeadline.Sub(start); got != tt.wantAfter {
				t.Errorf("Context().Deadline() = Start + %s, want Start + %s", got, tt.wantAfter)
			}
		})
	}
}

// A request that reaches the stage past Start + timeout gets 504 at once:
// the handler does not run.
func TestAlreadyExpired(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		elapsed time.Duration
	}{
		{name: "well past", timeout: time.Second, elapsed: time.Minute},
		{name: "just past", timeout: time.Second, elapsed: time.Second + time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setup := stagetest.WithSetup(func(ex *actors.Exchange) {
				ex.Start = time.Now().Add(-tt.elapsed)
				ex.Deadline = ex.Start.Add(time.Hour)
			})
			out := stagetest.RunSpec(t, newStage(t, "timeout", tt.timeout), httptest.NewRequest(http.MethodGet, "/", nil), setup)
			if out.Status != http.StatusGatewayTimeout || out.HandlerRan || !strings.Contains(string(out.Body), "did not complete within 1s") {
				t.Errorf("status %d (handler ran: %v) %s, want 504 without the handler", out.Status, out.HandlerRan, out.Body)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		if _, err := timeout.New("timeout", timeout.Config{Timeout: d}); err == nil {
			t.Errorf("New(%s) = nil error, want one", d)
		}
	}
}

// Over HTTP: the ingress answers 504 at the stage's deadline, not the
// route's, and the handler sees it in its context; a fast route of the
// same group is unaffected; the shortest of two timeout stages wins.
func TestOverHTTP(t *testing.T) {
	const short = 100 * time.Millisecond
	app := troupe.New(troupe.Config{HTTP: httpin.Config{Addr: "127.0.0.1:0", RequestTimeout: 10 * time.Second}, Admin: troupe.AdminConfig{Addr: "off"}}, troupe.WithLogger(zap.NewNop()))
	app.Use(newStage(t, "global-timeout", 5*time.Second))
	g := app.Group("/g", newStage(t, "group-timeout", short))
	sawDeadline := make(chan time.Duration, 1) // one slow request
	g.GET("/slow", func(ex *actors.Exchange) error {
		d, _ := ex.Context().Deadline()
		sawDeadline <- d.Sub(ex.Start)
		<-ex.Context().Done()
		return ex.Context().Err()
	})
	g.GET("/fast", func(ex *actors.Exchange) error {
		ex.Respond(http.StatusOK, "text/plain", []byte("ok"))
		return nil
	})
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		app.Shutdown(ctx)
	})
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	get := func(path string) (int, time.Duration) {
		begin := time.Now()
		res, err := client.Get("http://" + app.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, time.Since(begin)
	}

	status, took := get("/g/slow")
	if status != http.StatusGatewayTimeout || took < short || took > short+2*time.Second {
		t.Errorf("GET /g/slow = %d after %s, want 504 after about %s", status, took, short)
	}
	if d := <-sawDeadline; d != short {
		t.Errorf("the handler's context deadline = Start + %s, want Start + %s", d, short)
	}
	if status, _ := get("/g/fast"); status != http.StatusOK {
		t.Errorf("GET /g/fast = %d, want 200", status)
	}
}

// parse parses a config whose stage "t" has the given options and which
// one route uses.
func parse(options string) (*config.Config, error) {
	reg := &config.Registry{}
	timeout.Register(reg)
	reg.RegisterHandler("ok", config.Kind{New: func(string, config.Options) (*actors.Spec, error) {
		return &actors.Spec{Kind: actors.Stateless, Stage: actors.StageFunc(func(*actors.Exchange) error { return nil })}, nil
	}})
	src := "stages:\n  t:\n    kind: timeout\n    options: " + options + "\nroutes:\n  - {method: GET, path: /, handler: ok, stages: [t]}\n"
	return config.Parse("x.yaml", []byte(src), reg)
}

func TestRegister(t *testing.T) {
	cfg, err := parse("{timeout: 800ms}")
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.Stages["t"]; s.Kind != actors.Stateless || s.Priority != actors.Global {
		t.Errorf("spec = %s %s, want pure global", s.Kind, s.Priority)
	}
}

func TestRegisterRejects(t *testing.T) {
	tests := []struct {
		name    string
		options string
		want    string
	}{
		{name: "missing", options: "{}", want: "x.yaml:4: timeout: option timeout must be a positive duration"},
		{name: "negative", options: "{timeout: -1s}", want: "x.yaml:4"},
		{name: "unknown", options: "{timeout: 1s, after: 2s}", want: `unknown option "after"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(tt.options)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%s) = %v, want an error containing %q", tt.options, err, tt.want)
			}
		})
	}
}
