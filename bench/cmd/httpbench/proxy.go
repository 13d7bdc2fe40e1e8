package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/troupe-go/troupe/bench"
	"go.uber.org/zap"
)

// newProxyScenario returns the proxy scenario: troupe's reverse proxy and
// httputil.ReverseProxy in front of the same upstream, which it starts on
// loopback (the scenario's close stops it).
func newProxyScenario(log *zap.Logger) (*scenario, error) {
	up := bench.NewProxyUpstream()
	if err := up.Start(""); err != nil {
		return nil, fmt.Errorf("upstream: %w", err)
	}
	fail := func(err error) (*scenario, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return nil, errors.Join(err, up.Shutdown(ctx))
	}
	plain, err := bench.NewProxyNetHTTP(up)
	if err != nil {
		return fail(fmt.Errorf("plain peer: %w", err))
	}
	tr, err := bench.NewProxyTroupe(up, log)
	if err != nil {
		return fail(fmt.Errorf("troupe peer: %w", err))
	}
	proxyPeer := func(name string, p peer) *namedPeer {
		return &namedPeer{name: name, peer: p, path: bench.ProxyPath, probe: probeProxy, hitsPerRequest: 1}
	}
	return &scenario{
		name:  scenarioProxy,
		title: "reverse proxy: troupe's upstream proxy vs net/http/httputil.ReverseProxy, in front of the same loopback upstream",
		notes: []string{
			fmt.Sprintf("request:   GET %s, forwarded as GET %s to the upstream at %s, which answers %d bytes of JSON", bench.ProxyPath, bench.ProxyUpstreamPath, up.URL(), len(bench.ProxyBody)),
			"upstream:  plain net/http in this process: its CPU is in both peers' CPU µs/req",
			fmt.Sprintf("troupe:    upstream.Build: breaker and retry on with their defaults, keeper actor per upstream, request deadline (10s); bulkhead %d, keep-alive pool %d", bench.ProxyBulkhead, bench.ProxyIdleConns),
			fmt.Sprintf("plain:     httputil.ReverseProxy (Rewrite: strip %s, SetURL, SetXForwarded), transport as troupe's, keep-alive pool %d", bench.ProxyPrefix, bench.ProxyIdleConns),
		},
		unit:        "req",
		peers:       []*namedPeer{proxyPeer("plain", plain), profiled(proxyPeer("troupe", tr))},
		comparisons: []comparison{{num: "troupe", den: "plain"}},
		close:       up.Shutdown,
	}, nil
}

// probeProxy sends every bench.ProxyCases request to base and checks each
// answer; it returns the proxied one, and the statuses of the others.
func probeProxy(ctx context.Context, base string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var proxied string
	var others []string
	for _, c := range bench.ProxyCases {
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
		if c.Path == bench.ProxyPath {
			proxied = fmt.Sprintf("%d %s %s", status, h.Get("Content-Type"), body)
		} else {
			others = append(others, fmt.Sprintf("%s %d", c.Name, status))
		}
	}
	return proxied + "; checked: " + strings.Join(others, ", "), nil
}
