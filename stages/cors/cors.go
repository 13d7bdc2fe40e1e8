// Package cors is the stage that lets browsers on other origins call the
// API (Cross-Origin Resource Sharing, as the Fetch standard defines it): it
// answers preflights itself and adds Access-Control-* headers to the
// responses of allowed origins.
//
//	c, err := cors.New("cors", cors.Config{
//		AllowedOrigins:   []string{"https://app.example.com", "https://*.example.com"},
//		AllowedMethods:   []string{"GET", "PUT", "DELETE"},
//		AllowedHeaders:   []string{"Content-Type", "X-Api-Key"},
//		ExposedHeaders:   []string{"X-Request-Id"},
//		AllowCredentials: true,
//		MaxAge:           10 * time.Minute,
//	})
//	api := app.Group("/api", c)
//
// It is first (Priority, Global): a preflight carries no credentials, so it must be
// answered before authentication stages run, and headers set on the way in
// stay on error responses (Exchange.Fail keeps them).
//
// # Preflights and routes
//
// A preflight (OPTIONS with Origin and Access-Control-Request-Method) is
// answered 204 by this stage with ex.Respond: it never reaches the handler.
// The route needs no OPTIONS method of its own: for a path without an
// OPTIONS route, the ingress runs a preflight through the stages of the
// route it asks about (Exchange.Preflight), so the CORS stage of that
// route's group answers it. A preflight for a method the path lacks is
// answered 204 by the ingress without CORS headers, so the browser refuses
// it, as it should. A path that does have an OPTIONS (or "*") route runs
// that route's stages; the CORS stage answers there too, before the
// handler.
//
// # What is never sent
//
// The stage never reflects an origin that is not on the list, never sends
// "Access-Control-Allow-Origin: *" with credentials (New refuses "*" with
// AllowCredentials), and refuses to list the origin "null" (sandboxed
// iframes and file: pages send it, so allowing it allows anyone). Origins
// are compared as browsers serialise them: scheme, host and port exactly,
// case-sensitively, so "https://app.example.com:8443" and
// "http://app.example.com" are other origins. A wildcard
// "https://*.example.com" matches one or more whole labels in front of
// ".example.com" (https://a.example.com, https://a.b.example.com), with
// the same scheme and port; not https://example.com itself (list it too),
// nor https://evilexample.com or https://example.com.evil.com. A request
// from an origin that is not allowed is still served, without CORS
// headers: the browser then withholds the response from the page. CORS is
// not access control; a non-browser client ignores it.
//
// # Why not github.com/rs/cors
//
// rs/cors (already a dependency of the module) is written against
// http.ResponseWriter and http.Handler. Adapting it would take a
// header-capturing ResponseWriter and a stand-in next handler on every
// request, and its preflight answer arrives as a WriteHeader call that
// would have to be turned back into ex.Respond. Its origin rules are also
// looser than we want: a wildcard is a string prefix and suffix test
// ("https://*.example.com" matches "https://evil.com/.example.com", and
// "https://*example.com" is accepted and matches
// "https://evilexample.com"), an empty list allows every origin, and "*"
// with credentials is not refused but sent as "*" plus
// "Access-Control-Allow-Credentials: true", which browsers reject. The
// matcher here parses origins strictly (scheme, host label by label,
// port), refuses bad configuration in New, so that a config file fails at
// load with its file and line, and answers through the exchange. It is
// about 300 lines of code under table tests and a headless-Chromium test;
// the CORS rules of the Fetch standard are stable enough to keep it so.
package cors

import (
	"errors"
	"fmt"
	"golang.org/x/net/http/httpguts"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/troupe-go/troupe/actors"
)

// Config configures the stage. AllowedOrigins is required; every other
// field's zero value is its default.
type Config struct {
	// AllowedOrigins are the origins that may read responses: exact
	// origins ("https://app.example.com", "http://127.0.0.1:8080"),
	// wildcard subdomains ("https://*.example.com"), or "*" alone for any
	// origin (only without AllowCredentials). Required.
	AllowedOrigins []string `yaml:"allowed_origins"`
	// AllowedMethods are the methods a preflight may ask for, upper-cased.
	// Defaults to GET, HEAD and POST.
	AllowedMethods []string `yaml:"allowed_methods"`
	// AllowedHeaders are the request headers a preflight may ask for, case
	// insensitively; "*" allows any. Defaults to none beyond the
	// CORS-safelisted ones: list Content-Type for JSON bodies.
	AllowedHeaders []string `yaml:"allowed_headers"`
	// ExposedHeaders are the response headers, beyond the safelisted ones,
	// that scripts may read. Defaults to none.
	ExposedHeaders []string `yaml:"exposed_headers"`
	// AllowCredentials lets requests with cookies or HTTP authentication
	// through (fetch's credentials: 'include'). Defaults to false.
	AllowCredentials bool `yaml:"allow_credentials"`
	// MaxAge is how long a browser may cache a preflight's answer, in whole
	// seconds (Chromium caps it at 2h, Firefox at 24h). Zero sends no
	// Access-Control-Max-Age: browsers then cache for 5s.
	MaxAge time.Duration `yaml:"max_age"`
}

