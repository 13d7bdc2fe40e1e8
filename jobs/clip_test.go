package jobs

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestClip: an error of any size is stored as at most maxErrorBytes and a
// note of what was cut, still valid UTF-8; a short one is kept whole.
func TestClip(t *testing.T) {
	if got := clip("short"); got != "short" {
		t.Errorf("clip(short) = %q", got)
	}
	long := strings.Repeat("é", 1<<20) // 2 MiB of two-byte runes
	got := clip(long)
	if len(got) > maxErrorBytes+64 || !utf8.ValidString(got) || !strings.HasSuffix(got, "bytes cut)") {
		t.Errorf("clip of 2 MiB = %d bytes, valid %v, ends %q", len(got), utf8.ValidString(got), got[len(got)-20:])
	}
}
