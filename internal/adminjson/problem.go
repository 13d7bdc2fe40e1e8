package adminjson

import (
	"net/http"

	"github.com/troupe-go/troupe/internal/pipeline"
)

// Problem answers status with an RFC 9457 problem document
// (application/problem+json), the shape of every other error troupe
// writes; instance is the request's path.
func Problem(w http.ResponseWriter, r *http.Request, status int, detail string) {
	w.Header().Set("Content-Type", pipeline.ProblemContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(pipeline.ProblemBody(status, detail, r.URL.Path, "")) // a failed write means the client is gone
}

// MethodNotAllowed answers 405 with Allow and a problem document.
func MethodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	Problem(w, r, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed here; allowed: "+allow)
}
