package accesslog

import "testing"

func TestClean(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"plain", "curl/8.5.0", "curl/8.5.0"},
		{"empty", "", ""},
		{"quotes stay", `say "hi"`, `say "hi"`},
		{"printable unicode stays", "Mozilla/5.0 (日本語; é)", "Mozilla/5.0 (日本語; é)"},
		{"newline", "a\nb", `a\nb`},
		{"carriage return", "a\rb", `a\rb`},
		{"tab", "a\tb", `a\tb`},
		{"nul", "a\x00b", `a\x00b`},
		{"escape", "a\x1b[31mb", `a\x1b[31mb`},
		{"del", "a\x7fb", `a\x7fb`},
		{"c1 next line", "a\u0085b", `a\u0085b`},
		{"line separator", "a\u2028b", `a\u2028b`},
		{"paragraph separator", "a\u2029b", `a\u2029b`},
		{"bidi override", "a\u202eb", `a\u202eb`},
		{"zero width space", "a\u200bb", `a\u200bb`},
		{"invalid utf-8", "a\xffb\xc3", `a\xffb\xc3`},
		{"backslash", `a\nb`, `a\\nb`},
		{"forged line", "x\n{\"level\":\"info\",\"msg\":\"request\"}", `x\n{"level":"info","msg":"request"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clean(tt.give); got != tt.want {
				t.Errorf("clean(%q) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

func TestCleanDoesNotAllocateForPlainStrings(t *testing.T) {
	s := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"
	if n := testing.AllocsPerRun(100, func() { _ = clean(s) }); n != 0 {
		t.Errorf("clean allocated %v times for printable ASCII, want 0", n)
	}
}
