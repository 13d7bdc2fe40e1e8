package validate_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/troupe-go/troupe/stages/validate"
)

// fuzzDepth is the stage's nesting limit in FuzzJSON: small, so that the
// fuzzer reaches it.
const fuzzDepth = 6

// strictReference, when set (built with GOEXPERIMENT=jsonv2), is a second,
// exact reference: whether encoding/json/jsontext finds body a valid
// I-JSON value.
var strictReference func(body []byte) bool

// reference is what encoding/json and package utf8, used independently of
// the stage, say of a body.
type reference struct {
	valid     bool // json.Valid
	utf8      bool // utf8.Valid: JSON outside strings is ASCII, so this is about strings
	depth     int  // the deepest nesting reached before any syntax error
	dup       bool // an object with a key twice (decoded), before any syntax error
	surrogate bool // a \u escape of an unpaired surrogate, before any syntax error
}

// refer walks body with json.Decoder's tokens.
func refer(body []byte) reference {
	ref := reference{valid: json.Valid(body), utf8: utf8.Valid(body)}
	type level struct {
		object  bool
		wantKey bool
		keys    map[string]bool
	}
	var stack []*level
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		from := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return ref
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		ended := true // a value ended with this token
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{', '[':
				stack = append(stack, &level{object: tok == '{', wantKey: true, keys: map[string]bool{}})
				ref.depth = max(ref.depth, len(stack))
				ended = false
			default:
				stack = stack[:len(stack)-1]
				top = nil
				if len(stack) > 0 {
					top = stack[len(stack)-1]
				}
			}
		case string:
			if unpairedSurrogate(body[from:dec.InputOffset()]) {
				ref.surrogate = true
			}
			if top != nil && top.object && top.wantKey {
				ref.dup = ref.dup || top.keys[tok]
				top.keys[tok] = true
				top.wantKey = false
				ended = false
			}
		}
		if ended && top != nil && top.object {
			top.wantKey = true
		}
	}
}

// unpairedSurrogate reports whether the raw string token in b (with what
// preceded it since the last token: spaces, a comma or a colon) has a \u
// escape of a surrogate that is not a high one followed by a low one.
func unpairedSurrogate(b []byte) bool {
	b = b[bytes.IndexByte(b, '"')+1:]
	half := func(i int) (rune, bool) {
		if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16)
		return rune(v), err == nil
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		r, ok := half(i)
		switch {
		case !ok: // another escape: skip the escaped byte
			i++
		case 0xDC00 <= r && r <= 0xDFFF:
			return true
		case 0xD800 <= r && r <= 0xDBFF:
			if lo, ok := half(i + 6); !ok || lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i += 11
		default:
			i += 5
		}
	}
	return false
}

// FuzzJSON checks the stage against the reference on any body: it never
// panics; a body it lets through is valid JSON, UTF-8, within the depth,
// without duplicate keys (unless allowed) or unpaired surrogates; a body
// it refuses is refused for a reason the reference confirms; and a body
// the reference finds fine is let through.
func FuzzJSON(f *testing.F) {
	for _, seed := range []string{
		`{"name":"a","price":-5,"price":1}`,
		`{"a":1,"\u0061":2}`,
		`{"a":{"b":1},"b":2}`,
		`[{"a":1},{"a":2}]`,
		"{\"name\":\"\xff\"}",
		"{\"\xc3\":1}",
		`"\ud800"`,
		`"\ud834\udd1e"`,
		`"\\ud800"`,
		`[[[[[[[]]]]]]]`,
		`{"a":[{"b":[{"c":[1]}]}]}`,
		`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k3":3}`,
		`-0.5e+10`,
		`{"a":tru}`,
		`[1,]`,
		" \t\n[null, false, true, \"\u00e9\"]\r\n",
	} {
		f.Add([]byte(seed), false)
	}
	f.Add([]byte(`{"a":1,"a":2}`), true)
	strict, err := newStage(validate.Config{MaxDepth: fuzzDepth})
	if err != nil {
		f.Fatal(err)
	}
	lax, err := newStage(validate.Config{MaxDepth: fuzzDepth, AllowDuplicateKeys: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, allowDup bool) {
		if len(body) == 0 {
			return // no body: nothing to check
		}
		stage := strict
		if allowDup {
			stage = lax
		}
		out := run(t, stage, "POST", "application/json", string(body))
		ref := refer(body)
		fine := ref.valid && ref.utf8 && ref.depth <= fuzzDepth && (allowDup || !ref.dup) && !ref.surrogate
		if strictReference != nil && !allowDup {
			if strict := strictReference(body) && ref.depth <= fuzzDepth; strict != out.HandlerRan {
				t.Fatalf("%q: let through %v, jsontext says valid %v (%s)", body, out.HandlerRan, strict, out.Body)
			}
		}
		if out.HandlerRan {
			if !fine {
				t.Fatalf("%q let through; reference %+v", body, ref)
			}
			return
		}
		if out.Status != http.StatusBadRequest {
			t.Fatalf("%q = %d %s, want 400 or through", body, out.Status, out.Body)
		}
		if fine {
			t.Fatalf("%q refused (%s); reference %+v finds it fine", body, out.Body, ref)
		}
		var p schemaProblem
		if err := json.Unmarshal(out.Body, &p); err != nil {
			t.Fatalf("problem %q: %v", out.Body, err)
		}
		var confirmed bool
		switch {
		case strings.HasPrefix(p.Detail, "the request body is not valid JSON"):
			confirmed = !ref.valid
		case strings.HasPrefix(p.Detail, "the JSON body nests deeper than"):
			confirmed = ref.depth > fuzzDepth
		case strings.HasPrefix(p.Detail, "the JSON body has a key twice"):
			confirmed = ref.dup && !allowDup
		case strings.Contains(p.Detail, "not valid UTF-8"):
			confirmed = !ref.utf8
		case strings.Contains(p.Detail, "surrogate"):
			confirmed = ref.surrogate
		}
		if !confirmed {
			t.Fatalf("%q refused with %q; reference %+v does not confirm it", body, p.Detail, ref)
		}
		if p.Errors != nil {
			at := strings.LastIndex(p.Detail, "(at byte ")
			n, err := strconv.Atoi(strings.TrimSuffix(p.Detail[at+len("(at byte "):], ")"))
			if at < 0 || err != nil || n < 0 || n >= len(body) || len(p.Errors) != 1 {
				t.Fatalf("%q: problem %+v does not say where", body, p)
			}
		}
	})
}
