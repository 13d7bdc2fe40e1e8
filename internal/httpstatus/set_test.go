package httpstatus

import "testing"

func TestParse(t *testing.T) {
	s, err := Parse([]string{"5xx", "429", " 404 "})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		give int
		want bool
	}{
		{give: 500, want: true}, {give: 599, want: true}, {give: 503, want: true},
		{give: 429, want: true}, {give: 404, want: true}, {give: 400, want: false},
		{give: 200, want: false}, {give: 499, want: false}, {give: 0, want: false}, {give: 600, want: false},
	}
	for _, tt := range tests {
		if got := s.Has(tt.give); got != tt.want {
			t.Errorf("Has(%d) = %v, want %v", tt.give, got, tt.want)
		}
	}
	for _, bad := range []string{"6xx", "99", "abc", "5x", ""} {
		if _, err := Parse([]string{bad}); err == nil {
			t.Errorf("Parse(%q) = nil error", bad)
		}
	}
}
