package adminjson_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/troupe-go/troupe/internal/adminjson"
)

func TestDecode(t *testing.T) {
	type body struct {
		On bool `json:"on"`
	}
	tests := []struct {
		name, give string
		wantErr    bool
	}{
		{"ok", `{"on":true}`, false},
		{"unknown field", `{"on":true,"off":1}`, true},
		{"not json", `on`, true},
		{"too large", `{"on":true,"pad":"` + strings.Repeat("x", adminjson.MaxBody) + `"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b body
			err := adminjson.Decode(httptest.NewRecorder(), httptest.NewRequest("PUT", "/", strings.NewReader(tt.give)), &b, "on")
			if (err != nil) != tt.wantErr {
				t.Errorf("Decode(%.40q) = %v, want error %v", tt.give, err, tt.wantErr)
			}
		})
	}
}

func TestError(t *testing.T) {
	rec := httptest.NewRecorder()
	adminjson.Error(rec, `bad "value"`)
	if rec.Code != http.StatusBadRequest || rec.Body.String() != `{"error":"bad \"value\""}`+"\n" || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("Error wrote %d %q %q", rec.Code, rec.Body.String(), rec.Header().Get("Content-Type"))
	}
}
