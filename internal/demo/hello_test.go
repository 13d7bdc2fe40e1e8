package demo

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/troupe-go/troupe/actors"
)

func TestHello(t *testing.T) {
	tests := []struct {
		name string
		give string // options
		id   string
		want helloBody
	}{
		{name: "default", give: "", id: "req-1", want: helloBody{Message: "hello", RequestID: "req-1"}},
		{name: "message", give: "message: survived", id: "req-2", want: helloBody{Message: "survived", RequestID: "req-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := build(t, helloKind(), tt.give)
			if spec.Kind != actors.Stateless || spec.Priority != actors.Terminating {
				t.Errorf("spec = %s %s, want a pure terminating handler", spec.Kind, spec.Priority)
			}
			ex := exchange(t, http.MethodGet, "/hello", nil)
			ex.RequestID = tt.id
			if err := spec.Stage.Process(ex); err != nil {
				t.Fatalf("Process = %v", err)
			}
			if ex.Response.Status != http.StatusOK || ex.Response.Header().Get("Content-Type") != "application/json" {
				t.Errorf("response = %d %q, want 200 application/json", ex.Response.Status, ex.Response.Header().Get("Content-Type"))
			}
			var got helloBody
			if err := json.Unmarshal(ex.Response.Body, &got); err != nil || got != tt.want {
				t.Errorf("body = %s (%v), want %+v", ex.Response.Body, err, tt.want)
			}
		})
	}
}
