package routing

import "testing"

func TestParams(t *testing.T) {
	tab := newTable(t, route3{"GET", "/{a}/{b}/{c...}"})
	m, _ := tab.Lookup("GET", "/1/2/3/4")
	tests := []struct {
		name string
		give string
		want string
	}{
		{"first", "a", "1"},
		{"second", "b", "2"},
		{"wildcard", "c", "3/4"},
		{"absent", "d", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.Params.Get(tt.give); got != tt.want {
				t.Errorf("Params.Get(%q) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

func TestParamsOrder(t *testing.T) {
	tab := newTable(t, route3{"GET", "/{a}/{b}/{c...}"})
	m, _ := tab.Lookup("GET", "/1/2/3/4")
	if got, want := formatParams(m.Params), "a=1 b=2 c=3/4"; got != want {
		t.Errorf("Lookup(%q, %q).Params = %q, want %q", "GET", "/1/2/3/4", got, want)
	}
}

func TestParamsZero(t *testing.T) {
	var p Params
	if p.Len() != 0 || p.Get("x") != "" {
		t.Errorf("zero Params: Len() = %d, Get(%q) = %q, want 0 and \"\"", p.Len(), "x", p.Get("x"))
	}
}

func TestOutcomeString(t *testing.T) {
	tests := []struct {
		give Outcome
		want string
	}{
		{Found, "Found"},
		{NotFound, "NotFound"},
		{MethodNotAllowed, "MethodNotAllowed"},
		{BadPath, "BadPath"},
		{Outcome(9), "Outcome(9)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.give.String(); got != tt.want {
				t.Errorf("Outcome(%d).String() = %q, want %q", int(tt.give), got, tt.want)
			}
		})
	}
}
