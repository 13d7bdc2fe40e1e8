// Package secheaders is the stage that sets the security response headers
// an API wants on every response, error responses included:
//
//	X-Content-Type-Options: nosniff
//	X-Frame-Options: DENY
//	Referrer-Policy: no-referrer
//	Content-Security-Policy: default-src 'none'; frame-ancestors 'none'
//	Cross-Origin-Opener-Policy: same-origin
//	Cross-Origin-Resource-Policy: same-origin
//	Permissions-Policy: accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()
//
// and, when HSTSMaxAge is set, Strict-Transport-Security. The defaults suit
// a JSON API, whose responses no browser should render, frame or embed; a
// site serving HTML overrides ContentSecurityPolicy, and one whose
// resources other origins load (images, scripts from a CDN) sets
// CrossOriginResourcePolicy to "cross-origin".
//
//	s, err := secheaders.New("security-headers", secheaders.Config{
//		ContentSecurityPolicy: "default-src 'self'",
//		HSTSMaxAge:            365 * 24 * time.Hour,
//		Omit:                  []string{"X-Frame-Options"},
//	})
//	if err != nil { … }
//	app.Use(s)
//
// The headers are set on the way in (Process), so they are on whatever
// response the route produces: a handler's, an error a later stage
// returns, or a 500 after a panic (Exchange.Fail keeps them). A later
// stage or handler that sets one of them wins. Responses the ingress
// writes before any stage runs (404, 405, 413, 503 at the in-flight limit)
// do not carry them.
package secheaders

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/troupe-go/troupe/actors"
)

// The headers the stage manages, as Omit names them.
const (
	ContentTypeOptions        = "X-Content-Type-Options"
	FrameOptions              = "X-Frame-Options"
	ReferrerPolicy            = "Referrer-Policy"
	ContentSecurityPolicy     = "Content-Security-Policy"
	CrossOriginOpenerPolicy   = "Cross-Origin-Opener-Policy"
	CrossOriginResourcePolicy = "Cross-Origin-Resource-Policy"
	PermissionsPolicy         = "Permissions-Policy"
	StrictTransportSecurity   = "Strict-Transport-Security"
)

// Config configures the stage. Its zero value sets the defaults shown in
// the package documentation; a non-empty field replaces its header's
// value, and Omit leaves headers out.
type Config struct {
	// ContentTypeOptions is X-Content-Type-Options. Defaults to "nosniff".
	ContentTypeOptions string `yaml:"content_type_options"`
	// FrameOptions is X-Frame-Options. Defaults to "DENY".
	FrameOptions string `yaml:"frame_options"`
	// ReferrerPolicy is Referrer-Policy. Defaults to "no-referrer".
	ReferrerPolicy string `yaml:"referrer_policy"`
	// ContentSecurityPolicy is Content-Security-Policy. Defaults to
	// "default-src 'none'; frame-ancestors 'none'": nothing may load, and
	// nobody may frame the response.
	ContentSecurityPolicy string `yaml:"content_security_policy"`
	// CrossOriginOpenerPolicy is Cross-Origin-Opener-Policy. Defaults to
	// "same-origin".
	CrossOriginOpenerPolicy string `yaml:"cross_origin_opener_policy"`
	// CrossOriginResourcePolicy is Cross-Origin-Resource-Policy. Defaults
	// to "same-origin"; it does not stop CORS reads, which CORS governs.
	CrossOriginResourcePolicy string `yaml:"cross_origin_resource_policy"`
	// PermissionsPolicy is Permissions-Policy. Defaults to denying the
	// powerful features: accelerometer, camera, geolocation, gyroscope,
	// magnetometer, microphone, payment and usb.
	PermissionsPolicy string `yaml:"permissions_policy"`
	// HSTSMaxAge turns Strict-Transport-Security on, with this max-age in
	// whole seconds. Zero (the default) sends none: HSTS pins a host to
	// HTTPS for the max-age, so turn it on deliberately, once HTTPS works
	// (behind a TLS-terminating proxy too; browsers ignore it over HTTP).
	HSTSMaxAge time.Duration `yaml:"hsts_max_age"`
	// HSTSIncludeSubdomains adds includeSubDomains. Defaults to false.
	HSTSIncludeSubdomains bool `yaml:"hsts_include_subdomains"`
	// HSTSPreload adds preload; it needs HSTSIncludeSubdomains and a
	// max-age of a year or more, as the preload list requires. Defaults
	// to false.
	HSTSPreload bool `yaml:"hsts_preload"`
	// Omit names headers not to send at all, e.g. "X-Frame-Options" (case
	// insensitive). Defaults to none.
	Omit []string `yaml:"omit"`
}

// stage sets precomputed headers. It is read-only and safe for concurrent
// use.
type stage struct {
	keys   []string // canonical names
	values []string // values[i] is keys[i]'s
}