// stage is the CORS stage. It is read-only and safe for concurrent use.
type stage struct {
	origins     origins
	methods     map[string]bool
	allowMethod string // Access-Control-Allow-Methods
	headers     map[string]bool
	anyHeader   bool
	expose      string
	credentials bool
	maxAge      string
}

var _ actors.Stage = (*stage)(nil)

// Vary values: an answer depends on the Origin; a preflight's also on what
// it asks for.
const (
	varyOrigin    = "Origin"
	varyPreflight = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
)

// Priority is the priority of a CORS stage: actors.Global.
const Priority = actors.Global

// New returns the Spec of a CORS stage named name: stateless, of priority
// Priority. It fails with an error naming every bad setting.
func New(name string, cfg Config) (*actors.Spec, error) {
	s, err := newStage(cfg)
	if err != nil {
		return nil, fmt.Errorf("cors: %w", err)
	}
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: Priority, Stage: s, HTTPOnly: true}, nil
}

// newStage returns the stage cfg describes, or an error naming every bad
// setting.
func newStage(cfg Config) (*stage, error) {
	o, err := parseOrigins(cfg.AllowedOrigins)
	errs := []error{err}
	if len(cfg.AllowedOrigins) == 0 {
		errs = append(errs, errors.New("allowed_origins: at least one origin is required"))
	}
	if o.any && cfg.AllowCredentials {
		errs = append(errs, errors.New(`origin "*" cannot be combined with allow_credentials: list the origins`))
	}
	s := &stage{origins: o, methods: map[string]bool{}, headers: map[string]bool{}, credentials: cfg.AllowCredentials}

	methods := cfg.AllowedMethods
	if len(methods) == 0 {
		methods = []string{http.MethodGet, http.MethodHead, http.MethodPost}
	}
	var list []string
	for _, m := range methods {
		m = strings.ToUpper(strings.TrimSpace(m))
		if !httpguts.ValidHeaderFieldName(m) {
			errs = append(errs, fmt.Errorf("allowed_methods: %q is not a method", m))
			continue
		}
		if !s.methods[m] {
			s.methods[m] = true
			list = append(list, m)
		}
	}
	s.allowMethod = strings.Join(list, ", ")

	for _, h := range cfg.AllowedHeaders {
		h = strings.TrimSpace(h)
		switch {
		case h == "*":
			s.anyHeader = true
		case httpguts.ValidHeaderFieldName(h):
			s.headers[strings.ToLower(h)] = true
		default:
			errs = append(errs, fmt.Errorf("allowed_headers: %q is not a header name", h))
		}
	}
	list = list[:0:0]
	for _, h := range cfg.ExposedHeaders {
		h = strings.TrimSpace(h)
		if !httpguts.ValidHeaderFieldName(h) {
			errs = append(errs, fmt.Errorf("exposed_headers: %q is not a header name", h))
			continue
		}
		list = append(list, http.CanonicalHeaderKey(h))
	}
	s.expose = strings.Join(list, ", ")

	switch {
	case cfg.MaxAge < 0 || cfg.MaxAge%time.Second != 0:
		errs = append(errs, fmt.Errorf("max_age: %s is not a whole number of seconds ≥ 0", cfg.MaxAge))
	case cfg.MaxAge > 0:
		s.maxAge = strconv.FormatInt(int64(cfg.MaxAge/time.Second), 10)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Process answers a preflight with 204, and marks the response of any
// other request from an allowed origin as readable by it.
func (s *stage) Process(ex *actors.Exchange) error {
	r := ex.Request
	h := ex.Response.Header()
	origin, single := singleOrigin(r.Header)
	if r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Add("Vary", varyPreflight)
		if single && s.origins.allows(origin) {
			s.preflight(r, h, origin)
		}
		ex.Respond(http.StatusNoContent, "", nil)
		return nil
	}
	h.Add("Vary", varyOrigin)
	if single && origin != "" && s.origins.allows(origin) {
		s.allowOrigin(h, origin)
		if s.expose != "" {
			h.Set("Access-Control-Expose-Headers", s.expose)
		}
	}
	return nil
}

// preflight sets the headers that let the browser go on with the request
// the preflight asks about, if the method and every header are allowed;
// otherwise none, and the browser refuses it.
func (s *stage) preflight(r *http.Request, h http.Header, origin string) {
	if !s.methods[r.Header.Get("Access-Control-Request-Method")] {
		return
	}
	var asked []string
	for _, line := range r.Header.Values("Access-Control-Request-Headers") {
		for name := range strings.SplitSeq(line, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			if !httpguts.ValidHeaderFieldName(name) || !s.anyHeader && !s.headers[name] {
				return
			}
			asked = append(asked, name)
		}
	}
	s.allowOrigin(h, origin)
	h.Set("Access-Control-Allow-Methods", s.allowMethod)
	if len(asked) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(asked, ", "))
	}
	if s.maxAge != "" {
		h.Set("Access-Control-Max-Age", s.maxAge)
	}
}

func (s *stage) allowOrigin(h http.Header, origin string) {
	if s.origins.any {
		h.Set("Access-Control-Allow-Origin", "*") // New refuses "*" with credentials
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	if s.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// singleOrigin returns the request's Origin and whether it sent exactly
// one (several Origin headers are allowed nothing).
func singleOrigin(h http.Header) (string, bool) {
	v := h["Origin"]
	if len(v) == 0 {
		return "", false
	}
	return v[0], len(v) == 1
}
