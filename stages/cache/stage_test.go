package cache_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/fakeclock"
	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/stages/cache"
	"github.com/troupe-go/troupe/stages/principal"
	"github.com/troupe-go/troupe/stagetest"
)

// answer is what the handler behind the cache answers.
type answer struct {
	status int      // 200 if 0
	header []string // name, value pairs
}

// step is one request of a scenario, sent to one cache instance.
type step struct {
	method  string        // GET if ""
	target  string        // path and query
	header  []string      // request header pairs
	before  []string      // response header pairs an earlier stage set
	authed  bool          // an auth stage set a principal
	advance time.Duration // the clock moves this much first
	answer  answer

	wantStatus  int
	wantCache   string // X-Cache
	wantHandler bool
	wantBody    string // the handler answers "TARGET #CALLS"
}

// scenario runs steps on one cache instance (one actor's worth).
type scenario struct {
	name  string
	cfg   cache.Config
	steps []step
}

func runScenario(t *testing.T, sc scenario) {
	clock := fakeclock.New()
	sc.cfg.Now = clock.Now
	spec, err := cache.New("cache", sc.cfg)
	if err != nil {
		t.Fatal(err)
	}
	st := spec.New()
	calls := 0
	for i, s := range sc.steps {
		clock.Advance(s.advance)
		method := s.method
		if method == "" {
			method = http.MethodGet
		}
		r := httptest.NewRequest(method, s.target, nil)
		for j := 0; j+1 < len(s.header); j += 2 {
			r.Header.Add(s.header[j], s.header[j+1])
		}
		out := stagetest.Run(t, st, r,
			stagetest.WithSetup(func(ex *actors.Exchange) {
				for j := 0; j+1 < len(s.before); j += 2 {
					ex.Response.Header().Set(s.before[j], s.before[j+1])
				}
				if s.authed {
					principal.Key.Set(ex, &principal.Principal{Subject: "ann"})
				}
			}),
			stagetest.WithHandler(func(ex *actors.Exchange) error {
				calls++
				for j := 0; j+1 < len(s.answer.header); j += 2 {
					ex.Response.Header().Add(s.answer.header[j], s.answer.header[j+1])
				}
				status := s.answer.status
				if status == 0 {
					status = http.StatusOK
				}
				ex.Respond(status, "text/plain", fmt.Appendf(nil, "%s #%d", s.target, calls))
				return nil
			}))
		if out.Status != s.wantStatus || out.Header.Get("X-Cache") != s.wantCache || out.HandlerRan != s.wantHandler || string(out.Body) != s.wantBody {
			t.Errorf("step %d: %s %s = %d X-Cache %q handler %v body %q; want %d %q %v %q",
				i, method, s.target, out.Status, out.Header.Get("X-Cache"), out.HandlerRan, out.Body,
				s.wantStatus, s.wantCache, s.wantHandler, s.wantBody)
		}
	}
}

