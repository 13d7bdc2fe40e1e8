package troupe

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/jobs"
)

// EnqueueRoute adds a POST route on pattern whose handler enqueues the
// request's body as a job of queue, and answers 202 Accepted with
// Location: /jobs/{id} (see JobRoutes) and the job. The route's stages run
// first, like any route's; its body limit (413) bounds the payload.
//
// An Idempotency-Key header makes a repeat with the same key and the same
// body answer 202 with the job the first request made; the same key with
// a different body is answered 422 Unprocessable Content, as the IETF's
// Idempotency-Key draft says: the request is well-formed, but the key is
// bound to another payload. A queue at its budget (max_queued) answers 503
// with Retry-After.
func (g *Group) EnqueueRoute(pattern, queue string) *Route {
	a := g.app
	a.enqueues = append(a.enqueues, queue)
	name := "enqueue " + joinPath(g.prefix, pattern)
	return g.Handle(http.MethodPost, pattern, Handler(name, func(ex *actors.Exchange) error {
		if a.jobs == nil {
			return actors.NewError(http.StatusServiceUnavailable, "jobs are not running")
		}
		key := ex.Request.Header.Get("Idempotency-Key")
		if len(key) > 255 {
			return actors.NewError(http.StatusBadRequest, "Idempotency-Key is longer than 255 bytes")
		}
		j, _, err := a.jobs.Enqueue(ex.Context(), queue, ex.Body, jobs.EnqueueOptions{IdempotencyKey: key})
		switch {
		case errors.Is(err, jobs.ErrConflict):
			return &actors.Error{Status: http.StatusUnprocessableEntity, Detail: "Idempotency-Key was used with a different body", Err: err}
		case errors.Is(err, jobs.ErrPayloadTooLarge):
			return &actors.Error{Status: http.StatusRequestEntityTooLarge, Detail: "the body is larger than queue " + queue + " takes", Err: err}
		case errors.Is(err, jobs.ErrQueueFull):
			return &actors.Error{Status: http.StatusServiceUnavailable, Detail: "queue " + queue + " is full", RetryAfter: time.Second, Err: err}
		case err != nil:
			return err
		}
		ex.Response.Header().Set("Location", a.jobPath(j.ID))
		return ex.JSON(http.StatusAccepted, j)
	}))
}

// EnqueueRoute adds a top-level enqueue route; see Group.EnqueueRoute.
func (a *App) EnqueueRoute(pattern, queue string) *Route { return a.root.EnqueueRoute(pattern, queue) }

// JobRoutes adds GET and DELETE routes on prefix + "/{id}" (prefix
// "/jobs" if empty): GET shows a job (queued, running, succeeded with its
// result, its failed attempts' errors, dead or cancelled); DELETE cancels
// a queued or running one (a running attempt's context is cancelled), 409
// if it has finished. Enqueue routes' Location headers point here.
func (a *App) JobRoutes(prefix string, stages ...*actors.Spec) {
	if prefix == "" {
		prefix = "/jobs"
	}
	a.jobPrefix = prefix
	g := a.Group(prefix, stages...)
	g.Handle(http.MethodGet, "/{id}", Handler("GET "+prefix+"/{id}", func(ex *actors.Exchange) error {
		id, err := a.jobID(ex)
		if err != nil {
			return err
		}
		j, err := a.jobs.Store().Get(ex.Context(), id)
		if err != nil {
			return jobError(err)
		}
		return ex.JSON(http.StatusOK, j)
	}))
	g.Handle(http.MethodDelete, "/{id}", Handler("DELETE "+prefix+"/{id}", func(ex *actors.Exchange) error {
		id, err := a.jobID(ex)
		if err != nil {
			return err
		}
		j, err := a.jobs.Cancel(ex.Context(), id)
		if err != nil {
			return jobError(err)
		}
		return ex.JSON(http.StatusOK, j)
	}))
}

func (a *App) jobPath(id int64) string {
	p := a.jobPrefix
	if p == "" {
		p = "/jobs"
	}
	return p + "/" + strconv.FormatInt(id, 10)
}

func (a *App) jobID(ex *actors.Exchange) (int64, error) {
	if a.jobs == nil {
		return 0, actors.NewError(http.StatusServiceUnavailable, "jobs are not running")
	}
	id, err := strconv.ParseInt(ex.Params.Get("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, actors.NewError(http.StatusNotFound, "no such job")
	}
	return id, nil
}

// jobError maps a store's error to its status.
func jobError(err error) error {
	switch {
	case errors.Is(err, jobs.ErrNotFound):
		return actors.NewError(http.StatusNotFound, "no such job")
	case errors.Is(err, jobs.ErrState):
		return &actors.Error{Status: http.StatusConflict, Detail: "the job has finished", Err: err}
	}
	return err
}
