package validate

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestAppendUnescaped: keys are compared unescaped, as encoding/json
// decodes them.
func TestAppendUnescaped(t *testing.T) {
	tests := []struct{ name, give string }{
		{name: "plain", give: `abc`},
		{name: "short escapes", give: `\"\\\/\b\f\n\r\t`},
		{name: "unicode escape", give: `caf\u00e9 \u2615`},
		{name: "surrogate pair", give: `\ud834\udd1e x \uD83D\uDE00`},
		{name: "raw UTF-8 beside escapes", give: `é\u00e9é`},
		{name: "NUL", give: `a\u0000b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want string
			if err := json.Unmarshal([]byte(`"`+tt.give+`"`), &want); err != nil {
				t.Fatal(err)
			}
			if got := string(appendUnescaped([]byte("prefix:"), []byte(tt.give))); got != "prefix:"+want {
				t.Errorf("appendUnescaped(%q) = %q, want %q", tt.give, got, "prefix:"+want)
			}
		})
	}
}

// TestScannerReuse: a scanner that stopped at a fault deep inside objects
// is clean for the next body.
func TestScannerReuse(t *testing.T) {
	wide := func(extra string) string {
		var b strings.Builder
		b.WriteString(`{"a":{`)
		for i := range 30 {
			fmt.Fprintf(&b, `"k%d":%d,`, i, i)
		}
		b.WriteString(extra + `}}`)
		return b.String()
	}
	for range 3 {
		if f := check([]byte(wide(`"k7":0`)), 32, true); f.kind != faultDuplicate || f.pointer != "/a/k7" {
			t.Fatalf("duplicate: fault %+v, want a duplicate at /a/k7", f)
		}
		if f := check([]byte(wide(`"x":0`)), 32, true); f.kind != faultNone {
			t.Fatalf("no duplicate: fault %+v", f)
		}
	}
}

// BenchmarkCheck measures the scanner alone on the bodies of
// BenchmarkProcess's shapes, with and without the duplicate-key check.
func BenchmarkCheck(b *testing.B) {
	item := `{"name":"desk lamp","count":3,"tags":["home","light"],"price":19.99,"items":[{"name":"bulb"},{"name":"shade"}]}`
	var page, wide strings.Builder
	page.WriteString(`{"name":"page","items":[`)
	for i := range 100 {
		if i > 0 {
			page.WriteByte(',')
		}
		fmt.Fprintf(&page, `{"name":"item %d","count":%d,"note":"caf\u00e9 \u2615 %d"}`, i, i, i)
	}
	page.WriteString(`]}`)
	wide.WriteString(`{"name":"wide","items":[]`)
	for i := range 200 {
		fmt.Fprintf(&wide, `,"field_%03d":%d`, i, i)
	}
	wide.WriteString(`}`)
	for _, body := range []struct{ name, body string }{{"item", item}, {"page", page.String()}, {"wide", wide.String()}} {
		for _, dupes := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/dupes=%v", body.name, dupes), func(b *testing.B) {
				bs := []byte(body.body)
				b.SetBytes(int64(len(bs)))
				b.ReportAllocs()
				for b.Loop() {
					if f := check(bs, DefaultMaxDepth, dupes); f.kind != faultNone {
						b.Fatal(f)
					}
				}
			})
		}
	}
}
