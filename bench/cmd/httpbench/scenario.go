package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/troupe-go/troupe/bench"
	"go.uber.org/zap"
)

// The scenarios -scenario selects.
const (
	scenarioTrivial = "trivial" // the default: -stages trivial middleware, GET /hello
	scenarioTaught  = "taught"  // the same, declared as the README teaches: one stage Stateful, the handler from app.GET
	scenarioAPI     = "api"     // the catalogue's api stack, POST /items
	scenarioBatch   = "batch"   // a simulated model, per request, hand-batched and troupe-batched, POST /score
	scenarioProxy   = "proxy"   // troupe's reverse proxy vs httputil.ReverseProxy, GET /proxy/data
	scenarioTracing = "tracing" // the taught app with tracing off, sampled at 1% and at 100%
	// scenarioJobs is durable jobs through a troupe queue, a bare runner
	// and a plain worker pool over one store, run by runJobs (no HTTP load).
	scenarioJobs = "jobs"
	// scenarioOverload is open-loop load past a workload's capacity, run by
	// runOverload rather than as rounds of wrk.
	scenarioOverload = "overload"
)

// scenarioNames lists the scenarios, as -h and the errors name them.
const scenarioNames = scenarioTrivial + ", " + scenarioTaught + ", " + scenarioAPI + ", " + scenarioBatch + ", " + scenarioProxy + ", " + scenarioTracing + ", " + scenarioJobs + " or " + scenarioOverload

// defaultConns returns the scenario's -conns when the flag is not given.
func defaultConns(scenario string) string {
	switch scenario {
	case scenarioBatch:
		return "4,64,256"
	case scenarioJobs:
		return "4,16"
	}
	return "64,256"
}

// scenario is what one run loads: the peers, each with the request wrk
// sends it and how to check it before measuring, and what to compare.
type scenario struct {
	name string
	// title and notes head the output.
	title string
	notes []string
	// unit is what one request is, in the table's header: "req" or
	// "item".
	unit  string
	peers []*namedPeer
	// comparisons are the paired ratios to report, each with the issue's
	// targets for it, if any; peerTargets are targets on one peer's own
	// figures.
	comparisons []comparison
	peerTargets []peerTarget
	// close stops what the scenario runs besides its peers (the proxy
	// scenario's upstream), once they have stopped; nil if nothing.
	close func(ctx context.Context) error
}

// namedPeer is one peer of a scenario: a server, the request wrk sends it,
// and how to check it before measuring.
type namedPeer struct {
	name string
	peer
	// path is the request's path; script is wrk's Lua script for the
	// request ("" for a plain GET).
	path   string
	script string
	// probe checks the peer at base (http://host:port) and says what it
	// answered.
	probe func(ctx context.Context, base string) (string, error)
	// hitsPerRequest is how many times the peer's Hits counter moves per
	// request served (0: it does not count requests).
	hitsPerRequest int
	// profile: -cpuprofile covers this peer's measured rounds.
	profile bool

	// Set by run: the URL wrk loads, and the path of the script's file.
	url        string
	scriptFile string
}

