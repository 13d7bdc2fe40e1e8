package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/troupe-go/troupe/bench"
	"go.uber.org/zap"
)

// The targets for troupe's batching (scenario batch).
const (
	// At 64 connections, troupe's items/s at least this many times the
	// per-request peer's...
	targetBatchOverPerRequest = 7.0
	// ...and at least this fraction of troupe's own 5-stage trivial
	// figure, the limit of its HTTP path.
	targetBatchOverReference = 0.9
	// targetBatchConns is the connection count both apply at.
	targetBatchConns = 64
	// At 4 connections, troupe's p50 at most one model call of one item
	// plus this.
	targetBatchP50Slack = 500 * time.Microsecond
	// targetBatchP50Conns is the connection count the p50 target applies
	// at.
	targetBatchP50Conns = 4
)

// newBatchScenario returns the batch scenario: the demo model served per
// request, through a hand-written channel batcher and through troupe's
// batcher, beside troupe's trivial peer as the reference for its HTTP
// path.
func newBatchScenario(c *config, log *zap.Logger) (*scenario, error) {
	tr, err := bench.NewBatchTroupe(log)
	if err != nil {
		return nil, fmt.Errorf("troupe peer: %w", err)
	}
	batchPeer := func(name string, p peer) *namedPeer {
		return &namedPeer{name: name, peer: p, path: bench.BatchPath, script: batchScript(), probe: probeBatch, hitsPerRequest: 1}
	}
	ref := fmt.Sprintf("troupe-%dstage", c.stages)
	p50 := bench.BatchCallTime() + targetBatchP50Slack
	return &scenario{
		name: scenarioBatch,
		title: "batching: a simulated model (1ms per call + 10µs per item, at most 4 calls at once) called per request, " +
			"through a hand-written channel batcher, and through troupe's batcher",
		notes: []string{
			"request:   POST " + bench.BatchPath + ", Content-Type: application/json, body " + bench.BatchBody + " (one item per request: items/s = req/s)",
			"model:     internal/demobackend's defaults; each peer has its own; items/call = the model's items ÷ its calls over the measured rounds",
			"per-request:  plain net/http, demobackend.PerRequestHandler: one model call per request",
			fmt.Sprintf("chan-batcher: plain net/http, demobackend.ChannelBatcher (max %d items, 4 calls at once): a batch whenever a call slot is free", bench.BatchMaxBatchSize),
			fmt.Sprintf("troupe:    batching.Handler over a batching.Batcher as /demo/score in cmd/server/default.yaml: max_batch_size %d, max_in_flight 4, max_queue %d, "+
				"batching's defaults otherwise (max_delay 1ms, eager_in_flight 1, fair share); route timeout %s, max_body_bytes %d",
				bench.BatchMaxBatchSize, bench.BatchMaxQueue, bench.BatchTimeout, bench.BatchMaxBodyBytes),
			fmt.Sprintf("%s: the trivial scenario's troupe peer (%d stateless stages + Handler, GET %s): the reference for troupe's HTTP path", ref, c.stages, bench.Path),
		},
		unit: "item",
		peers: []*namedPeer{
			batchPeer("per-request", bench.NewBatchPerRequest()),
			batchPeer("chan-batcher", bench.NewBatchChannel()),
			profiled(batchPeer("troupe", tr)),
			trivialPeer(ref, bench.NewTroupe(c.stages, log), c.stages),
		},
		comparisons: []comparison{
			{num: "troupe", den: "per-request", targets: []target{{
				conns: targetBatchConns, name: fmt.Sprintf("items/s ≥ %g×", targetBatchOverPerRequest),
				met: func(r medians) bool { return r.RPS >= targetBatchOverPerRequest },
			}}},
			{num: "troupe", den: "chan-batcher"},
			{num: "troupe", den: ref, targets: []target{{
				conns: targetBatchConns, name: fmt.Sprintf("items/s ≥ %.2f×", targetBatchOverReference),
				met: func(r medians) bool { return r.RPS >= targetBatchOverReference },
			}}},
		},
		peerTargets: []peerTarget{{
			peer: "troupe", conns: targetBatchP50Conns,
			name: fmt.Sprintf("p50 ≤ %s (one call of one item + %s)", fmtDur(us(p50)), fmtDur(us(targetBatchP50Slack))),
			met:  func(m medians) bool { return m.P50us <= us(p50) },
		}},
	}, nil
}

// batchScript is wrk's Lua script for the batch scenario's request.
func batchScript() string {
	return "wrk.method = " + luaString(http.MethodPost) + "\n" +
		"wrk.body = " + luaString(bench.BatchBody) + "\n" +
		`wrk.headers["Content-Type"] = ` + luaString("application/json") + "\n"
}

// probeBatch sends every bench.BatchCases request to base and checks each
// answer; it returns the scored one, and the statuses of the others.
func probeBatch(ctx context.Context, base string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var scored string
	var others []string
	for _, c := range bench.BatchCases {
		req, err := c.Request(base)
		if err != nil {
			return "", err
		}
		status, h, body, err := do(req.WithContext(ctx))
		if err != nil {
			return "", fmt.Errorf("%s: %w", c.Name, err)
		}
		if err := c.Check(status, h, body); err != nil {
			return "", err
		}
		if status == http.StatusOK {
			scored = fmt.Sprintf("%d %s %s", status, h.Get("Content-Type"), strings.TrimSpace(string(body)))
		} else {
			others = append(others, fmt.Sprintf("%s %d", c.Name, status))
		}
	}
	return scored + "; checked: " + strings.Join(others, ", "), nil
}
