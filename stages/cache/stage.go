package cache

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/principal"
)

// Values of the X-Cache response header.
const (
	// Hit: answered from the cache.
	Hit = "HIT"
	// Miss: answered by the route (and stored, if the response allows).
	Miss = "MISS"
	// Bypass: the request asked not to use the cache (no-store), or its
	// query does not parse; nothing was looked up or stored.
	Bypass = "BYPASS"
	// Stale: the route answered an error (500, 502, 503, 504) and a
	// stored response past its freshness but within Config.StaleIfError
	// answered instead (RFC 5861).
	Stale = "STALE"
)

// shared is what every actor of one cache stage shares: its settings and
// the keys of its per-request values. It is read-only.
type shared struct {
	ttl         time.Duration
	staleIfErr  time.Duration
	maxEntry    int64
	maxVariants int
	statuses    []int
	now         func() time.Time
	keys        actors.Key[requestKey]
	pending     actors.Key[*pending]
}

// pending is what Process leaves on an exchange it did not answer, for
// After (which runs in the same actor: see shared.key).
type pending struct {
	key    string
	xcache string      // Miss or Bypass
	store  bool        // the response may be stored
	before http.Header // the response header as earlier stages left it
	stale  *variant    // answers in place of an error, if any (StaleIfError)
}

// stage is one actor's cache: its own LRU. It is not safe for concurrent
// use; its actor runs one exchange at a time.
type stage struct {
	*shared
	store *store
}

var _ actors.AfterStage = (*stage)(nil)

// Process answers from the cache when it can, and otherwise notes what
// After needs.
func (s *stage) Process(ex *actors.Exchange) error {
	r := ex.Request
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return nil
	}
	k := s.key(ex)
	cc := parseDirectives(r.Header)
	if !k.ok || cc.has("no-store") {
		s.pend(ex, k.primary, Bypass, false, nil)
		return nil
	}
	var fallback *variant
	if !cc.has("no-cache") && !(cc == nil && pragmaNoCache(r.Header)) {
		now := s.now()
		fresh, stale := s.store.find(k.primary, r.Header, now)
		if fresh != nil && (fresh.public || !credentials(ex)) {
			age := now.Sub(fresh.stored)
			if maxAge, ok := cc.seconds("max-age"); !ok || age <= maxAge {
				serve(ex, fresh, age)
				return nil
			}
			stale = fresh // too old for this request, but better than an error
		}
		if stale != nil && (stale.public || !credentials(ex)) {
			fallback = stale
		}
	}
	if cc.has("only-if-cached") {
		return actors.NewError(http.StatusGatewayTimeout, "the response is not in the cache (only-if-cached)")
	}
	// HEAD is answered from GET's entry but does not make one: a handler
	// may leave a HEAD response's body out.
	s.pend(ex, k.primary, Miss, r.Method == http.MethodGet, fallback)
	return nil
}

// pend leaves on ex what After needs, including a copy of the response
// header as the earlier stages left it.
func (s *stage) pend(ex *actors.Exchange, key, xcache string, store bool, stale *variant) {
	s.pending.Set(ex, &pending{key: key, xcache: xcache, store: store, before: ex.Response.HeaderIfAny().Clone(), stale: stale})
}

