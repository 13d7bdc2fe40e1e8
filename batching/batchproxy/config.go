package batchproxy

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/troupe-go/troupe/batching"
	"github.com/troupe-go/troupe/upstream"
)

// Defaults of Config's fields.
const (
	// DefaultTimeout is Config.Timeout's default.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxResponseBytes is the default bound on the answer of the
	// upstream of an upstream URL (UpstreamConfig.MaxResponseBytes).
	DefaultMaxResponseBytes = 16 << 20
)

// Config configures a batch proxy. The yaml tags are the options of the
// handler kind batch_proxy; every field documents its default.
type Config struct {
	// Upstream is where batches are POSTed: an http or https URL (anything
	// holding "://"), such as "http://10.0.0.9:9000/v1/score", which the
	// proxy gets an upstream of its own for, configured by UpstreamConfig;
	// or, in a configuration file, the name of an upstream declared under
	// upstreams, which the proxy shares with the routes that name it (from
	// Go, pass that *upstream.Upstream with WithUpstream, and leave
	// Upstream empty or give its name). Required unless WithUpstream is
	// given.
	Upstream string `yaml:"upstream"`
	// Path is the path, and query if any, that batches are POSTed to on a
	// shared upstream, after its target's base path: "/v1/score". Defaults
	// to "/". Not with an upstream URL, which has a path of its own.
	Path string `yaml:"path"`
	// ItemsField, if set, sends a batch as {"ITEMS_FIELD": [item, …]}.
	// Defaults to a bare JSON array of the items.
	ItemsField string `yaml:"items_field"`
	// ResultsField, if set, reads the results from the array under this
	// field of the upstream's JSON object. Defaults to a bare array.
	ResultsField string `yaml:"results_field"`
	// IDField, if set, matches results to items by this field, which every
	// item and result must have (a string or a number); results may then
	// come in any order. Defaults to matching by position.
	IDField string `yaml:"id_field"`
	// StatusField, if set, is the field of a result holding its HTTP
	// status (a number, 200 to 599). Defaults to 200 for every result.
	StatusField string `yaml:"status_field"`
	// BodyField, if set, is the field of a result to answer with; a result
	// without it is answered whole. Defaults to the whole result.
	BodyField string `yaml:"body_field"`
	// Timeout bounds one upstream call, every attempt included. The
	// batch's own context (the latest deadline of its clients) bounds it
	// too; the upstream is told the time left in its deadline header.
	// Defaults to 10s.
	Timeout time.Duration `yaml:"timeout"`
	// Headers are added to every upstream request (an API key, a
	// version).
	Headers map[string]string `yaml:"headers"`
	// KeyHeader, if set, names a request header whose value is the batch
	// key: requests with different values never share a batch (and so
	// never an upstream call). Defaults to one key for all.
	KeyHeader string `yaml:"key_header"`
	// Batch configures the batcher: see batching.Config.
	Batch batching.Config `yaml:"batch"`
	// UpstreamConfig configures the upstream of an upstream URL, which is
	// its one target: its circuit breaker, retries, bulkhead, transport,
	// timeouts, response bound and health checks (the yaml keys of
	// upstream.Config sit beside the proxy's own). Targets must be left
	// empty; Name defaults to the proxy's name, MaxResponseBytes to
	// DefaultMaxResponseBytes, and Bulkhead.MaxConcurrent to at least
	// Batch.MaxInFlight; the rest to upstream.Config's defaults. A batch
	// is a POST, which the upstream retries only with Retry.NonIdempotent
	// set. With a shared upstream it must be left zero: that upstream's
	// own configuration applies.
	UpstreamConfig upstream.Config `yaml:",inline"`
}

// IsURL reports whether Config.Upstream s is a URL, rather than the name
// of a shared upstream: whether it holds "://".
func IsURL(s string) bool { return strings.Contains(s, "://") }

// target is where batches go on an upstream: a path (escaped) and a query.
type target struct {
	path, rawQuery string
}

// private returns the configuration of the upstream of c's URL, and where
// batches go on it. name is the proxy's.
func (c Config) private(name string) (upstream.Config, target, error) {
	var errs []error
	u, err := url.Parse(c.Upstream)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("upstream: %w", err))
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "":
		errs = append(errs, fmt.Errorf("upstream %q is not an http or https URL (a scheme, a host, a path, a query at most)", c.Upstream))
	}
	if c.Path != "" {
		errs = append(errs, fmt.Errorf("path: the upstream URL %q has the path; path goes with a shared upstream", c.Upstream))
	}
	uc := c.UpstreamConfig
	if len(uc.Targets) > 0 {
		errs = append(errs, errors.New("targets: the upstream URL is the target; for several, declare an upstream under upstreams and name it"))
	}
	if len(errs) > 0 {
		return upstream.Config{}, target{}, errors.Join(errs...)
	}
	uc.Targets = []string{u.Scheme + "://" + u.Host}
	if uc.Name == "" {
		uc.Name = name
	}
	if uc.MaxResponseBytes == 0 {
		uc.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if uc.Bulkhead.MaxConcurrent == 0 && c.Batch.MaxInFlight > defaultBulkhead {
		uc.Bulkhead.MaxConcurrent = c.Batch.MaxInFlight
	}
	return uc, target{path: u.EscapedPath(), rawQuery: u.RawQuery}, nil
}

// defaultBulkhead is upstream.BulkheadConfig.MaxConcurrent's default.
const defaultBulkhead = 100

// shared checks c for a shared upstream named name, and returns where
// batches go on it.
func (c Config) shared(name string) (target, error) {
	var errs []error
	if IsURL(c.Upstream) {
		errs = append(errs, fmt.Errorf("upstream %q is a URL, and the proxy was given the upstream %s too", c.Upstream, name))
	}
	if !reflect.ValueOf(c.UpstreamConfig).IsZero() {
		errs = append(errs, fmt.Errorf("the upstream's options (breaker, retry, bulkhead, …) are set on the upstream %s, not on the batch proxy", name))
	}
	t := target{path: "/"}
	if c.Path != "" {
		u, err := url.Parse(c.Path)
		if err != nil || !strings.HasPrefix(c.Path, "/") || u.Scheme != "" || u.Host != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("path %q must be a path from \"/\", with a query at most", c.Path))
		} else {
			t = target{path: u.EscapedPath(), rawQuery: u.RawQuery}
		}
	}
	return t, errors.Join(errs...)
}

// validate reports what is wrong with c's own options, if anything.
func (c Config) validate() error {
	var errs []error
	if c.Timeout < 0 {
		errs = append(errs, errors.New("timeout must not be negative"))
	}
	if c.BodyField != "" && c.BodyField == c.StatusField {
		errs = append(errs, errors.New("body_field and status_field must differ"))
	}
	return errors.Join(errs...)
}
