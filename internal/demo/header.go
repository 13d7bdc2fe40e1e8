package demo

import (
	"golang.org/x/net/http/httpguts"
	"net/http"
	"strings"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// headerOptions are the options of a header stage.
type headerOptions struct {
	// Name is the header's name. Required.
	Name string `yaml:"name"`
	// Value is the header's value; it may be empty.
	Value string `yaml:"value"`
}

// headerKind is the stage kind "header": it sets one response header.
//
//	stages:
//	  server-header:
//	    kind: header
//	    options: {name: Server, value: troupe}
//
// The header is set on the way in, so it is on whatever response the route
// produces, error responses included (Exchange.Fail keeps the headers
// earlier stages set); a later stage or handler that sets the same header
// wins.
func headerKind() config.Kind {
	return config.Kind{
		Doc:      "sets a response header on the route's responses. Options: name (required), value.",
		Priority: actors.Global,
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var o headerOptions
			if err := opts.Decode(&o); err != nil {
				return nil, err
			}
			if !httpguts.ValidHeaderFieldName(o.Name) {
				return nil, opts.Errorf("header: option name must be a header name such as X-Demo, got %q", o.Name)
			}
			if strings.ContainsFunc(o.Value, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
				return nil, opts.Errorf("header: option value must not hold control characters")
			}
			return troupe.Stage(name, actors.Global, header{key: http.CanonicalHeaderKey(o.Name), value: o.Value}), nil
		},
	}
}

// header sets a response header.
type header struct{ key, value string }

var _ actors.FixedHeaderStage = header{}

// FixedHeaders returns the header, which is the same on every response: the
// deadline's 504 carries it too.
func (h header) FixedHeaders() http.Header { return http.Header{h.key: {h.value}} }

// Process sets the header and lets the exchange go on.
func (h header) Process(ex *actors.Exchange) error {
	ex.Response.Header().Set(h.key, h.value)
	return nil
}
