package validate_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/validate"
)

// wideObject returns an object with keys k0…k(n-1), then the extra
// members given.
func wideObject(n int, extra string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		fmt.Fprintf(&b, `"k%d":%d,`, i, i)
	}
	b.WriteString(extra)
	b.WriteByte('}')
	return b.String()
}

// wideValue is wideObject(n, `"x":0`) decoded.
func wideValue(n int) map[string]any {
	m := map[string]any{"x": json.Number("0")}
	for i := range n {
		m[fmt.Sprintf("k%d", i)] = json.Number(fmt.Sprint(i))
	}
	return m
}

// TestStrictRejects covers the checks a decoder that keeps the last of a
// key's values, and makes bad UTF-8 into U+FFFD, would let through: each
// row is refused with 400 problem+json saying what and where.
func TestStrictRejects(t *testing.T) {
	const (
		dup       = "the JSON body has a key twice in one object"
		badString = "the JSON body holds a string that is not valid UTF-8"
		badKey    = "the JSON body holds an object key that is not valid UTF-8"
		surrogate = `the JSON body holds a \u escape of half a UTF-16 surrogate pair`
	)
	tests := []struct {
		name        string
		body        string
		wantDetail  string // without " (at byte N)"
		wantOffset  int
		wantPointer string
		wantWhat    string
	}{
		{name: "duplicate key, last one valid", body: `{"name":"a","price":-5,"price":1}`, wantDetail: dup, wantOffset: 23, wantPointer: "/price", wantWhat: "duplicate key"},
		{name: "duplicate key spelled with an escape", body: `{"a":1,"\u0061":2}`, wantDetail: dup, wantOffset: 7, wantPointer: "/a", wantWhat: "duplicate key"},
		{name: "duplicate key with escapes both times", body: `{"\n":1,"\u000a":2}`, wantDetail: dup, wantOffset: 8, wantPointer: "/\n", wantWhat: "duplicate key"},
		{name: "duplicate key in an array's object", body: `{"items":[{"name":"x"},{"name":"y","name":"z"}]}`, wantDetail: dup, wantOffset: 35, wantPointer: "/items/1/name", wantWhat: "duplicate key"},
		{name: "duplicate key after the object's children", body: `{"a":{"b":{"c":1}},"d":[{"a":1}],"a":2}`, wantDetail: dup, wantOffset: 33, wantPointer: "/a", wantWhat: "duplicate key"},
		{name: "duplicate key in a wide object", body: wideObject(40, `"k3":0`), wantDetail: dup, wantOffset: len(wideObject(40, "")) - 1, wantPointer: "/k3", wantWhat: "duplicate key"},
		{name: "duplicate key last in a wide object", body: wideObject(40, `"k39":0`), wantDetail: dup, wantOffset: len(wideObject(40, "")) - 1, wantPointer: "/k39", wantWhat: "duplicate key"},
		{name: "duplicate key in the second of two wide objects", body: `[` + wideObject(40, `"x":0`) + `,` + wideObject(40, `"k0":0`) + `]`,
			wantDetail: dup, wantOffset: len(`[`+wideObject(40, `"x":0`)+`,`) + len(wideObject(40, "")) - 1, wantPointer: "/1/k0", wantWhat: "duplicate key"},
		{name: "duplicate key in a very wide object", body: wideObject(5000, `"k4999":0`), wantDetail: dup, wantOffset: len(wideObject(5000, "")) - 1, wantPointer: "/k4999", wantWhat: "duplicate key"},
		{name: "duplicate key named with a slash and a tilde", body: `{"a/b~":1,"a/b~":2}`, wantDetail: dup, wantOffset: 10, wantPointer: "/a~1b~0", wantWhat: "duplicate key"},
		{name: "duplicate empty key", body: `{"":1,"":2}`, wantDetail: dup, wantOffset: 6, wantPointer: "/", wantWhat: "duplicate key"},
		{name: "invalid byte in a value", body: "{\"name\":\"\xff\"}", wantDetail: badString, wantOffset: 9, wantPointer: "/name", wantWhat: "invalid UTF-8"},
		{name: "invalid byte in an array element", body: "[\"ok\",\"a\xfe\"]", wantDetail: badString, wantOffset: 8, wantPointer: "/1", wantWhat: "invalid UTF-8"},
		{name: "invalid byte at the top", body: "\"\x80\"", wantDetail: badString, wantOffset: 1, wantPointer: "", wantWhat: "invalid UTF-8"},
		{name: "overlong encoding of a slash", body: "[\"\xc0\xaf\"]", wantDetail: badString, wantOffset: 2, wantPointer: "/0", wantWhat: "invalid UTF-8"},
		{name: "surrogate half encoded in UTF-8", body: "[\"\xed\xa0\x80\"]", wantDetail: badString, wantOffset: 2, wantPointer: "/0", wantWhat: "invalid UTF-8"},
		{name: "truncated sequence before the quote", body: "{\"a\":\"\xe2\x82\"}", wantDetail: badString, wantOffset: 6, wantPointer: "/a", wantWhat: "invalid UTF-8"},
		{name: "invalid byte in a key", body: "{\"\xffa\":1}", wantDetail: badKey, wantOffset: 2, wantPointer: "", wantWhat: "invalid UTF-8 in a key"},
		{name: "invalid byte in a nested key", body: "{\"a\":{\"ok\":1,\"b\xc3\":1}}", wantDetail: badKey, wantOffset: 15, wantPointer: "/a", wantWhat: "invalid UTF-8 in a key"},
		{name: "lone high surrogate", body: `{"name":"\ud800"}`, wantDetail: surrogate, wantOffset: 9, wantPointer: "/name", wantWhat: "unpaired surrogate escape"},
		{name: "lone low surrogate", body: `"\uDC00"`, wantDetail: surrogate, wantOffset: 1, wantPointer: "", wantWhat: "unpaired surrogate escape"},
		{name: "high surrogate then a letter", body: `["\ud834x"]`, wantDetail: surrogate, wantOffset: 2, wantPointer: "/0", wantWhat: "unpaired surrogate escape"},
		{name: "two high surrogates", body: `["\ud834\ud834\udd1e"]`, wantDetail: surrogate, wantOffset: 2, wantPointer: "/0", wantWhat: "unpaired surrogate escape"},
		{name: "high surrogate then another escape", body: `["\ud834\n"]`, wantDetail: surrogate, wantOffset: 2, wantPointer: "/0", wantWhat: "unpaired surrogate escape"},
		{name: "lone surrogate in a key", body: `{"\udbff":1}`, wantDetail: surrogate, wantOffset: 2, wantPointer: "", wantWhat: "unpaired surrogate escape"},
	}
	stage, err := newStage(validate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := run(t, stage, "POST", "application/json", tt.body)
			if out.Status != http.StatusBadRequest || out.HandlerRan || out.Header.Get("Content-Type") != actors.ProblemContentType {
				t.Fatalf("%q = %d %q %s (handler ran: %v), want 400 problem+json", tt.body, out.Status, out.Header.Get("Content-Type"), out.Body, out.HandlerRan)
			}
			var got schemaProblem
			if err := json.Unmarshal(out.Body, &got); err != nil {
				t.Fatal(err)
			}
			wantDetail := fmt.Sprintf("%s (at byte %d)", tt.wantDetail, tt.wantOffset)
			wantErrors := []validate.FieldError{{Pointer: tt.wantPointer, Detail: tt.wantWhat}}
			if got.Status != 400 || got.Detail != wantDetail || !reflect.DeepEqual(got.Errors, wantErrors) {
				t.Errorf("%q = %+v, want detail %q and errors %+v", tt.body, got, wantDetail, wantErrors)
			}
			if _, ok := validate.From(out.Exchange); ok {
				t.Error("a refused body was kept for the handler")
			}
		})
	}
}

