package cache

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/troupe-go/troupe/actors"
)

// requestKey is the primary cache key of a request, worked out once per
// exchange.
type requestKey struct {
	// primary is "GET host/path?sorted-query"; HEAD is spelt GET.
	primary string
	// ok is false when the request cannot use the cache: not GET or HEAD,
	// or a query that does not parse.
	ok bool
}

// key returns ex's primary key, computing it on first use and keeping it
// on the exchange.
//
// Keeping it is what makes partitioning sound: the itinerary asks
// PartitionKey again when it sends the exchange back for the after-phase,
// and a key recomputed from a request that a later stage changed (a
// rewritten path or header) could pick another actor, whose LRU never saw
// Process. The value is set by whoever holds the exchange when the hop is
// chosen — the sender, before the handoff — so it is never written by two
// goroutines at once.
func (s *shared) key(ex *actors.Exchange) requestKey {
	if k, ok := s.keys.Get(ex); ok {
		return k
	}
	k := primaryKey(ex)
	s.keys.Set(ex, k)
	return k
}

// partitionKey is the stage's Spec.PartitionKey: the primary key, so that
// all variants of a resource live in one actor.
func (s *shared) partitionKey(ex *actors.Exchange) string { return s.key(ex).primary }

// primaryKey builds the primary key from the request alone: method (HEAD
// as GET), host (lower case), canonical path and the query with its
// parameters sorted by name (each name's values keep their order) and
// escaped canonically, so that ?b=2&a=1 and ?a=1&b=%32 are one entry.
func primaryKey(ex *actors.Exchange) requestKey {
	r := ex.Request
	path := ex.Path
	if path == "" {
		path = r.URL.Path
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return requestKey{primary: r.Method + " " + path}
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return requestKey{primary: "GET " + strings.ToLower(r.Host) + path + "?" + r.URL.RawQuery}
	}
	return requestKey{primary: "GET " + strings.ToLower(r.Host) + path + "?" + q.Encode(), ok: true}
}

// varyNames returns the request header names a response's Vary lists,
// canonical, sorted and without duplicates, and whether it lists "*".
func varyNames(h http.Header) (names []string, star bool) {
	for _, line := range h.Values("Vary") {
		for part := range strings.SplitSeq(line, ",") {
			part = strings.TrimSpace(part)
			switch part {
			case "":
			case "*":
				star = true
			default:
				names = append(names, http.CanonicalHeaderKey(part))
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), star
}

// absent stands for a Vary header the request does not have.
const absent = "\x00"

// varyValues returns the request's values of the headers in names, each
// normalised: its lines and list members joined by "," without the
// whitespace around them. An absent header is absent (a NUL, which no
// header value holds), so it matches only another request without it.
func varyValues(r http.Header, names []string) []string {
	if len(names) == 0 {
		return nil
	}
	out := make([]string, len(names))
	for i, n := range names {
		lines := r.Values(n)
		if len(lines) == 0 {
			out[i] = absent
			continue
		}
		var b strings.Builder
		for _, line := range lines {
			for part := range strings.SplitSeq(line, ",") {
				if b.Len() > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strings.TrimSpace(part))
			}
		}
		out[i] = b.String()
	}
	return out
}
