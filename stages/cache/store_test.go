package cache

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// sized returns a variant, fresh for an hour from t0, whose size is n
// bytes: its body makes up what the overhead does not.
func sized(n int, vary ...string) *variant {
	v := &variant{status: 200, body: []byte(strings.Repeat("x", n-variantOverhead)), stored: t0, expires: t0.Add(time.Hour)}
	for i := 0; i+1 < len(vary); i += 2 {
		v.vary = append(v.vary, vary[i])
		v.values = append(v.values, vary[i+1])
		v.body = v.body[len(vary[i])+len(vary[i+1]):]
	}
	v.measure()
	return v
}

// keys returns the store's keys, most recently used first.
func (s *store) keys() []string {
	var out []string
	for el := s.order.Front(); el != nil; el = el.Next() {
		out = append(out, el.Value.(*entry).key)
	}
	return out
}

// op is one step of a store scenario: a put, or a lookup ("get").
type op struct {
	do   string // "put" or "get"
	key  string
	size int // for put
	want bool
}

func TestStoreLRU(t *testing.T) {
	tests := []struct {
		name     string
		budget   int64
		ops      []op
		wantKeys []string // most recently used first
		wantUsed int64
	}{
		{
			name: "fits", budget: 3000,
			ops:      []op{{do: "put", key: "a", size: 1000, want: true}, {do: "put", key: "b", size: 1000, want: true}},
			wantKeys: []string{"b", "a"}, wantUsed: 2002,
		},
		{
			name: "evicts the least recently put", budget: 3000,
			ops: []op{
				{do: "put", key: "a", size: 1000, want: true}, {do: "put", key: "b", size: 1000, want: true},
				{do: "put", key: "c", size: 1000, want: true},
			},
			wantKeys: []string{"c", "b"}, wantUsed: 2002,
		},
		{
			name: "a lookup makes an entry recent", budget: 3100,
			ops: []op{
				{do: "put", key: "a", size: 1000, want: true}, {do: "put", key: "b", size: 1000, want: true},
				{do: "put", key: "c", size: 1000, want: true}, {do: "get", key: "a", want: true},
				{do: "put", key: "d", size: 1000, want: true}, {do: "get", key: "b", want: false},
			},
			wantKeys: []string{"d", "a", "c"}, wantUsed: 3003,
		},
		{
			name: "by bytes, not by count", budget: 3000,
			ops: []op{
				{do: "put", key: "a", size: 500, want: true}, {do: "put", key: "b", size: 500, want: true},
				{do: "put", key: "c", size: 500, want: true}, {do: "put", key: "big", size: 2000, want: true},
			},
			wantKeys: []string{"big", "c"}, wantUsed: 2504,
		},
		{
			name: "too big for the budget", budget: 1000,
			ops:      []op{{do: "put", key: "a", size: 500, want: true}, {do: "put", key: "b", size: 1000, want: false}},
			wantKeys: []string{"a"}, wantUsed: 501,
		},
		{
			name: "replace keeps the size right", budget: 5000,
			ops: []op{
				{do: "put", key: "a", size: 1000, want: true}, {do: "put", key: "a", size: 2000, want: true},
				{do: "put", key: "a", size: 300, want: true},
			},
			wantKeys: []string{"a"}, wantUsed: 301,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(tt.budget, 8)
			for i, o := range tt.ops {
				var got bool
				switch o.do {
				case "put":
					got = s.put(o.key, sized(o.size))
				case "get":
					got = s.lookup(o.key, http.Header{}, t0) != nil
				}
				if got != o.want {
					t.Fatalf("op %d: %s %s = %v, want %v", i, o.do, o.key, got, o.want)
				}
			}
			if got := s.keys(); !slices.Equal(got, tt.wantKeys) {
				t.Errorf("keys = %q, want %q", got, tt.wantKeys)
			}
			if s.used != tt.wantUsed {
				t.Errorf("used = %d, want %d", s.used, tt.wantUsed)
			}
			if s.used > s.budget {
				t.Errorf("used %d is over the budget %d", s.used, s.budget)
			}
		})
	}
}

func TestStoreVariants(t *testing.T) {
	s := newStore(100000, 2)
	en, fr, de := sized(1000, "Accept-Language", "en"), sized(1000, "Accept-Language", "fr"), sized(1000, "Accept-Language", "de")
	s.put("k", en)
	s.put("k", fr)
	req := func(lang string) http.Header { return http.Header{"Accept-Language": {lang}} }
	if got := s.lookup("k", req("en"), t0); got != en {
		t.Errorf("lookup(en) = %v, want the en variant", got)
	}
	if got := s.lookup("k", req("fr"), t0); got != fr {
		t.Errorf("lookup(fr) = %v, want the fr variant", got)
	}
	s.put("k", de) // max 2 variants: en, the oldest, goes
	if got := s.lookup("k", req("en"), t0); got != nil {
		t.Errorf("lookup(en) after a third variant = %v, want nil", got)
	}
	if got := s.lookup("k", req("de"), t0); got != de {
		t.Errorf("lookup(de) = %v, want the de variant", got)
	}
	if want := int64(1) + fr.size + de.size; s.used != want {
		t.Errorf("used = %d, want %d", s.used, want)
	}
}

func TestStoreExpiry(t *testing.T) {
	s := newStore(100000, 8)
	v := sized(1000)
	s.put("k", v)
	if got := s.lookup("k", http.Header{}, v.expires.Add(-time.Nanosecond)); got != v {
		t.Errorf("lookup just before expiry = %v, want the entry", got)
	}
	if got := s.lookup("k", http.Header{}, v.expires); got != nil {
		t.Errorf("lookup at expiry = %v, want nil", got)
	}
	if s.len() != 0 || s.used != 0 {
		t.Errorf("after expiry: %d entries, %d bytes; want none", s.len(), s.used)
	}
}
