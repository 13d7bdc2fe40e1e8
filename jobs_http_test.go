package troupe_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/jobs"
)

type jobBody struct {
	ID     int64  `json:"id"`
	State  string `json:"state"`
	Result string `json:"result_text"`
	Errors []struct {
		Error string `json:"error"`
	} `json:"errors"`
}

func decodeJob(t *testing.T, r response) jobBody {
	t.Helper()
	var j jobBody
	if err := json.Unmarshal([]byte(r.body), &j); err != nil {
		t.Fatalf("job body %q: %v", r.body, err)
	}
	return j
}

// TestEnqueueOverHTTP: POST answers 202 with Location; GET there follows
// the job to its result; the same Idempotency-Key gives the same job, and
// with another body 422; a payload over the route's limit is 413.
func TestEnqueueOverHTTP(t *testing.T) {
	store := openJobStore(t)
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Queue(jobs.Queue{Name: "mail", MaxPayload: 8}, troupe.Handler("send", func(ex *actors.Exchange) error {
			ex.Respond(http.StatusOK, "", append([]byte("sent "), ex.Body...))
			return nil
		}))
		app.EnqueueRoute("/mail", "mail").MaxBodyBytes(16)
		app.JobRoutes("")
	}, troupe.WithJobStore(store))

	r := s.do(t, "POST", "/mail", "hi", "Idempotency-Key", "k1")
	if r.status != http.StatusAccepted || !strings.HasPrefix(r.header.Get("Location"), "/jobs/") {
		t.Fatalf("POST = %d Location %q, want 202 /jobs/{id}", r.status, r.header.Get("Location"))
	}
	loc := r.header.Get("Location")
	first := decodeJob(t, r)
	waitFor(t, "the job's result", func() bool {
		g := s.do(t, "GET", loc, "")
		return g.status == http.StatusOK && decodeJob(t, g).State == "succeeded"
	})
	if g := decodeJob(t, s.do(t, "GET", loc, "")); g.Result != "sent hi" {
		t.Errorf("result = %q, want %q", g.Result, "sent hi")
	}

	again := s.do(t, "POST", "/mail", "hi", "Idempotency-Key", "k1")
	if again.status != http.StatusAccepted || again.header.Get("Location") != loc || decodeJob(t, again).ID != first.ID {
		t.Errorf("same key again = %d %q, want 202 %q", again.status, again.header.Get("Location"), loc)
	}
	conflict := s.do(t, "POST", "/mail", "other", "Idempotency-Key", "k1")
	if conflict.status != http.StatusUnprocessableEntity || conflict.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("same key, other body = %d %q, want 422 problem+json", conflict.status, conflict.header.Get("Content-Type"))
	}
	if big := s.do(t, "POST", "/mail", strings.Repeat("x", 17)); big.status != http.StatusRequestEntityTooLarge {
		t.Errorf("17-byte payload over a 16-byte limit = %d, want 413", big.status)
	}
	// Within the route's body limit, past the queue's payload limit.
	if big := s.do(t, "POST", "/mail", strings.Repeat("x", 9)); big.status != http.StatusRequestEntityTooLarge ||
		!strings.Contains(big.body, "larger than queue mail takes") {
		t.Errorf("9-byte payload over the queue's 8 = %d %s, want 413", big.status, big.body)
	}
	if nf := s.do(t, "GET", "/jobs/999999", ""); nf.status != http.StatusNotFound {
		t.Errorf("GET unknown job = %d, want 404", nf.status)
	}
	if nf := s.do(t, "GET", "/jobs/x", ""); nf.status != http.StatusNotFound {
		t.Errorf("GET /jobs/x = %d, want 404", nf.status)
	}
}

// TestCancelOverHTTP: DELETE cancels a running job (its handler's context
// ends), then 409 since it has finished; the queue's budget answers 503.
func TestCancelOverHTTP(t *testing.T) {
	store := openJobStore(t)
	running := make(chan struct{})
	ended := make(chan error, 1) // one attempt
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Queue(jobs.Queue{Name: "slow", MaxQueued: 1}, troupe.Handler("wait", func(ex *actors.Exchange) error {
			close(running)
			<-ex.Context().Done()
			ended <- ex.Context().Err()
			return ex.Context().Err()
		}))
		app.EnqueueRoute("/slow", "slow")
		app.JobRoutes("/jobs")
	}, troupe.WithJobStore(store))

	r := s.do(t, "POST", "/slow", "x")
	if r.status != http.StatusAccepted {
		t.Fatalf("POST = %d", r.status)
	}
	<-running
	if full := s.do(t, "POST", "/slow", "y"); full.status != http.StatusServiceUnavailable || full.header.Get("Retry-After") == "" {
		t.Errorf("POST past the budget = %d Retry-After %q, want 503 with Retry-After", full.status, full.header.Get("Retry-After"))
	}
	loc := r.header.Get("Location")
	if d := s.do(t, "DELETE", loc, ""); d.status != http.StatusOK || decodeJob(t, d).State != "cancelled" {
		t.Fatalf("DELETE = %d %s, want 200 cancelled", d.status, d.body)
	}
	if err := <-ended; err == nil {
		t.Errorf("the running attempt's context was not cancelled")
	}
	if d := s.do(t, "DELETE", loc, ""); d.status != http.StatusConflict {
		t.Errorf("DELETE of a cancelled job = %d, want 409", d.status)
	}
	if g := decodeJob(t, s.do(t, "GET", loc, "")); g.State != "cancelled" {
		t.Errorf("GET = %q, want cancelled", g.State)
	}
}