func TestScenarios(t *testing.T) {
	tests := []scenario{
		{name: "miss then hit", steps: []step{
			{target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", wantStatus: 200, wantCache: "HIT", wantBody: "/a #1"},
			{target: "/b", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/b #2"},
		}},
		{name: "query order does not matter", steps: []step{
			{target: "/a?x=1&y=2", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a?x=1&y=2 #1"},
			{target: "/a?y=2&x=%31", wantStatus: 200, wantCache: "HIT", wantBody: "/a?x=1&y=2 #1"},
			{target: "/a?x=1", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a?x=1 #2"},
		}},
		{name: "an unparseable query bypasses", steps: []step{
			{target: "/a?x=%zz", wantStatus: 200, wantCache: "BYPASS", wantHandler: true, wantBody: "/a?x=%zz #1"},
			{target: "/a?x=%zz", wantStatus: 200, wantCache: "BYPASS", wantHandler: true, wantBody: "/a?x=%zz #2"},
		}},
		{name: "HEAD is answered from GET's entry", steps: []step{
			{target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{method: "HEAD", target: "/a", wantStatus: 200, wantCache: "HIT", wantBody: "/a #1"},
		}},
		{name: "HEAD does not make an entry", steps: []step{
			{method: "HEAD", target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
			{target: "/a", wantStatus: 200, wantCache: "HIT", wantBody: "/a #2"},
		}},
		{name: "POST passes untouched", steps: []step{
			{method: "POST", target: "/a", wantStatus: 200, wantHandler: true, wantBody: "/a #1"},
			{method: "POST", target: "/a", wantStatus: 200, wantHandler: true, wantBody: "/a #2"},
		}},
		{name: "request no-store bypasses and stores nothing", steps: []step{
			{target: "/a", header: []string{"Cache-Control", "no-store"}, wantStatus: 200, wantCache: "BYPASS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
		}},
		{name: "request no-cache refetches and refreshes", steps: []step{
			{target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", header: []string{"Cache-Control", "no-cache"}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
			{target: "/a", wantStatus: 200, wantCache: "HIT", wantBody: "/a #2"},
		}},
		{name: "Pragma no-cache without Cache-Control", steps: []step{
			{target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", header: []string{"Pragma", "no-cache"}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
			{target: "/a", header: []string{"Pragma", "no-cache", "Cache-Control", "max-age=60"}, wantStatus: 200, wantCache: "HIT", wantBody: "/a #2"},
		}},
		{name: "request max-age limits the age", steps: []step{
			{target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", advance: 10 * time.Second, header: []string{"Cache-Control", "max-age=10"}, wantStatus: 200, wantCache: "HIT", wantBody: "/a #1"},
			{target: "/a", advance: time.Second, header: []string{"Cache-Control", "max-age=10"}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
		}},
		{name: "only-if-cached", steps: []step{
			{target: "/a", header: []string{"Cache-Control", "only-if-cached"}, wantStatus: 504, wantBody: `{"type":"about:blank","title":"Gateway Timeout","status":504,` +
				`"detail":"the response is not in the cache (only-if-cached)","instance":"/a","request_id":"test-request"}`},
			{target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", header: []string{"Cache-Control", "only-if-cached"}, wantStatus: 200, wantCache: "HIT", wantBody: "/a #1"},
		}},
		{name: "TTL expiry", cfg: cache.Config{TTL: 10 * time.Second}, steps: []step{
			{target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", advance: 9 * time.Second, wantStatus: 200, wantCache: "HIT", wantBody: "/a #1"},
			{target: "/a", advance: time.Second, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
		}},
		{name: "response max-age shorter than the TTL", steps: []step{
			{target: "/a", answer: answer{header: []string{"Cache-Control", "max-age=2"}}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", advance: time.Second, wantStatus: 200, wantCache: "HIT", wantBody: "/a #1"},
			{target: "/a", advance: time.Second, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
		}},
		{name: "s-maxage wins over max-age", steps: []step{
			{target: "/a", answer: answer{header: []string{"Cache-Control", "max-age=1, s-maxage=5"}}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", advance: 4 * time.Second, wantStatus: 200, wantCache: "HIT", wantBody: "/a #1"},
		}},
		{name: "response max-age longer than the TTL", cfg: cache.Config{TTL: 3 * time.Second}, steps: []step{
			{target: "/a", answer: answer{header: []string{"Cache-Control", "max-age=600"}}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", advance: 3 * time.Second, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
		}},
		{name: "max-age=0 is not stored", steps: []step{
			{target: "/a", answer: answer{header: []string{"Cache-Control", "max-age=0"}}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
		}},
		{name: "response no-store is not stored", steps: []step{
			{target: "/a", answer: answer{header: []string{"Cache-Control", "no-store"}}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
		}},
		{name: "response private is not stored", steps: []step{
			{target: "/a", answer: answer{header: []string{"Cache-Control", `private="X-User", max-age=60`}}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
		}},
		{name: "response no-cache is not stored", steps: []step{
			{target: "/a", answer: answer{header: []string{"Cache-Control", "no-cache"}}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
		}},
		{name: "Set-Cookie is not stored", steps: []step{
			{target: "/a", answer: answer{header: []string{"Set-Cookie", "s=1"}}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
		}},
		{name: "Vary star is not stored", steps: []step{
			{target: "/a", answer: answer{header: []string{"Vary", "*"}}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
		}},
		{name: "Vary separates variants", steps: []step{
			{target: "/a", header: []string{"Accept-Language", "en"}, answer: answer{header: []string{"Vary", "Accept-Language"}}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", header: []string{"Accept-Language", "fr"}, answer: answer{header: []string{"Vary", "Accept-Language"}}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
			{target: "/a", header: []string{"Accept-Language", "en"}, wantStatus: 200, wantCache: "HIT", wantBody: "/a #1"},
			{target: "/a", header: []string{"Accept-Language", "fr"}, wantStatus: 200, wantCache: "HIT", wantBody: "/a #2"},
			{target: "/a", answer: answer{header: []string{"Vary", "Accept-Language"}}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #3"},
			{target: "/a", wantStatus: 200, wantCache: "HIT", wantBody: "/a #3"},
		}},
		{name: "a 404 is not stored by default", steps: []step{
			{target: "/a", answer: answer{status: 404}, wantStatus: 404, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", answer: answer{status: 404}, wantStatus: 404, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
		}},
		{name: "configured statuses are stored", cfg: cache.Config{Statuses: []int{200, 404}}, steps: []step{
			{target: "/a", answer: answer{status: 404}, wantStatus: 404, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", wantStatus: 404, wantCache: "HIT", wantBody: "/a #1"},
		}},
		{name: "Authorization: not stored unless public", steps: []step{
			{target: "/a", header: []string{"Authorization", "Bearer x"}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
			{target: "/a", header: []string{"Authorization", "Bearer x"}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #3"},
			{target: "/b", header: []string{"Authorization", "Bearer x"}, answer: answer{header: []string{"Cache-Control", "public"}}, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/b #4"},
			{target: "/b", header: []string{"Authorization", "Bearer y"}, wantStatus: 200, wantCache: "HIT", wantBody: "/b #4"},
		}},
		{name: "a principal counts as credentials", steps: []step{
			{target: "/a", authed: true, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", authed: true, wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #2"},
		}},
		{name: "If-None-Match on a miss", steps: []step{
			{target: "/a", header: []string{"If-None-Match", etagOf("/a #1")}, wantStatus: 304, wantCache: "MISS", wantHandler: true, wantBody: ""},
			{target: "/a", wantStatus: 200, wantCache: "HIT", wantBody: "/a #1"},
		}},
		{name: "If-None-Match on a hit", steps: []step{
			{target: "/a", wantStatus: 200, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", header: []string{"If-None-Match", `"other", W/` + etagOf("/a #1")}, wantStatus: 304, wantCache: "HIT", wantBody: ""},
			{target: "/a", header: []string{"If-None-Match", `"other"`}, wantStatus: 200, wantCache: "HIT", wantBody: "/a #1"},
			{target: "/a", header: []string{"If-None-Match", `*`}, wantStatus: 304, wantCache: "HIT", wantBody: ""},
		}},
		{name: "the handler's own ETag", steps: []step{
			{target: "/a", answer: answer{header: []string{"ETag", `W/"v1"`}}, header: []string{"If-None-Match", `"v1"`}, wantStatus: 304, wantCache: "MISS", wantHandler: true, wantBody: ""},
			{target: "/a", header: []string{"If-None-Match", `W/"v1"`}, wantStatus: 304, wantCache: "HIT", wantBody: ""},
		}},
		{name: "If-None-Match on a bypass", steps: []step{
			{target: "/a", header: []string{"Cache-Control", "no-store", "If-None-Match", etagOf("/a #1")}, wantStatus: 304, wantCache: "BYPASS", wantHandler: true, wantBody: ""},
		}},
		{name: "no 304 for an error", cfg: cache.Config{Statuses: []int{200, 404}}, steps: []step{
			{target: "/a", answer: answer{status: 404}, header: []string{"If-None-Match", "*"}, wantStatus: 404, wantCache: "MISS", wantHandler: true, wantBody: "/a #1"},
			{target: "/a", header: []string{"If-None-Match", "*"}, wantStatus: 404, wantCache: "HIT", wantBody: "/a #1"},
		}},
	}
	for _, sc := range tests {
		t.Run(sc.name, func(t *testing.T) { runScenario(t, sc) })
	}
}

// etagOf is the ETag the cache computes for body.
func etagOf(body string) string {
	spec, _ := cache.New("etag", cache.Config{})
	r := httptest.NewRequest("GET", "/", nil)
	ex := pipeline.NewExchange(r.Context(), r, nil)
	st := spec.New().(actors.AfterStage)
	_ = st.Process(ex)
	ex.Respond(200, "text/plain", []byte(body))
	st.After(ex)
	return ex.Response.Header().Get("Etag")
}

// TestHitHeaders checks what a hit carries: the stored headers, Age, the
// ETag; and that headers earlier stages set are theirs for each request.
func TestHitHeaders(t *testing.T) {
	clock := fakeclock.New()
	spec, err := cache.New("cache", cache.Config{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	st := spec.New()
	run := func(origin string) stagetest.Outcome {
		return stagetest.Run(t, st, httptest.NewRequest("GET", "/a", nil),
			stagetest.WithSetup(func(ex *actors.Exchange) {
				ex.Response.Header().Set("Access-Control-Allow-Origin", origin) // an earlier CORS stage
				ex.Response.Header().Set("X-Frame-Options", "DENY")             // an earlier security stage
			}),
			stagetest.WithHandler(func(ex *actors.Exchange) error {
				ex.Response.Header().Set("X-Frame-Options", "SAMEORIGIN") // the handler overrides it
				ex.Response.Header().Set("X-Item", "7")
				ex.Respond(http.StatusOK, "application/json", []byte(`{"id":7}`))
				return nil
			}))
	}
	miss := run("https://a.example")
	clock.Advance(5 * time.Second)
	hit := run("https://b.example")
	tests := []struct {
		header string
		miss   string
		hit    string
	}{
		{"X-Cache", "MISS", "HIT"},
		{"Age", "", "5"},
		{"Etag", etagOf(`{"id":7}`), etagOf(`{"id":7}`)},
		{"Content-Type", "application/json", "application/json"},
		{"X-Item", "7", "7"},
		{"X-Frame-Options", "SAMEORIGIN", "SAMEORIGIN"},
		{"Access-Control-Allow-Origin", "https://a.example", "https://b.example"},
	}
	for _, tt := range tests {
		if got := miss.Header.Get(tt.header); got != tt.miss {
			t.Errorf("miss: %s = %q, want %q", tt.header, got, tt.miss)
		}
		if got := hit.Header.Get(tt.header); got != tt.hit {
			t.Errorf("hit: %s = %q, want %q", tt.header, got, tt.hit)
		}
	}
	if !strings.HasPrefix(hit.Header.Get("Etag"), `"`) {
		t.Errorf("ETag = %q, want a strong tag", hit.Header.Get("Etag"))
	}
}

// TestHitIsACopy checks that an after-phase changing a hit's body or
// headers in place does not change what is stored.
func TestHitIsACopy(t *testing.T) {
	spec, _ := cache.New("cache", cache.Config{})
	st := spec.New()
	handler := stagetest.WithHandler(func(ex *actors.Exchange) error {
		ex.Response.Header().Set("X-List", "a")
		ex.Respond(http.StatusOK, "text/plain", []byte("stored"))
		return nil
	})
	stagetest.Run(t, st, httptest.NewRequest("GET", "/a", nil), handler)
	hit := stagetest.Run(t, st, httptest.NewRequest("GET", "/a", nil), handler)
	copy(hit.Body, "XXXXXX")
	hit.Header["X-List"][0] = "changed"
	again := stagetest.Run(t, st, httptest.NewRequest("GET", "/a", nil), handler)
	if string(again.Body) != "stored" || again.Header.Get("X-List") != "a" {
		t.Errorf("hit after in-place changes = %q X-List %q, want %q %q", again.Body, again.Header.Get("X-List"), "stored", "a")
	}
}

func TestNotModifiedHeaders(t *testing.T) {
	spec, _ := cache.New("cache", cache.Config{})
	st := spec.New()
	handler := stagetest.WithHandler(func(ex *actors.Exchange) error {
		ex.Response.Header().Set("Cache-Control", "max-age=60")
		ex.Response.Header().Set("Vary", "Accept")
		ex.Response.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		ex.Respond(http.StatusOK, "text/plain", []byte("x"))
		return nil
	})
	r := httptest.NewRequest("GET", "/a", nil)
	r.Header.Set("If-None-Match", etagOf("x"))
	out := stagetest.Run(t, st, r, handler)
	if out.Status != http.StatusNotModified || len(out.Body) != 0 {
		t.Fatalf("status %d body %q, want 304 and no body", out.Status, out.Body)
	}
	for _, k := range []string{"Etag", "Cache-Control", "Vary"} {
		if out.Header.Get(k) == "" {
			t.Errorf("304 lacks %s", k)
		}
	}
	for _, k := range []string{"Content-Type", "Last-Modified"} {
		if v := out.Header.Get(k); v != "" {
			t.Errorf("304 has %s: %q, want none", k, v)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		give cache.Config
		want string
	}{
		{name: "negative ttl", give: cache.Config{TTL: -time.Second}, want: "cache: ttl must not be negative, got -1s"},
		{name: "too many partitions", give: cache.Config{Partitions: 5000}, want: "cache: partitions must be from 1 to 1024, got 5000"},
		{name: "tiny partitions", give: cache.Config{MaxBytes: 4000, Partitions: 4}, want: "cache: max_bytes 4000 leaves less than 1 KiB to each of 4 partitions"},
		{name: "negative size", give: cache.Config{MaxEntryBytes: -1}, want: "cache: max_bytes, max_entry_bytes and max_variants must not be negative"},
		{name: "304", give: cache.Config{Statuses: []int{200, 304}}, want: "cache: status 304 cannot be cached (want 200–599, not 206 or 304)"},
		{name: "206", give: cache.Config{Statuses: []int{206}}, want: "cache: status 206 cannot be cached (want 200–599, not 206 or 304)"},
		{name: "100", give: cache.Config{Statuses: []int{100}}, want: "cache: status 100 cannot be cached (want 200–599, not 206 or 304)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cache.New("c", tt.give)
			if err == nil || err.Error() != tt.want {
				t.Errorf("New(%+v) = %v, want %q", tt.give, err, tt.want)
			}
		})
	}
}

func TestSpec(t *testing.T) {
	spec, err := cache.New("c", cache.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if spec.Kind != actors.Stateful || spec.Priority != actors.Preprocessing || spec.Partitions != cache.DefaultPartitions || spec.PartitionKey == nil {
		t.Errorf("spec = %s %s partitions %d, want stateful preprocessing with %d partitions and a key",
			spec.Kind, spec.Priority, spec.Partitions, cache.DefaultPartitions)
	}
	if err := spec.Validate(); err != nil {
		t.Error(err)
	}
	if _, ok := spec.New().(actors.AfterStage); !ok {
		t.Error("the cache stage has no after-phase")
	}
	if spec.New() == spec.New() {
		t.Error("New returned the same instance twice; each actor needs its own")
	}
}
