package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/troupe-go/troupe/internal/demobackend"
)

// The batch scenario: single-item requests to a simulated model
// (internal/demobackend, with its defaults: 1ms per call plus 10µs per
// item, at most 4 calls at once), served three ways — one model call per
// request (BatchPerRequest), through a hand-written channel batcher
// (BatchChannel), and through troupe's batching.Batcher (BatchTroupe).
// Each peer has a model of its own, whose counters give the mean batch
// size. This file holds what the peers share: the route, the request, the
// model, the batch settings and the conformance cases.

// BatchPath is the batch scenario's route: POST only, as the default
// config's /demo/score.
const BatchPath = "/score"

// BatchBody is the one item the load generator POSTs.
const BatchBody = `{"id":"a1","features":[0.5,1.5]}`

// BatchScore is the answer to BatchBody: the sum of the squares of its
// features.
var BatchScore = demobackend.Score{ID: "a1", Score: 2.5}

// The batch settings of cmd/server/default.yaml's /demo/score route, which
// every batching peer uses: the most items in one model call (the
// demo_score kind's default, demobackend.DefaultMaxBatchSize), the most
// items waiting (troupe's peer only), the route's deadline and body limit
// (troupe's peer only).
const (
	BatchMaxBatchSize = demobackend.DefaultMaxBatchSize
	BatchMaxQueue     = 1024
	BatchTimeout      = 2 * time.Second
	BatchMaxBodyBytes = 65536
)

// NewBatchModel returns a simulated model with demobackend's defaults: 1ms
// per call plus 10µs per item, at most 4 calls at once. Each peer gets
// its own, so that its counters are its own and one peer's calls never
// take another's slots.
func NewBatchModel() *demobackend.Model {
	m, err := demobackend.New(demobackend.Config{})
	if err != nil {
		panic("bench: the demo model's defaults are invalid: " + err.Error())
	}
	return m
}

// BatchCallTime returns how long the model of NewBatchModel takes for one
// call of one item (1.01ms): the least latency a request can have.
func BatchCallTime() time.Duration {
	c := NewBatchModel().Config()
	return c.CallCost + c.ItemCost
}

// ModelCounts are a model's counters: the calls it has run and the items
// they held. Items/Calls is the mean batch size.
type ModelCounts struct {
	Calls, Items int64
}

// countsOf reads m's counters.
func countsOf(m *demobackend.Model) ModelCounts {
	return ModelCounts{Calls: m.Calls(), Items: m.Items()}
}

// BatchCase is one request of the batch scenario's conformance check, and
// the status every peer must answer it with.
type BatchCase struct {
	Name       string
	Body       string
	WantStatus int
}

// BatchCases are the conformance checks run on every batch peer: the
// load generator's request (200 with BatchScore), a body that is not JSON
// (400), and an item with no features, which the model refuses (422).
var BatchCases = []BatchCase{
	{Name: "scored", Body: BatchBody, WantStatus: http.StatusOK},
	{Name: "not json", Body: `{"id":`, WantStatus: http.StatusBadRequest},
	{Name: "no features", Body: `{"id":"a1","features":[]}`, WantStatus: http.StatusUnprocessableEntity},
}

// Request returns the case's POST to base (scheme and host).
func (c BatchCase) Request(base string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, base+BatchPath, strings.NewReader(c.Body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// Check returns nil if the answer is what the case wants: its status, and
// for 200 a JSON body that is exactly BatchScore. The error bodies differ
// between peers (troupe answers problem+json, the plain peers text) and
// are not checked.
func (c BatchCase) Check(status int, h http.Header, body []byte) error {
	if status != c.WantStatus {
		return fmt.Errorf("%s: status %d, want %d (body %q)", c.Name, status, c.WantStatus, body)
	}
	if status != http.StatusOK {
		return nil
	}
	if ct := h.Get("Content-Type"); ct != "application/json" {
		return fmt.Errorf("%s: Content-Type %q, want application/json", c.Name, ct)
	}
	var s demobackend.Score
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil || s != BatchScore {
		return fmt.Errorf("%s: body %q is not %+v (%v)", c.Name, body, BatchScore, err)
	}
	return nil
}

// batchMux routes POST BatchPath to h, as troupe routes its peer: other
// paths 404, other methods 405.
func batchMux(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(http.MethodPost+" "+BatchPath, h)
	return mux
}