// staleIfErrorStatus reports whether a stale response may answer in
// place of a response of status (RFC 5861 §4).
func staleIfErrorStatus(status int) bool {
	switch status {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// serveStale answers ex from v, a stored response past its freshness, in
// place of the error the route answered: the response header goes back to
// what the earlier stages left (so none of the error's headers, such as
// Retry-After, stay), then v is served as a hit is, marked Stale.
func (s *stage) serveStale(ex *actors.Exchange, p *pending) {
	ex.Response.DropStream()
	h := ex.Response.Header()
	clear(h)
	for k, vals := range p.before {
		h[k] = vals
	}
	serve(ex, p.stale, s.now().Sub(p.stale.stored))
	h.Set("X-Cache", Stale)
}

// After marks the response MISS or BYPASS, gives it an ETag, stores it if
// it may, and turns it into 304 if the request's If-None-Match matches.
func (s *stage) After(ex *actors.Exchange) {
	p, ok := s.pending.Get(ex)
	if !ok {
		return
	}
	status := ex.Response.Status
	if p.stale != nil && staleIfErrorStatus(status) {
		s.serveStale(ex, p)
		return
	}
	h := ex.Response.Header()
	h.Set("X-Cache", p.xcache)
	if !slices.Contains(s.statuses, status) || ex.Response.Streaming() { // a stream's body is not here to keep
		return
	}
	success := status >= 200 && status <= 299
	etag := h.Get("Etag")
	// A HEAD response without a body gets no ETag: its body is not the
	// representation's.
	if etag == "" && success && (ex.Request.Method == http.MethodGet || len(ex.Response.Body) > 0) {
		etag = strongETag(ex.Response.Body)
		h.Set("Etag", etag)
	}
	if p.store {
		s.put(ex, p)
	}
	if success && noneMatch(ex.Request.Header.Values("If-None-Match"), etag) {
		notModified(ex)
	}
}

// put stores ex's response under p.key if its headers allow it.
func (s *stage) put(ex *actors.Exchange, p *pending) {
	h := ex.Response.Header()
	cc := parseDirectives(h)
	if cc.has("no-store") || cc.has("private") || cc.has("no-cache") || len(h.Values("Set-Cookie")) > 0 {
		return
	}
	vary, star := varyNames(h)
	if star {
		return
	}
	public := cc.has("public") || cc.has("s-maxage") || cc.has("must-revalidate")
	if credentials(ex) && !public {
		return
	}
	ttl := s.ttl
	if d, ok := cc.seconds("s-maxage"); ok {
		ttl = min(ttl, d)
	} else if d, ok := cc.seconds("max-age"); ok {
		ttl = min(ttl, d)
	}
	if ttl <= 0 {
		return
	}
	now := s.now()
	var keep time.Time
	if s.staleIfErr > 0 && !cc.has("must-revalidate") && !cc.has("proxy-revalidate") && !cc.has("s-maxage") {
		keep = now.Add(ttl + s.staleIfErr)
	}
	v := &variant{
		vary:    vary,
		values:  varyValues(ex.Request.Header, vary),
		status:  ex.Response.Status,
		header:  storedHeader(h, p.before),
		body:    slices.Clone(ex.Response.Body),
		etag:    h.Get("Etag"),
		stored:  now,
		expires: now.Add(ttl),
		keep:    keep,
		public:  public,
	}
	v.measure()
	if v.size+int64(len(p.key)) > s.maxEntry {
		return
	}
	s.store.put(p.key, v)
}

// serve answers ex from v, age old: v's status, headers and body, or 304
// if the request's If-None-Match matches v's ETag.
func serve(ex *actors.Exchange, v *variant, age time.Duration) {
	h := ex.Response.Header()
	for k, vals := range v.header {
		h[k] = slices.Clone(vals) // later stages may Add to them
	}
	h.Set("Age", strconv.FormatInt(int64(age/time.Second), 10))
	h.Set("X-Cache", Hit)
	// The body is copied too: the after-phases of earlier stages may
	// change the response, and nothing says they must not do it in place.
	ex.Respond(v.status, "", slices.Clone(v.body))
	if v.etag != "" && v.status >= 200 && v.status <= 299 && noneMatch(ex.Request.Header.Values("If-None-Match"), v.etag) {
		notModified(ex)
	}
}

// representation are the headers that describe a body; a 304 leaves them
// out (RFC 9110 §15.4.5).
var representation = []string{"Content-Type", "Content-Length", "Content-Encoding", "Content-Language", "Content-Range", "Last-Modified"}

// notModified turns ex's response into 304 Not Modified, without a body.
func notModified(ex *actors.Exchange) {
	ex.Response.Status = http.StatusNotModified
	ex.Response.Body = nil
	h := ex.Response.Header()
	for _, k := range representation {
		delete(h, k)
	}
}

// unstored are response headers never stored: per-response or per-hop.
var unstored = map[string]bool{
	"Age": true, "X-Cache": true, "X-Request-Id": true, "Set-Cookie": true, "Date": true, "Content-Length": true,
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Transfer-Encoding": true, "Upgrade": true, "Trailer": true,
}

// storedHeader returns the headers of h to store: those that are not in
// before (the header as earlier stages left it) or differ from it, so that
// a hit keeps what the earlier stages set for its own request.
func storedHeader(h, before http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vals := range h {
		if unstored[k] || slices.Equal(vals, before[k]) {
			continue
		}
		out[k] = slices.Clone(vals)
	}
	return out
}

// credentials reports whether the request carries credentials: an
// Authorization header, or a principal an auth stage established.
func credentials(ex *actors.Exchange) bool {
	return ex.Request.Header.Get("Authorization") != "" || principal.From(ex) != nil
}

// pragmaNoCache reports a Pragma: no-cache, which counts only when the
// request has no Cache-Control (RFC 9111 §5.4).
func pragmaNoCache(h http.Header) bool {
	for _, v := range h.Values("Pragma") {
		if v == "no-cache" {
			return true
		}
	}
	return false
}
