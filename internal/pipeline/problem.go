package pipeline

import (
	"encoding/json"
	"net/http"
)

// ProblemContentType is the media type of every error body troupe writes.
const ProblemContentType = "application/problem+json"

// Problem is the RFC 9457 problem document troupe answers errors with. Every
// error response of a troupe server, whichever part produced it, has this
// shape and carries the request id.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// ProblemBody renders the problem document for status. Detail and instance
// may be empty. The result is always valid JSON, whatever bytes the strings
// hold.
func ProblemBody(status int, detail, instance, requestID string) []byte {
	title := http.StatusText(status)
	if title == "" {
		title = "Error"
	}
	b, err := json.Marshal(Problem{
		Type:      "about:blank",
		Title:     title,
		Status:    status,
		Detail:    detail,
		Instance:  instance,
		RequestID: requestID,
	})
	if err != nil { // unreachable: the struct holds only strings and an int
		return []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}`)
	}
	return b
}
