package troupe

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/adminjson"
	"github.com/troupe-go/troupe/jobs"
	"go.uber.org/zap"
)

// addJobAdminRoutes puts the dead letters on the admin listener:
//
//	GET  /jobs/dead?queue=Q&limit=N   the dead jobs, oldest first (limit 100 by default, at most 1000),
//	                                  each with every failed attempt's error (errors: [{attempt, at, error}])
//	POST /jobs/{id}/replay            queue a dead or cancelled job again (200 with the job)
//
// Errors are problem+json documents: 404 for an unknown job, 409 for one
// that is not dead or cancelled, 400 for a bad limit, 405 with
// Allow for another method. The live page lists the same dead jobs, with
// a button that posts the replay.
func (a *App) addJobAdminRoutes() {
	a.AdminHandle("/jobs/dead", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			adminjson.MethodNotAllowed(w, r, "GET, HEAD")
			return
		}
		q := r.URL.Query()
		limit := 100
		if s := q.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 1000 {
				writeProblem(w, r, http.StatusBadRequest, "limit must be a whole number from 1 to 1000")
				return
			}
			limit = n
		}
		dead, err := a.jobs.Store().Dead(r.Context(), q.Get("queue"), limit)
		if err != nil {
			a.log.Error("listing dead jobs", zap.Error(err))
			writeProblem(w, r, http.StatusInternalServerError, "listing dead jobs failed")
			return
		}
		if dead == nil {
			dead = []jobs.Job{}
		}
		writeJSON(w, http.StatusOK, dead)
	}))
	a.AdminHandle("/jobs/{id}/replay", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			adminjson.MethodNotAllowed(w, r, "POST")
			return
		}
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			writeProblem(w, r, http.StatusNotFound, "no such job")
			return
		}
		j, err := a.jobs.Replay(r.Context(), id)
		switch {
		case errors.Is(err, jobs.ErrNotFound):
			writeProblem(w, r, http.StatusNotFound, "no such job")
		case errors.Is(err, jobs.ErrState):
			writeProblem(w, r, http.StatusConflict, "only a dead or cancelled job can be replayed")
		case err != nil:
			a.log.Error("replaying a job", zap.Int64("job", id), zap.Error(err))
			writeProblem(w, r, http.StatusInternalServerError, "replaying the job failed")
		default:
			writeJSON(w, http.StatusOK, j)
		}
	}))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeProblem(w http.ResponseWriter, r *http.Request, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_, _ = w.Write(actors.ProblemBody(status, detail, r.URL.Path, ""))
}

// WithJobAlertWebhook makes the app post each job that dies, as JSON, to
// url, once per death (see jobs.Webhook). The webhook runs as a component
// of the app, stopped after the runner, so that a job that dies while the
// runner stops is still posted.
func WithJobAlertWebhook(url string) Option {
	return optionFunc(func(a *App) { a.jobWebhook = url })
}

// webhookComponent runs a jobs.Webhook as a component.
type webhookComponent struct{ w *jobs.Webhook }

func (c webhookComponent) Start(*actors.System) error     { return c.w.Start() }
func (c webhookComponent) Stop(ctx context.Context) error { return c.w.Stop(ctx) }
