// Package envelope is the stage that wraps a group's JSON responses in one
// envelope, so that clients read every answer the same way:
//
//	{"data": <the JSON body>, "error": null, "request_id": "…"}
//	{"data": null, "error": <the problem+json body>, "request_id": "…"}
//
// The status stays as it was; the Content-Type becomes application/json.
// Bodies that are not JSON (by Content-Type, or because they do not parse),
// empty bodies (204, 304, HEAD answered without one) and encoded bodies
// (Content-Encoding) are left alone. A strong ETag becomes weak: the
// envelope's bytes differ per request (its request_id), its data do not.
//
//	env, _ := envelope.New("envelope", envelope.Config{}) // it never fails
//	app.Group("/api", env)
//
// It is Global (Priority): its after-phase
// runs only on exchanges whose Process it ran, so as the first stage of the
// route it also wraps the errors of the stages after it (auth's 401,
// validate's 422), and it wraps what a cache stage answers rather than
// being cached with another request's id. Rejections the ingress makes
// before any stage runs (404 and 405 for unknown routes, 413 past the
// body limit, 503 under overload, 504 at the deadline) are not wrapped.
//
// An exchange is wrapped at most once, however many envelope stages its
// route has.
package envelope

import (
	"encoding/json"
	"strings"

	"github.com/troupe-go/troupe/actors"
)

// wrapped marks an exchange whose response has been wrapped.
var wrapped = actors.NewKey[bool]("envelope.wrapped")

// Priority is the priority of an envelope stage: actors.Global, so that it
// also wraps the errors of the stages after it.
const Priority = actors.Global

// Config configures an envelope stage. It is empty: the stage has no
// options. It is there so that New has the shape every stage package's
// New shares, and so that options can come without changing it.
type Config struct{}

// New returns the Spec of an envelope stage named name: stateless, of
// priority Priority. The stage holds no state. New never fails.
func New(name string, _ Config) (*actors.Spec, error) {
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: Priority, Stage: stage{}}, nil
}

type stage struct{}

var _ actors.AfterStage = stage{}

// Process lets the exchange go on: the work is in After.
func (stage) Process(*actors.Exchange) error { return nil }

// After wraps the response, if it is JSON.
func (stage) After(ex *actors.Exchange) {
	body := ex.Response.Body
	h := ex.Response.HeaderIfAny()
	if len(body) == 0 || h == nil {
		return
	}
	if done, _ := wrapped.Get(ex); done {
		return
	}
	if ce := h.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return
	}
	problem := false
	switch mt := mediaType(h.Get("Content-Type")); {
	case mt == actors.ProblemContentType:
		problem = true
	case mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"):
	default:
		return
	}
	if !json.Valid(body) {
		return
	}
	id, _ := json.Marshal(ex.RequestID) // a string always marshals
	out := make([]byte, 0, len(body)+len(id)+48)
	if problem {
		out = append(out, `{"data":null,"error":`...)
		out = append(out, body...)
	} else {
		out = append(out, `{"data":`...)
		out = append(out, body...)
		out = append(out, `,"error":null`...)
	}
	out = append(out, `,"request_id":`...)
	out = append(out, id...)
	out = append(out, '}')
	ex.Response.Body = out
	h.Set("Content-Type", "application/json")
	for _, k := range []string{"Content-Length", "Content-Md5", "Digest", "Content-Digest", "Repr-Digest"} {
		delete(h, k)
	}
	if etag := h.Get("Etag"); strings.HasPrefix(etag, `"`) {
		h.Set("Etag", "W/"+etag)
	}
	wrapped.Set(ex, true)
}

// mediaType returns the media type of a Content-Type value, lower case,
// without parameters.
func mediaType(contentType string) string {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}
