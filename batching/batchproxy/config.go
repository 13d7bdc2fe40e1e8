package batchproxy

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/troupe-go/troupe/batching"
)

// Defaults of Config's fields.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultMaxResponseBytes = 16 << 20
)

// Config configures a batch proxy. The yaml tags are the options of the
// handler kind batch_proxy. Upstream is required; every other field
// documents its default.
type Config struct {
	// Upstream is the http or https URL batches are POSTed to. Required.
	Upstream string `yaml:"upstream"`
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
	// Timeout bounds one upstream call. The batch's own context (the
	// latest deadline of its clients) bounds it too. Defaults to 10s.
	Timeout time.Duration `yaml:"timeout"`
	// MaxResponseBytes bounds the upstream's answer; a larger one fails
	// the batch with 502. Defaults to 16 MiB.
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
	// Headers are added to every upstream request (an API key, a
	// version).
	Headers map[string]string `yaml:"headers"`
	// KeyHeader, if set, names a request header whose value is the batch
	// key: requests with different values never share a batch (and so
	// never an upstream call). Defaults to one key for all.
	KeyHeader string `yaml:"key_header"`
	// Batch configures the batcher: see batching.Config.
	Batch batching.Config `yaml:"batch"`
	// Client calls the upstream. Defaults to a client with a tuned
	// transport (dial and TLS timeouts of 5s, a response header timeout of
	// Timeout, enough idle connections for Batch.MaxInFlight), owned by the
	// proxy, which closes its idle connections when it stops.
	Client *http.Client `yaml:"-"`
}

// validate reports what is wrong with c, if anything.
func (c Config) validate() error {
	var errs []error
	u, err := url.Parse(c.Upstream)
	switch {
	case c.Upstream == "":
		errs = append(errs, errors.New("upstream is required"))
	case err != nil:
		errs = append(errs, fmt.Errorf("upstream: %w", err))
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		errs = append(errs, fmt.Errorf("upstream %q is not an http or https URL", c.Upstream))
	}
	if c.Timeout < 0 || c.MaxResponseBytes < 0 {
		errs = append(errs, errors.New("timeout and max_response_bytes must not be negative"))
	}
	if c.BodyField != "" && c.BodyField == c.StatusField {
		errs = append(errs, errors.New("body_field and status_field must differ"))
	}
	return errors.Join(errs...)
}
