package batching

import (
	"encoding/json"
	"testing"
)

func TestDescribeJSONError(t *testing.T) {
	type item struct {
		ID       string    `json:"id"`
		Features []float64 `json:"features"`
		Count    int       `json:"count"`
		On       bool      `json:"on"`
	}
	tests := []struct{ body, want string }{
		{`{"id":"a","features":"x"}`, "features: got a string, want an array"},
		{`[{"id":"a"}]`, "the body: got an array, want an object"},
		{`{"id":7}`, "id: got a number, want a string"},
		{`{"count":1.5}`, "count: got a number 1.5, want an integer"},
		{`{"features":[true]}`, "features: got a boolean, want a number"},
		{`{"on":"yes"}`, "on: got a string, want a boolean"},
		{`{"id":`, "not valid JSON at byte 6: unexpected end of JSON input"},
		{`{"id" "a"}`, "not valid JSON at byte 7: invalid character '\"' after object key"},
	}
	for _, tt := range tests {
		var v item
		err := json.Unmarshal([]byte(tt.body), &v)
		if err == nil {
			t.Fatalf("%s decoded", tt.body)
		}
		if got := describeJSONError(err); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.body, got, tt.want)
		}
	}
}
