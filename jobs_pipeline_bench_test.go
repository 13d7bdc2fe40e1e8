package troupe

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/jobs"
	"github.com/troupe-go/troupe/jobs/sqlitestore"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// BenchmarkJobPipeline is one job attempt's trip through its queue's
// pipeline, without a store or a runner: the exchange jobHandler builds
// for it and Itinerary.Serve along the queue's stages to a handler that
// answers "sent" ("pipeline"); the same with no stage ("pipeline-bare");
// and, against them, the handler's work as a plain function called
// directly ("direct"). The stages do what the default configuration's
// access_log and timeout do — a zap JSON line (to io.Discard) once the
// answer is written, and a shorter deadline — written here because this
// package's tests cannot import the stage packages (they import the
// config package, which imports this one); bench's BenchmarkJobs runs the
// real ones. It is internal to the package because jobHandler is: the
// runner calls it on each attempt's goroutine, as here.
func BenchmarkJobPipeline(b *testing.B) {
	result := []byte("sent")
	direct := func(context.Context, *jobs.Job) ([]byte, error) { return result, nil }
	j := &jobs.Job{ID: 1, Queue: "mail", Attempt: 1, Payload: []byte(`{"to":"ada@example.com","template":"welcome"}`)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour) // an attempt's context has a deadline
	defer cancel()
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := direct(ctx, j); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, withStages := range []bool{true, false} {
		name := "pipeline"
		if !withStages {
			name = "pipeline-bare"
		}
		b.Run(name, func(b *testing.B) {
			h := benchJobHandler(b, withStages, result)
			b.ReportAllocs()
			for b.Loop() {
				if out, err := h(ctx, j); err != nil || len(out) != len(result) {
					b.Fatalf("handler = %q, %v", out, err)
				}
			}
		})
	}
}

// benchJobHandler starts an app with one queue, its handler answering
// result, behind an access log and a timeout if withStages, and returns
// the queue's jobs.Handler, planned over the running app's hops.
func benchJobHandler(b *testing.B, withStages bool, result []byte) jobs.Handler {
	b.Helper()
	store, err := sqlitestore.Open(b.Context(), filepath.Join(b.TempDir(), "jobs.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	app := New(Config{HTTP: httpin.Config{Addr: "127.0.0.1:0"}, Admin: AdminConfig{Addr: "off"}},
		WithLogger(zap.NewNop()), WithJobStore(store))
	if withStages {
		log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel))
		app.Use(
			&actors.Spec{Name: "access-log", Kind: actors.Stateless, Priority: actors.Global, Stage: benchLogStage{log}},
			Stage("job-timeout", actors.Global, actors.StageFunc(func(ex *actors.Exchange) error {
				ex.Shorten(ex.Start.Add(30 * time.Second))
				return nil
			})))
	}
	app.EnqueueRoute("/mail", "mail")
	q := app.Queue(jobs.Queue{Name: "mail", Poll: time.Hour}, Handler("send", func(ex *actors.Exchange) error {
		ex.Respond(http.StatusOK, "text/plain", result)
		return nil
	}))
	if err := app.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Shutdown(ctx); err != nil {
			b.Error(err)
		}
	})
	// Planned again over the running generation's hops, as a reload
	// plans: the itinerary is the one the runner's handler serves along.
	p := &planner{app: app, specs: map[string]*actors.Spec{}, hops: map[string]*pipeline.Hop{}, prev: app.live.hopsByKey()}
	it, err := p.itinerary(q.route)
	if err != nil {
		b.Fatal(err)
	}
	return jobHandler(it, q.route.pattern)
}

// benchLogStage logs each exchange once its answer is written, with the
// access log's fields.
type benchLogStage struct{ log *zap.Logger }

func (benchLogStage) Process(*actors.Exchange) error { return nil }

func (s benchLogStage) After(ex *actors.Exchange) {
	status, start := ex.Response.Status, ex.Start
	ex.Response.OnWritten(func(n int64, _ error) {
		s.log.Info("request", zap.String("request_id", ex.RequestID), zap.String("method", ex.Request.Method),
			zap.String("route", ex.Route), zap.String("path", ex.Path), zap.Int("status", status),
			zap.Int64("bytes", n), zap.Duration("duration", time.Since(start)))
	})
}
