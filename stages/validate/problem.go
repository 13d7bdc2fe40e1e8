package validate

import (
	"encoding/json"
	"net/http"

	"github.com/troupe-go/troupe/actors"
)

// FieldError is one way a request body fails its schema: where (a JSON
// Pointer, RFC 6901, into the body; "" is the whole body) and what.
type FieldError struct {
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
}

// problem is actors.Problem with the "errors" extension member RFC 9457
// §3.2 allows. It keeps actors.Problem's members and their order, so that
// a client reads every troupe error body the same way.
type problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors"`
}

// problemBody renders the problem document for status with errs.
func problemBody(ex *actors.Exchange, status int, detail string, errs []FieldError) []byte {
	if errs == nil {
		errs = []FieldError{}
	}
	b, err := json.Marshal(problem{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  ex.Request.URL.Path,
		RequestID: ex.RequestID,
		Errors:    errs,
	})
	if err != nil { // unreachable: strings and an int
		return actors.ProblemBody(status, detail, ex.Request.URL.Path, ex.RequestID)
	}
	return b
}