var _ actors.Stage = (*stage)(nil)

// header is one managed header: its configured value and its default.
type header struct{ key, value, def string }

// Priority is the priority of a security_headers stage: actors.Global, so
// that the headers are on every response, the other stages' errors
// included.
const Priority = actors.Global

// New returns the Spec of a security_headers stage named name: stateless,
// of priority Priority. It fails with an error naming every bad setting.
func New(name string, cfg Config) (*actors.Spec, error) {
	s, err := newStage(cfg)
	if err != nil {
		return nil, fmt.Errorf("security_headers: %w", err)
	}
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: Priority, Stage: s, HTTPOnly: true}, nil
}

// newStage returns the stage cfg describes, or an error naming every bad
// setting.
func newStage(cfg Config) (*stage, error) {
	headers := []header{
		{ContentTypeOptions, cfg.ContentTypeOptions, "nosniff"},
		{FrameOptions, cfg.FrameOptions, "DENY"},
		{ReferrerPolicy, cfg.ReferrerPolicy, "no-referrer"},
		{ContentSecurityPolicy, cfg.ContentSecurityPolicy, "default-src 'none'; frame-ancestors 'none'"},
		{CrossOriginOpenerPolicy, cfg.CrossOriginOpenerPolicy, "same-origin"},
		{CrossOriginResourcePolicy, cfg.CrossOriginResourcePolicy, "same-origin"},
		{PermissionsPolicy, cfg.PermissionsPolicy, "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"},
		{StrictTransportSecurity, "", ""},
	}
	var errs []error
	hsts, err := hstsValue(cfg)
	if err != nil {
		errs = append(errs, err)
	}
	headers[len(headers)-1].def = hsts

	omit := map[string]bool{}
	for _, name := range cfg.Omit {
		key := http.CanonicalHeaderKey(strings.TrimSpace(name))
		if !slices.ContainsFunc(headers, func(h header) bool { return h.key == key }) {
			errs = append(errs, fmt.Errorf("omit: %q is not one of the headers the stage sets", name))
		}
		omit[key] = true
	}

	s := &stage{}
	for _, h := range headers {
		v := cmp.Or(h.value, h.def)
		if strings.ContainsFunc(h.value, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
			errs = append(errs, fmt.Errorf("%s: the value must not hold control characters", h.key))
		}
		switch {
		case omit[h.key] && h.value != "":
			errs = append(errs, fmt.Errorf("%s is both given a value and omitted", h.key))
		case omit[h.key] || v == "":
		default:
			s.keys, s.values = append(s.keys, h.key), append(s.values, v)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// hstsValue returns the Strict-Transport-Security value, or "" when HSTS
// is off.
func hstsValue(cfg Config) (string, error) {
	switch {
	case cfg.HSTSMaxAge < 0 || cfg.HSTSMaxAge%time.Second != 0:
		return "", fmt.Errorf("hsts_max_age: %s is not a whole number of seconds ≥ 0", cfg.HSTSMaxAge)
	case cfg.HSTSMaxAge == 0 && (cfg.HSTSIncludeSubdomains || cfg.HSTSPreload):
		return "", errors.New("hsts_include_subdomains and hsts_preload need hsts_max_age")
	case cfg.HSTSMaxAge == 0:
		return "", nil
	case cfg.HSTSPreload && (!cfg.HSTSIncludeSubdomains || cfg.HSTSMaxAge < 365*24*time.Hour):
		return "", errors.New("hsts_preload needs hsts_include_subdomains and an hsts_max_age of a year (8760h) or more")
	}
	v := "max-age=" + strconv.FormatInt(int64(cfg.HSTSMaxAge/time.Second), 10)
	if cfg.HSTSIncludeSubdomains {
		v += "; includeSubDomains"
	}
	if cfg.HSTSPreload {
		v += "; preload"
	}
	return v, nil
}

// Process sets the headers and lets the exchange go on.
func (s *stage) Process(ex *actors.Exchange) error {
	h := ex.Response.Header()
	// One backing array per response: each header gets a slice of its own
	// (capacity 1, so a later Add copies), and no response shares one
	// with another.
	vals := make([]string, len(s.values))
	copy(vals, s.values)
	for i, k := range s.keys {
		h[k] = vals[i : i+1 : i+1]
	}
	return nil
}

// FixedHeaders returns the headers the stage sets: the same on every
// response, so the deadline's 504, which no stage sees, carries them too
// (actors.FixedHeaderStage).
func (s *stage) FixedHeaders() http.Header {
	h := make(http.Header, len(s.keys))
	for i, k := range s.keys {
		h[k] = []string{s.values[i]}
	}
	return h
}

var _ actors.FixedHeaderStage = (*stage)(nil)