// TestStrictPasses covers bodies close to the refused ones that are fine.
func TestStrictPasses(t *testing.T) {
	tests := []struct {
		name string
		cfg  validate.Config
		body string
		want any
	}{
		{name: "same key in sibling objects", body: `[{"a":1},{"a":2}]`, want: []any{map[string]any{"a": json.Number("1")}, map[string]any{"a": json.Number("2")}}},
		{name: "same key in parent and child", body: `{"a":{"a":1}}`, want: map[string]any{"a": map[string]any{"a": json.Number("1")}}},
		{name: "a child's key again in the parent", body: `{"a":{"b":1},"b":2}`, want: map[string]any{"a": map[string]any{"b": json.Number("1")}, "b": json.Number("2")}},
		{name: "two wide objects with the same keys", body: `[` + wideObject(40, `"x":0`) + `,` + wideObject(40, `"x":0`) + `]`, want: []any{wideValue(40), wideValue(40)}},
		{name: "keys that differ in case", body: `{"a":1,"A":2}`, want: map[string]any{"a": json.Number("1"), "A": json.Number("2")}},
		{name: "keys that differ after unescaping", body: `{"\u0061":1,"\u0062":2}`, want: map[string]any{"a": json.Number("1"), "b": json.Number("2")}},
		{name: "a key that is a prefix of another", body: `{"ab":1,"a":2}`, want: map[string]any{"ab": json.Number("1"), "a": json.Number("2")}},
		{name: "multibyte UTF-8", body: `{"name":"café ☕ 𝄞"}`, want: map[string]any{"name": "café ☕ 𝄞"}},
		{name: "surrogate pair escape", body: `"\ud834\udd1e"`, want: "𝄞"},
		{name: "surrogate pair escape in a key", body: `{"\uD834\uDD1E":true}`, want: map[string]any{"𝄞": true}},
		{name: "escaped backslash before u", body: `"\\ud800"`, want: `\ud800`},
		{name: "U+FFFD itself", body: `["\ufffd","` + "\uFFFD" + `"]`, want: []any{"\uFFFD", "\uFFFD"}},
		{name: "NUL escape", body: `"\u0000"`, want: "\x00"},
		{name: "duplicate key allowed: the last one wins", cfg: validate.Config{AllowDuplicateKeys: true}, body: `{"price":-5,"price":1}`, want: map[string]any{"price": json.Number("1")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stage, err := newStage(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			out := run(t, stage, "POST", "application/json", tt.body)
			if out.Err != nil || !out.HandlerRan {
				t.Fatalf("%q = %d %s, want it through", tt.body, out.Status, out.Body)
			}
			if got, _ := validate.From(out.Exchange); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("From = %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestDuplicateKeysAllowedStillChecksUTF8: allow_duplicate_keys turns off
// that check only.
func TestDuplicateKeysAllowedStillChecksUTF8(t *testing.T) {
	stage, err := newStage(validate.Config{AllowDuplicateKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"{\"a\":\"\xff\",\"a\":1}", `{"a":"\udc00","a":1}`} {
		if out := run(t, stage, "POST", "application/json", body); out.Status != http.StatusBadRequest {
			t.Errorf("%q = %d, want 400", body, out.Status)
		}
	}
}

// TestDeepNesting: a body nested far past any limit is refused by the
// scanner at the limit, whatever follows, and without recursion.
func TestDeepNesting(t *testing.T) {
	tests := []struct {
		name     string
		maxDepth int
		body     string
		want     string
	}{
		{name: "a million brackets", body: strings.Repeat("[", 1_000_000), want: "the JSON body nests deeper than 32 levels"},
		{name: "a million objects", body: strings.Repeat(`{"a":`, 1_000_000), want: "the JSON body nests deeper than 32 levels"},
		{name: "past the largest limit", maxDepth: validate.MaxDepthLimit, body: nested(validate.MaxDepthLimit + 1), want: "the JSON body nests deeper than 10000 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stage, err := newStage(validate.Config{MaxDepth: tt.maxDepth})
			if err != nil {
				t.Fatal(err)
			}
			out := run(t, stage, "POST", "application/json", tt.body)
			var p actors.Problem
			_ = json.Unmarshal(out.Body, &p)
			if out.Status != http.StatusBadRequest || p.Detail != tt.want {
				t.Errorf("status %d %q, want 400 %q", out.Status, p.Detail, tt.want)
			}
		})
	}
	stage, err := newStage(validate.Config{MaxDepth: validate.MaxDepthLimit})
	if err != nil {
		t.Fatal(err)
	}
	if out := run(t, stage, "POST", "application/json", nested(validate.MaxDepthLimit)); !out.HandlerRan {
		t.Errorf("depth exactly %d = %d %s, want through", validate.MaxDepthLimit, out.Status, out.Body)
	}
}

// TestSyntaxErrorsInStrings: what JSON forbids in strings is still a syntax
// error, said as encoding/json says it.
func TestSyntaxErrorsInStrings(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{name: "unknown escape", body: `["\x"]`, want: "the request body is not valid JSON: invalid character 'x' in string escape code at byte 4"},
		{name: "short unicode escape", body: `["\u12"]`, want: `the request body is not valid JSON: invalid character '"' in \u hexadecimal character escape at byte 7`},
		{name: "bad hex after a high surrogate", body: `["\ud834\u12x4"]`, want: `the request body is not valid JSON: invalid character 'x' in \u hexadecimal character escape at byte 13`},
		{name: "control character", body: "[\"a\tb\"]", want: "the request body is not valid JSON: invalid character '\\t' in string literal at byte 4"},
		{name: "unterminated", body: `{"a":"b`, want: "the request body is not valid JSON: unexpected end of JSON input at byte 7"},
		{name: "number without digits after the point", body: `[1.]`, want: "the request body is not valid JSON: invalid character ']' after decimal point in numeric literal at byte 4"},
		{name: "leading zero", body: `[01]`, want: "the request body is not valid JSON: invalid character '1' after array element at byte 3"},
		{name: "a key that is not a string", body: `{1:2}`, want: "the request body is not valid JSON: invalid character '1' looking for beginning of object key string at byte 2"},
		{name: "trailing comma", body: `{"a":1,}`, want: "the request body is not valid JSON: invalid character '}' looking for beginning of object key string at byte 8"},
	}
	stage, err := newStage(validate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := run(t, stage, "POST", "application/json", tt.body)
			var p actors.Problem
			_ = json.Unmarshal(out.Body, &p)
			if out.Status != http.StatusBadRequest || p.Detail != tt.want {
				t.Errorf("%q = %d %q, want 400 %q", tt.body, out.Status, p.Detail, tt.want)
			}
		})
	}
}
