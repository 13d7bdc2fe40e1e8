package secheaders

import "github.com/troupe-go/troupe/config"

// doc describes the kind security_headers and its options, for `server -kinds`.
const doc = "security response headers on every response, errors included: X-Content-Type-Options nosniff, X-Frame-Options DENY, " +
	"Referrer-Policy no-referrer, Content-Security-Policy \"default-src 'none'; frame-ancestors 'none'\", " +
	"Cross-Origin-Opener-Policy and Cross-Origin-Resource-Policy same-origin, a Permissions-Policy denying powerful features; HSTS when asked. " +
	"Options (each replaces its header's default): content_type_options, frame_options, referrer_policy, content_security_policy, " +
	"cross_origin_opener_policy, cross_origin_resource_policy, permissions_policy; hsts_max_age (duration, whole seconds; default off), " +
	"hsts_include_subdomains, hsts_preload; omit (list of header names not to send)."

// Register adds the stage kind security_headers to reg:
//
//	stages:
//	  security:
//	    kind: security_headers
//	    options:
//	      content_security_policy: "default-src 'self'"
//	      hsts_max_age: 8760h
//	      omit: [X-Frame-Options]
func Register(reg *config.Registry) {
	reg.Register("security_headers", config.StageKind(doc, Priority, New))
}
