package validate

import (
	"bytes"
	"hash/maphash"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepthLimit is the largest Config.MaxDepth: encoding/json, which decodes
// the body once it has passed, refuses anything deeper itself.
const MaxDepthLimit = 10000

// smallObject is how many keys an object's duplicate check compares one by
// one. An object with more gets a set: comparing each key with all the
// others would cost time quadratic in their number.
const smallObject = 16

// maxSpareSet is the most keys a set may have held to be kept for reuse:
// clearing a map keeps its memory.
const maxSpareSet = 1024

// faultKind is why the scanner refused a body.
type faultKind uint8

const (
	faultNone      faultKind = iota
	faultSyntax              // not one JSON value: encoding/json says where
	faultDepth               // arrays and objects nest deeper than the limit
	faultUTF8                // a string holds bytes that are not UTF-8
	faultUTF8Key             // an object key holds bytes that are not UTF-8
	faultSurrogate           // a \u escape of half a UTF-16 surrogate pair
	faultDuplicate           // an object has the same key twice
)

// fault is why and where the scanner refused a body.
type fault struct {
	kind    faultKind
	offset  int    // in the body: the bad byte, escape, bracket or key
	pointer string // JSON Pointer of the value (of the object, for a bad key)
	key     string // faultDuplicate: the key
}

// span is the bytes of a decoded object key: a piece of the body when the
// key has no escapes, else of the scanner's arena. Offsets, not a slice,
// so that a pooled scanner holds on to no request's body.
type span struct {
	from, to int
	arena    bool
}

// frame is one array or object the scanner is inside.
type frame struct {
	object    bool
	index     int                 // array: the element being scanned
	key       span                // object: the key of the member being scanned
	keysFrom  int                 // object: where its keys start in scanner.keys
	arenaFrom int                 // object: where its escaped keys start in scanner.arena
	set       map[uint64]struct{} // object: its keys' hashes, once it has more than smallObject
}

// scanner checks a JSON body in one pass, without building anything: its
// syntax, its nesting depth, that its strings are UTF-8 with no unpaired
// surrogate escapes and, when dupes is set, that no object has a key twice
// (compared after unescaping, so "a" and "\u0061" are the same key). It
// stops at the first fault. Scanners are pooled; get one with newScanner
// and give it back with free.
type scanner struct {
	body     []byte
	pos      int
	maxDepth int
	dupes    bool
	frames   []frame
	keys     []span                // the keys of the open objects
	arena    []byte                // escaped keys, unescaped
	spare    []map[uint64]struct{} // sets to reuse
}

var scanners = sync.Pool{New: func() any { return new(scanner) }}

// check scans body and returns the first fault, or a fault of kind
// faultNone.
func check(body []byte, maxDepth int, dupes bool) fault {
	s := scanners.Get().(*scanner)
	s.body, s.pos, s.maxDepth, s.dupes = body, 0, maxDepth, dupes
	f := s.scan()
	s.free()
	return f
}

// free drops what the scanner holds of the request and returns it to the
// pool, unless it grew large on a big body.
func (s *scanner) free() {
	clear(s.frames) // the sets
	s.body, s.frames, s.keys, s.arena = nil, s.frames[:0], s.keys[:0], s.arena[:0]
	if cap(s.frames) > 256 || cap(s.keys) > 4096 || cap(s.arena) > 64<<10 {
		return
	}
	scanners.Put(s)
}

// scan runs the scanner over the body.
func (s *scanner) scan() fault {
	value := true // a value is expected next; else one has just ended
	for {
		if value {
			s.space()
			if s.pos >= len(s.body) {
				return fault{kind: faultSyntax}
			}
			switch c := s.body[s.pos]; {
			case c == '[' || c == '{':
				if len(s.frames) >= s.maxDepth {
					return fault{kind: faultDepth, offset: s.pos}
				}
				s.pos++
				s.space()
				if c == '[' {
					s.frames = append(s.frames, frame{})
					if s.at(']') {
						s.pos++
						s.pop()
						value = false
					}
					continue
				}
				s.frames = append(s.frames, frame{object: true, keysFrom: len(s.keys), arenaFrom: len(s.arena)})
				if s.at('}') {
					s.pos++
					s.pop()
					value = false
					continue
				}
				if f := s.member(); f.kind != faultNone {
					return f
				}
				continue
			case c == '"':
				if _, f := s.str(false); f.kind != faultNone {
					return f
				}
			case c == '-' || '0' <= c && c <= '9':
				if !s.number() {
					return fault{kind: faultSyntax}
				}
			case c == 't':
				if !s.literal("true") {
					return fault{kind: faultSyntax}
				}
			case c == 'f':
				if !s.literal("false") {
					return fault{kind: faultSyntax}
				}
			case c == 'n':
				if !s.literal("null") {
					return fault{kind: faultSyntax}
				}
			default:
				return fault{kind: faultSyntax}
			}
			value = false
			continue
		}
		s.space()
		if len(s.frames) == 0 {
			if s.pos != len(s.body) {
				return fault{kind: faultSyntax}
			}
			return fault{}
		}
		if s.pos >= len(s.body) {
			return fault{kind: faultSyntax}
		}
		top := &s.frames[len(s.frames)-1]
		c := s.body[s.pos]
		s.pos++
		switch {
		case c == ',' && top.object:
			s.space()
			if f := s.member(); f.kind != faultNone {
				return f
			}
			value = true
		case c == ',':
			top.index++
			value = true
		case c == '}' && top.object, c == ']' && !top.object:
			s.pop()
		default:
			return fault{kind: faultSyntax}
		}
	}
}

// member scans an object member's key and the colon after it.
func (s *scanner) member() fault {
	if !s.at('"') {
		return fault{kind: faultSyntax}
	}
	start := s.pos
	esc, f := s.str(true)
	if f.kind != faultNone {
		return f
	}
	top := &s.frames[len(s.frames)-1]
	top.key = span{from: start + 1, to: s.pos - 1}
	if esc {
		from := len(s.arena)
		s.arena = appendUnescaped(s.arena, s.body[start+1:s.pos-1])
		top.key = span{from: from, to: len(s.arena), arena: true}
	}
	if s.dupes && s.seen(top) {
		return fault{kind: faultDuplicate, offset: start, pointer: s.pointer(len(s.frames)), key: string(s.bytes(top.key))}
	}
	s.space()
	if !s.at(':') {
		return fault{kind: faultSyntax}
	}
	s.pos++
	return fault{}
}

// seen reports whether top, the innermost object, already has the key of
// its current member, and remembers the key if not. An object's first
// smallObject keys are compared one by one; past them, the object gets a
// set of their hashes, and a key whose hash is in it is compared with
// the others (two different keys with one hash only cost that).
func (s *scanner) seen(top *frame) bool {
	k := s.bytes(top.key)
	keys := s.keys[top.keysFrom:]
	if top.set == nil && len(keys) >= smallObject {
		top.set = s.newSet()
		for _, o := range keys {
			top.set[maphash.Bytes(seed, s.bytes(o))] = struct{}{}
		}
	}
	if top.set != nil {
		h := maphash.Bytes(seed, k)
		if _, ok := top.set[h]; !ok {
			top.set[h] = struct{}{}
			s.keys = append(s.keys, top.key)
			return false
		}
	}
	for _, o := range keys {
		if bytes.Equal(s.bytes(o), k) {
			return true
		}
	}
	s.keys = append(s.keys, top.key)
	return false
}

// seed keys the hashes of seen, so that no client can choose keys that
// collide.
var seed = maphash.MakeSeed()

// newSet returns an empty set of key hashes, one that served an earlier
// object if there is one.
func (s *scanner) newSet() map[uint64]struct{} {
	if n := len(s.spare); n > 0 {
		m := s.spare[n-1]
		s.spare = s.spare[:n-1]
		return m
	}
	return make(map[uint64]struct{}, 4*smallObject)
}

// pop leaves the innermost array or object.
func (s *scanner) pop() {
	top := &s.frames[len(s.frames)-1]
	if top.object {
		s.keys, s.arena = s.keys[:top.keysFrom], s.arena[:top.arenaFrom]
		if top.set != nil && len(top.set) <= maxSpareSet {
			clear(top.set)
			s.spare = append(s.spare, top.set)
		}
		top.set = nil
	}
	s.frames = s.frames[:len(s.frames)-1]
}

// bytes returns the bytes of a key.
func (s *scanner) bytes(k span) []byte {
	if k.arena {
		return s.arena[k.from:k.to]
	}
	return s.body[k.from:k.to]
}

// pointer returns the JSON Pointer of the current value of the outermost
// n frames.
func (s *scanner) pointer(n int) string {
	tokens := make([]string, n)
	for i, f := range s.frames[:n] {
		if f.object {
			tokens[i] = string(s.bytes(f.key))
		} else {
			tokens[i] = strconv.Itoa(f.index)
		}
	}
	return pointer(tokens)
}

// at reports whether the next byte is c.
func (s *scanner) at(c byte) bool { return s.pos < len(s.body) && s.body[s.pos] == c }

// space skips JSON whitespace.
func (s *scanner) space() {
	for s.pos < len(s.body) {
		switch s.body[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// literal scans lit (true, false or null).
func (s *scanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.body[s.pos:], []byte(lit)) {
		return false
	}
	s.pos += len(lit)
	return true
}

// number scans a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	b, i := s.body, s.pos
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	s.pos = i
	return true
}

// digits returns the index of the first byte of b at or after i that is
// not a decimal digit.
func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// plain marks the bytes a string holds as they are: printable ASCII other
// than the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str scans the string whose opening quote is at s.pos, and reports whether
// it holds escapes. key says whether it is an object key, for the fault. A
// string that is not valid UTF-8 or holds an unpaired surrogate is scanned
// to its end all the same, so that one that does not end is a syntax error
// first.
func (s *scanner) str(key bool) (esc bool, f fault) {
	b, i := s.body, s.pos+1
	for {
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			return esc, fault{kind: faultSyntax}
		}
		switch c := b[i]; {
		case c == '"':
			s.pos = i + 1
			return esc, f
		case c == '\\':
			esc = true
			n, bad := escape(b[i:])
			if n == 0 {
				return esc, fault{kind: faultSyntax}
			}
			if bad && f.kind == faultNone {
				f = s.fault(faultSurrogate, i, key)
			}
			i += n
		case c < 0x20:
			return esc, fault{kind: faultSyntax}
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 && f.kind == faultNone {
				kind := faultUTF8
				if key {
					kind = faultUTF8Key
				}
				f = s.fault(kind, i, key)
			}
			i += n
		}
	}
}

// fault returns a fault of kind at offset inside a string: a value's, or a
// key's of the innermost object.
func (s *scanner) fault(kind faultKind, offset int, key bool) fault {
	n := len(s.frames)
	if key {
		n-- // the key is not the object's current one yet
	}
	return fault{kind: kind, offset: offset, pointer: s.pointer(n)}
}

// escape reads the escape at the start of b (a backslash) and returns its
// length, 0 if it is not a JSON escape. bad reports a \u escape of half a
// surrogate pair, with no other half after it: JSON allows it, but it
// stands for no character, and decoders differ on what to make of it
// (encoding/json makes it U+FFFD, so that "\ud800" and "\udbff" would be
// the same key).
func escape(b []byte) (n int, bad bool) {
	if len(b) < 2 {
		return 0, false
	}
	switch b[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, false
	case 'u':
	default:
		return 0, false
	}
	r, ok := hex4(b[2:])
	switch {
	case !ok:
		return 0, false
	case !utf16.IsSurrogate(r):
		return 6, false
	case r >= 0xDC00: // a low half first
		return 6, true
	case len(b) < 8 || b[6] != '\\' || b[7] != 'u':
		return 6, true
	}
	r2, ok := hex4(b[8:])
	switch {
	case !ok:
		return 0, false
	case r2 < 0xDC00 || r2 > 0xDFFF:
		return 6, true
	}
	return 12, false
}

// hex4 decodes the four hex digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// appendUnescaped appends the string raw, the inside of a JSON string the
// scanner has checked, unescaped, to dst.
func appendUnescaped(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		switch raw[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, _ := hex4(raw[i+2:])
			if utf16.IsSurrogate(r) {
				r2, _ := hex4(raw[i+8:])
				r = utf16.DecodeRune(r, r2)
				i += 6
			}
			dst = utf8.AppendRune(dst, r)
			i += 6
			continue
		default: // " \ /
			dst = append(dst, raw[i+1])
		}
		i += 2
	}
	return dst
}