// newScenario returns the scenario c names, its peers made but not started.
func newScenario(c *config, log *zap.Logger) (*scenario, error) {
	switch c.scenario {
	case scenarioTrivial:
		return &scenario{
			name:  scenarioTrivial,
			title: fmt.Sprintf("troupe vs plain net/http, %d trivial middleware + a small JSON handler", c.stages),
			notes: []string{"troupe:    every stage stateless (troupe.Stage) and troupe.Handler: all of it runs on the request's goroutine"},
			unit:  "req",
			peers: []*namedPeer{
				trivialPeer("plain", bench.NewNetHTTP(c.stages), c.stages),
				profiled(trivialPeer("troupe", bench.NewTroupe(c.stages, log), c.stages)),
			},
			comparisons: []comparison{{num: "troupe", den: "plain", targets: []target{
				{name: fmt.Sprintf("throughput ≥ %.2f", targetThroughput), met: func(r medians) bool { return r.RPS >= targetThroughput }},
				{name: fmt.Sprintf("p99 ≤ %.1f×", targetP99), met: func(r medians) bool { return r.P99us <= targetP99 }},
			}}},
		}, nil
	case scenarioTaught:
		return &scenario{
			name:  scenarioTaught,
			title: fmt.Sprintf("troupe as the README teaches vs the best case vs plain net/http, %d trivial middleware + a small JSON handler", c.stages),
			notes: []string{
				"taught:    troupe.Stage for each stage but the count, which is Stateful (1 partition: every request visits its actor); handler from app.GET",
				"troupe:    the best case: every stage stateless, all of it on the request's goroutine",
			},
			unit: "req",
			peers: []*namedPeer{
				trivialPeer("plain", bench.NewNetHTTP(c.stages), c.stages),
				profiled(trivialPeer("taught", bench.NewTroupeAsTaught(c.stages, log), c.stages)),
				trivialPeer("troupe", bench.NewTroupe(c.stages, log), c.stages),
			},
			comparisons: []comparison{
				{num: "taught", den: "plain", targets: []target{
					{name: fmt.Sprintf("throughput ≥ %.2f", targetTaughtThroughput), met: func(r medians) bool { return r.RPS >= targetTaughtThroughput }},
					{name: fmt.Sprintf("p99 ≤ %.1f×", targetTaughtP99), met: func(r medians) bool { return r.P99us <= targetTaughtP99 }},
				}},
				{num: "troupe", den: "plain"},
				{num: "taught", den: "troupe"},
			},
		}, nil
	case scenarioTracing:
		return tracingScenario(c, log)
	case scenarioAPI:
		accessLog := bench.NewAccessLogger(io.Discard)
		tr, err := bench.NewAPITroupe(log, accessLog)
		if err != nil {
			return nil, fmt.Errorf("troupe peer: %w", err)
		}
		plain, err := bench.NewAPINetHTTP(accessLog)
		if err != nil {
			return nil, fmt.Errorf("plain peer: %w", err)
		}
		apiPeer := func(name string, p peer) *namedPeer {
			return &namedPeer{name: name, peer: p, path: bench.APIPath, script: apiScript(), probe: probeAPI, hitsPerRequest: 1}
		}
		return &scenario{
			name:  scenarioAPI,
			title: "troupe vs plain net/http, the api stack (request id, access log, API-key auth, rate limit, JSON Schema validation) + a 201 handler",
			notes: []string{
				"request:   POST " + bench.APIPath + ", Content-Type: application/json, " + bench.APIKeyHeader + ": (the one key), body " + bench.APIBody,
				"troupe:    ingress request id; access_log (global) · api_key (auth) · rate_limit (stateful, by subject, 1e9/s burst 1e9) · validate (item-schema) · Handler",
				"plain:     chi + middleware.RequestID · zap access log on middleware.WrapResponseWriter · API-key check (SHA-256, constant time) · httprate by key (1e9/s) · jsonschema/v6 · handler",
				"both:      access log = zap JSON to io.Discard, same fields; the schema is cmd/server/default.yaml's item-schema",
			},
			unit:        "req",
			peers:       []*namedPeer{apiPeer("plain", plain), profiled(apiPeer("troupe", tr))},
			comparisons: []comparison{{num: "troupe", den: "plain"}},
		}, nil
	case scenarioBatch:
		return newBatchScenario(c, log)
	case scenarioProxy:
		return newProxyScenario(log)
	}
	return nil, fmt.Errorf("-scenario %q: want %s", c.scenario, scenarioNames)
}

// profiled marks p as the peer whose rounds -cpuprofile covers, and
// returns it.
func profiled(p *namedPeer) *namedPeer {
	p.profile = true
	return p
}

// trivialPeer returns p as a peer of the trivial scenario, with stages
// middleware: GET bench.Path.
func trivialPeer(name string, p peer, stages int) *namedPeer {
	np := &namedPeer{name: name, peer: p, path: bench.Path, probe: probeTrivial}
	for i := range stages {
		if bench.Kinds[i%len(bench.Kinds)] == bench.Count {
			np.hitsPerRequest++
		}
	}
	return np
}

// apiScript is wrk's Lua script for the api scenario's request.
func apiScript() string {
	return "wrk.method = " + luaString(http.MethodPost) + "\n" +
		"wrk.body = " + luaString(bench.APIBody) + "\n" +
		`wrk.headers["Content-Type"] = ` + luaString("application/json") + "\n" +
		`wrk.headers[` + luaString(bench.APIKeyHeader) + `] = ` + luaString(bench.APIKeyValue) + "\n"
}

// luaString returns s as a double-quoted Lua string literal.
func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// writeScript writes script to a temporary file and returns its path and a
// function that removes it; for "" it returns "" and a no-op.
func writeScript(script string) (string, func(), error) {
	if script == "" {
		return "", func() {}, nil
	}
	f, err := os.CreateTemp("", "httpbench-*.lua")
	if err != nil {
		return "", nil, err
	}
	remove := func() { _ = os.Remove(f.Name()) }
	if _, err := f.WriteString(script); err != nil {
		f.Close()
		remove()
		return "", nil, err
	}
	if err := f.Close(); err != nil {
		remove()
		return "", nil, err
	}
	return f.Name(), remove, nil
}

// probeTrivial GETs the trivial scenario's path once and returns its
// status and body, failing unless the answer is a 200 with the X-Bench
// header the first middleware sets.
func probeTrivial(ctx context.Context, base string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+bench.Path, nil)
	if err != nil {
		return "", err
	}
	status, h, body, err := do(req)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", status, body)
	}
	return fmt.Sprintf("%d %s %s (X-Bench: %q)", status, h.Get("Content-Type"), body, h.Get("X-Bench")), nil
}

// probeAPI sends every bench.APICases request to base and checks each
// answer (status, body shape, headers); it returns the 201 the load
// generator's request gets, and the statuses of the others.
func probeAPI(ctx context.Context, base string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var created string
	var others []string
	for _, c := range bench.APICases {
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
		if status == http.StatusCreated {
			created = fmt.Sprintf("%d %s %s (Location: %s)", status, h.Get("Content-Type"), body, h.Get("Location"))
		} else {
			others = append(others, fmt.Sprintf("%s %d", c.Name, status))
		}
	}
	return created + "; checked: " + strings.Join(others, ", "), nil
}

// do sends req and returns the answer, read in full.
func do(req *http.Request) (int, http.Header, []byte, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, body, nil
}
