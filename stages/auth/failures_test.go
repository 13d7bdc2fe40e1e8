package auth

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages/clientip"
	"github.com/troupe-go/troupe/stages/principal"
	"github.com/troupe-go/troupe/stagetest"
)

// fakeClock is a clock the test moves. Safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// hsSecret is the HS256 secret of the JWT stages of these tests.
var hsSecret = []byte("failure-limit-test-secret-0123456789abcdef")

// limited is one authenticating kind, as these tests drive it: a stage
// with a failure limit, and how a request presents a good or a bad
// credential.
type limited struct {
	name  string
	stage func(t *testing.T, fl FailureLimit) actors.Stage
	good  func(t *testing.T, r *http.Request)
	bad   func(t *testing.T, r *http.Request)
}

var limitedKinds = []limited{
	{
		name: "api_key",
		stage: func(t *testing.T, fl FailureLimit) actors.Stage {
			return must(t)(newAPIKey(APIKeyConfig{Keys: map[string]APIKeyEntry{"ci": {Key: ciKey}}, FailureLimit: fl}))
		},
		good: func(_ *testing.T, r *http.Request) { r.Header.Set("X-API-Key", ciKey) },
		bad:  func(_ *testing.T, r *http.Request) { r.Header.Set("X-API-Key", "not-a-key-0123456789") },
	},
	{
		name: "basic_auth",
		stage: func(t *testing.T, fl FailureLimit) actors.Stage {
			cfg := basicConfig()
			cfg.FailureLimit = fl
			return must(t)(newBasic(cfg))
		},
		good: func(_ *testing.T, r *http.Request) {
			r.Header.Set("Authorization", basicHeader("ops", "correct horse battery staple"))
		},
		bad: func(_ *testing.T, r *http.Request) { r.Header.Set("Authorization", basicHeader("ops", "wrong")) },
	},
	{
		name: "jwt",
		stage: func(t *testing.T, fl FailureLimit) actors.Stage {
			return must(t)(newJWT(JWTConfig{Keys: map[string]JWTKey{"hs": {Alg: "HS256", Secret: string(hsSecret)}}, FailureLimit: fl}))
		},
		good: func(t *testing.T, r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+sign(t, jwt.SigningMethodHS256, hsSecret, "hs", claims()))
		},
		bad: func(t *testing.T, r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+sign(t, jwt.SigningMethodHS256, []byte("a-forger's-guess-0123456789abcdef"), "hs", claims()))
		},
	},
}

// attemptFrom returns a GET from addr (host, or host:port) presenting
// cred: "good", "bad" or "none".
func (k limited) attemptFrom(t *testing.T, addr, cred string, header ...string) *http.Request {
	t.Helper()
	r := request("/", header...)
	if !strings.Contains(addr, "]:") && strings.Count(addr, ":") != 1 {
		addr = netip.AddrPortFrom(netip.MustParseAddr(addr), 40000).String()
	}
	r.RemoteAddr = addr
	switch cred {
	case "good":
		k.good(t, r)
	case "bad":
		k.bad(t, r)
	}
	return r
}

// checkTooMany checks that out is the 429 of the failure limit, with
// Retry-After retry, and that nobody was authenticated.
func checkTooMany(t *testing.T, out stagetest.Outcome, retry string) {
	t.Helper()
	var p actors.Problem
	_ = json.Unmarshal(out.Body, &p)
	if out.Status != http.StatusTooManyRequests || p.Status != http.StatusTooManyRequests || out.Header.Get("Content-Type") != actors.ProblemContentType {
		t.Errorf("status %d, problem %+v, Content-Type %q; want a 429 problem+json", out.Status, p, out.Header.Get("Content-Type"))
	}
	if got := out.Header.Get("Retry-After"); got != retry {
		t.Errorf("Retry-After = %q, want %q", got, retry)
	}
	if got := out.Header.Get("WWW-Authenticate"); got != "" {
		t.Errorf("WWW-Authenticate = %q on a 429", got)
	}
	if out.HandlerRan || principal.From(out.Exchange) != nil {
		t.Errorf("handler ran %v, principal %+v; want neither", out.HandlerRan, principal.From(out.Exchange))
	}
}

// TestFailureLimit runs one history of attempts against each kind, with
// a limit of 3 failures a minute and a fake clock: each row is an attempt
// at a time since the start, from an address, with a good, bad or no
// credential, and the status (and Retry-After) it must get.
func TestFailureLimit(t *testing.T) {
	const a, b = "192.0.2.1", "198.51.100.7"
	steps := []struct {
		name  string
		at    time.Duration
		from  string
		cred  string
		want  int
		retry string // for 429
	}{
		{name: "first failure", at: 0, from: a, cred: "bad", want: 401},
		{name: "second failure", at: 10 * time.Second, from: a, cred: "bad", want: 401},
		{name: "third failure", at: 20 * time.Second, from: a, cred: "bad", want: 401},
		{name: "fourth attempt is refused until the first is a minute old", at: 20 * time.Second, from: a, cred: "bad", want: 429, retry: "40"},
		{name: "a good credential is refused too", at: 20 * time.Second, from: a, cred: "good", want: 429, retry: "40"},
		{name: "no credentials is no attempt", at: 20 * time.Second, from: a, cred: "none", want: 401},
		{name: "another address fails", at: 20 * time.Second, from: b, cred: "bad", want: 401},
		{name: "another address authenticates", at: 20 * time.Second, from: b, cred: "good", want: 200},
		{name: "Retry-After rounds up", at: 59*time.Second + 500*time.Millisecond, from: a, cred: "good", want: 429, retry: "1"},
		{name: "the first failure is a minute old", at: time.Minute, from: a, cred: "good", want: 200},
		{name: "the success wiped nothing: one failure left", at: time.Minute, from: a, cred: "bad", want: 401},
		{name: "limited until the second failure is a minute old", at: time.Minute, from: a, cred: "good", want: 429, retry: "10"},
		{name: "the second failure is a minute old", at: 70 * time.Second, from: a, cred: "bad", want: 401},
		{name: "limited until the third failure is a minute old", at: 70 * time.Second, from: a, cred: "bad", want: 429, retry: "10"},
		{name: "the other address's failure still counts", at: 70 * time.Second, from: b, cred: "bad", want: 401},
		{name: "a minute after the last failure, one of three", at: 130 * time.Second, from: a, cred: "bad", want: 401},
		{name: "two of three", at: 130 * time.Second, from: a, cred: "bad", want: 401},
		{name: "three of three", at: 130 * time.Second, from: a, cred: "bad", want: 401},
		{name: "limited for a whole minute", at: 130 * time.Second, from: a, cred: "good", want: 429, retry: "60"},
	}
	for _, k := range limitedKinds {
		t.Run(k.name, func(t *testing.T) {
			clock := newFakeClock()
			start := clock.Now()
			stage := k.stage(t, FailureLimit{Failures: 3, Window: time.Minute, Now: clock.Now})
			for _, st := range steps {
				clock.Set(start.Add(st.at))
				out := stagetest.Run(t, stage, k.attemptFrom(t, st.from, st.cred))
				if st.want == http.StatusTooManyRequests {
					checkTooMany(t, out, st.retry)
				}
				if out.Status != st.want {
					t.Fatalf("%s: %s at %v from %s = %d (%v), want %d", st.name, st.cred, st.at, st.from, out.Status, out.Err, st.want)
				}
			}
		})
	}
}

// TestFailureLimitDoesNotLookAtTheKey: a refused attempt compares no
// digest, so it tells nothing about the key, and costs no hashing.
func TestFailureLimitDoesNotLookAtTheKey(t *testing.T) {
	clock := newFakeClock()
	k := limitedKinds[0]
	stage := k.stage(t, FailureLimit{Failures: 2, Now: clock.Now})
	var compared atomic.Int64
	s := stage.(*apiKey)
	compare := s.digests.compare
	s.digests.compare = func(x, y []byte) int { compared.Add(1); return compare(x, y) }
	for range 2 {
		stagetest.Run(t, stage, k.attemptFrom(t, "192.0.2.1", "bad"))
	}
	before := compared.Load()
	out := stagetest.Run(t, stage, k.attemptFrom(t, "192.0.2.1", "good"))
	checkTooMany(t, out, "60")
	if n := compared.Load() - before; n != 0 {
		t.Errorf("a refused attempt compared %d digests, want 0", n)
	}
}

// TestFailureLimitDefaults: the zero FailureLimit allows 10 failures a
// minute; Disabled allows any number.
func TestFailureLimitDefaults(t *testing.T) {
	tests := []struct {
		name      string
		give      FailureLimit
		wantFirst int // the attempt first refused, 0 for none of 30
	}{
		{name: "default", give: FailureLimit{}, wantFirst: 11},
		{name: "disabled", give: FailureLimit{Disabled: true}, wantFirst: 0},
		{name: "one", give: FailureLimit{Failures: 1}, wantFirst: 2},
	}
	for _, k := range limitedKinds {
		for _, tt := range tests {
			t.Run(k.name+"/"+tt.name, func(t *testing.T) {
				clock := newFakeClock()
				tt.give.Now = clock.Now
				stage := k.stage(t, tt.give)
				first := 0
				for i := 1; i <= 30 && first == 0; i++ {
					out := stagetest.Run(t, stage, k.attemptFrom(t, "192.0.2.1", "bad"))
					switch out.Status {
					case http.StatusTooManyRequests:
						checkTooMany(t, out, "60")
						first = i
					case http.StatusUnauthorized:
					default:
						t.Fatalf("attempt %d = %d", i, out.Status)
					}
				}
				if first != tt.wantFirst {
					t.Errorf("first refused attempt %d, want %d", first, tt.wantFirst)
				}
			})
		}
	}
}

// TestFailureLimitSignedJWTs: a token whose signature verifies but whose
// claims are refused is no guess, and does not count; a forged one does.
func TestFailureLimitSignedJWTs(t *testing.T) {
	hour := time.Now().Add(-time.Hour).Unix()
	tests := []struct {
		name   string
		claims jwt.MapClaims
	}{
		{name: "expired", claims: claims("exp", hour)},
		{name: "not yet valid", claims: claims("nbf", time.Now().Add(time.Hour).Unix())},
		{name: "no subject", claims: claims("sub", nil)},
		{name: "wrong issuer", claims: claims("iss", "https://elsewhere.test")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			stage := must(t)(newJWT(JWTConfig{
				Keys:         map[string]JWTKey{"hs": {Alg: "HS256", Secret: string(hsSecret)}},
				Issuer:       testIssuer,
				FailureLimit: FailureLimit{Failures: 2, Now: clock.Now},
			}))
			token := sign(t, jwt.SigningMethodHS256, hsSecret, "hs", tt.claims)
			for i := range 5 {
				r := bearer(token)
				r.RemoteAddr = "192.0.2.1:1234"
				if out := stagetest.Run(t, stage, r); out.Status != http.StatusUnauthorized {
					t.Fatalf("signed %s token, attempt %d = %d, want 401 every time", tt.name, i+1, out.Status)
				}
			}
			forged := limitedKinds[2]
			for i, want := range []int{401, 401, 429} {
				if out := stagetest.Run(t, stage, forged.attemptFrom(t, "192.0.2.1", "bad")); out.Status != want {
					t.Fatalf("forged token %d = %d, want %d", i+1, out.Status, want)
				}
			}
		})
	}
}

// TestFailureLimitAddresses: which addresses count as one client.
func TestFailureLimitAddresses(t *testing.T) {
	tests := []struct {
		name       string
		prefix     int
		failFrom   string // RemoteAddr of the failures
		thenFrom   string // RemoteAddr of the next attempt
		wantShared bool
	}{
		{name: "one IPv4 address, another port", failFrom: "192.0.2.1:1000", thenFrom: "192.0.2.1:2000", wantShared: true},
		{name: "the next IPv4 address", failFrom: "192.0.2.1:1000", thenFrom: "192.0.2.2:1000", wantShared: false},
		{name: "IPv4-mapped IPv6 is IPv4", failFrom: "[::ffff:192.0.2.1]:1000", thenFrom: "192.0.2.1:1000", wantShared: true},
		{name: "one IPv6 /64", failFrom: "[2001:db8::1]:1000", thenFrom: "[2001:db8::ffff:ffff:ffff:ffff]:1000", wantShared: true},
		{name: "the next IPv6 /64", failFrom: "[2001:db8::1]:1000", thenFrom: "[2001:db8:0:1::1]:1000", wantShared: false},
		{name: "zones are one address", failFrom: "[fe80::1%eth0]:1000", thenFrom: "[fe80::1%eth1]:1000", wantShared: true},
		{name: "per IPv6 address with prefix 128", prefix: 128, failFrom: "[2001:db8::1]:1000", thenFrom: "[2001:db8::2]:1000", wantShared: false},
		{name: "an IPv6 /48", prefix: 48, failFrom: "[2001:db8:0:1::1]:1000", thenFrom: "[2001:db8:0:2::1]:1000", wantShared: true},
		{name: "peers that do not parse share one count", failFrom: "pipe", thenFrom: "@", wantShared: true},
	}
	k := limitedKinds[0]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stage := k.stage(t, FailureLimit{Failures: 2, IPv6Prefix: tt.prefix, Now: newFakeClock().Now})
			for range 2 {
				r := k.attemptFrom(t, "192.0.2.99:1", "bad")
				r.RemoteAddr = tt.failFrom
				stagetest.Run(t, stage, r)
			}
			r := k.attemptFrom(t, "192.0.2.99:1", "good")
			r.RemoteAddr = tt.thenFrom
			out := stagetest.Run(t, stage, r)
			if shared := out.Status == http.StatusTooManyRequests; shared != tt.wantShared || !shared && out.Status != http.StatusOK {
				t.Errorf("after 2 failures from %s, a good key from %s = %d; want shared count %v", tt.failFrom, tt.thenFrom, out.Status, tt.wantShared)
			}
		})
	}
}

// TestFailureLimitForwardedFor: the limit counts the address the clientip
// stage works out, so a forged X-Forwarded-For changes nothing unless the
// peer is a trusted proxy.
func TestFailureLimitForwardedFor(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string // nil: no clientip stage
		want    []int    // the statuses of four failures, each with another X-Forwarded-For
	}{
		{name: "no clientip stage", want: []int{401, 401, 429, 429}},
		{name: "clientip trusting no proxy", trusted: []string{}, want: []int{401, 401, 429, 429}},
		{name: "clientip trusting another proxy", trusted: []string{"10.0.0.0/8"}, want: []int{401, 401, 429, 429}},
		{name: "clientip trusting the peer", trusted: []string{"192.0.2.0/24"}, want: []int{401, 401, 401, 401}},
	}
	k := limitedKinds[0]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stage := k.stage(t, FailureLimit{Failures: 2, Now: newFakeClock().Now})
			if tt.trusted != nil {
				cip, err := clientip.New("client-ip", clientip.Config{TrustedProxies: tt.trusted})
				if err != nil {
					t.Fatal(err)
				}
				stage = chain(cip.Stage, stage)
			}
			for i, want := range tt.want {
				r := k.attemptFrom(t, "192.0.2.1", "bad", "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1))
				if out := stagetest.Run(t, stage, r); out.Status != want {
					t.Errorf("failure %d = %d, want %d", i+1, out.Status, want)
				}
			}
			if tt.trusted == nil || len(tt.trusted) == 0 || tt.trusted[0] != "192.0.2.0/24" {
				return
			}
			// Through the trusted proxy, one forwarded client is still limited.
			for i, want := range []int{401, 429} {
				r := k.attemptFrom(t, "192.0.2.1", "bad", "X-Forwarded-For", "203.0.113.1")
				if out := stagetest.Run(t, stage, r); out.Status != want {
					t.Errorf("203.0.113.1's failure %d = %d, want %d", i+2, out.Status, want)
				}
			}
		})
	}
}

// addr returns the i-th address of 10.0.0.0/8.
func addr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
}

// failFrom records one failure of a, as a stage does, and returns the
// table's shard for it.
func failFrom(t *testing.T, f *failures, a netip.Addr) *failureShard {
	t.Helper()
	r := request("/")
	r.RemoteAddr = netip.AddrPortFrom(a, 1).String()
	ex := stagetest.Exchange(t, r)
	at, err := f.check(ex)
	if err == nil {
		at.failed()
	}
	_, sh := f.client(ex)
	return sh
}

// remembered reports whether the table holds failures of a.
func remembered(f *failures, a netip.Addr) bool {
	for i := range f.shards {
		sh := &f.shards[i]
		sh.mu.Lock()
		_, ok := sh.clients[a]
		sh.mu.Unlock()
		if ok {
			return true
		}
	}
	return false
}

// TestFailureTableBounded: an attack from many addresses never holds more
// than MaxClients of them; at the cap the address whose last failure is
// the oldest in its shard goes; addresses whose failures aged out go first.
func TestFailureTableBounded(t *testing.T) {
	clock := newFakeClock()
	start := clock.Now()
	f, err := newFailures(FailureLimit{Failures: 2, MaxClients: 32, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	caps := 0
	for i := range f.shards {
		caps += f.shards[i].max
	}
	if caps != 32 {
		t.Fatalf("the shards hold %d in all, want 32", caps)
	}
	for i := range 10_000 {
		clock.Set(start.Add(time.Duration(i) * time.Millisecond))
		failFrom(t, f, addr(i))
		if n := f.size(); n > 32 {
			t.Fatalf("after %d addresses the table holds %d, want at most 32", i+1, n)
		}
	}
	if !remembered(f, addr(9_999)) || remembered(f, addr(0)) {
		t.Errorf("the newest address remembered %v, the oldest %v; want true, false", remembered(f, addr(9_999)), remembered(f, addr(0)))
	}

	// Three addresses of one shard (each holds two): a, b, then a again
	// makes b the one whose last failure is oldest, and c evicts it.
	var same []netip.Addr
	want := failFrom(t, f, addr(100_000))
	for i := 100_000; len(same) < 3; i++ {
		if shardOf(t, f, addr(i)) == want {
			same = append(same, addr(i))
		}
	}
	clock.Set(start.Add(time.Hour)) // all that came before has aged out
	for _, a := range []netip.Addr{same[0], same[1], same[0], same[2]} {
		clock.Set(clock.Now().Add(time.Second))
		failFrom(t, f, a)
	}
	if !remembered(f, same[0]) || remembered(f, same[1]) || !remembered(f, same[2]) {
		t.Errorf("remembered %v %v %v, want true false true", remembered(f, same[0]), remembered(f, same[1]), remembered(f, same[2]))
	}
	if want.n.Load() != 2 {
		t.Errorf("the shard holds %d, want 2", want.n.Load())
	}
}

// TestFailureTableForgetsAgedOut: once an address's last failure is a
// window old, the next failure in its shard drops it.
func TestFailureTableForgetsAgedOut(t *testing.T) {
	clock := newFakeClock()
	start := clock.Now()
	f, err := newFailures(FailureLimit{Failures: 2, Window: time.Minute, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		failFrom(t, f, addr(i))
	}
	if n := f.size(); n != 1000 {
		t.Fatalf("the table holds %d, want 1000", n)
	}
	clock.Set(start.Add(time.Minute))
	for i := range 1000 {
		failFrom(t, f, addr(1_000_000+i)) // every shard gets failures
	}
	if n := f.size(); n != 1000 {
		t.Errorf("a minute later, after 1000 other addresses failed, the table holds %d, want 1000: the old ones forgotten", n)
	}
	for i := range 1000 {
		if remembered(f, addr(i)) {
			t.Fatalf("%v, a minute after its failure, is remembered", addr(i))
		}
	}
}

// requestFrom returns a GET from a.
func requestFrom(a netip.Addr) *http.Request {
	r := request("/")
	r.RemoteAddr = netip.AddrPortFrom(a, 1).String()
	return r
}

// shardOf returns the shard a falls in.
func shardOf(t *testing.T, f *failures, a netip.Addr) *failureShard {
	_, sh := f.client(stagetest.Exchange(t, requestFrom(a)))
	return sh
}

// TestFailureLimitConcurrent: attempts checked at once from an address
// that has failed cannot all fail past the limit, as a stage shared by a
// hop's actors sees them; the race detector checks the table's locking.
func TestFailureLimitConcurrent(t *testing.T) {
	for _, k := range limitedKinds {
		t.Run(k.name, func(t *testing.T) {
			clock := newFakeClock()
			stage := k.stage(t, FailureLimit{Failures: 5, Now: clock.Now})
			if out := stagetest.Run(t, stage, k.attemptFrom(t, "192.0.2.1", "bad")); out.Status != 401 {
				t.Fatalf("first failure = %d", out.Status)
			}
			var unauthorized, tooMany, ok atomic.Int64
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					for range 20 {
						from, cred := "192.0.2.1", "bad"
						if g%2 == 1 {
							from, cred = fmt.Sprintf("198.51.100.%d", g), "good"
						}
						switch out := stagetest.Run(t, stage, k.attemptFrom(t, from, cred)); out.Status {
						case 401:
							unauthorized.Add(1)
						case 429:
							tooMany.Add(1)
						case 200:
							ok.Add(1)
						default:
							t.Errorf("status %d", out.Status)
						}
					}
				})
			}
			wg.Wait()
			if unauthorized.Load() != 4 || tooMany.Load() != 76 || ok.Load() != 80 {
				t.Errorf("401 × %d, 429 × %d, 200 × %d; want 4 (the limit of 5 less the first), 76 and 80", unauthorized.Load(), tooMany.Load(), ok.Load())
			}
		})
	}
}

// TestFailureLimitConfigErrors: bad limits are refused by every kind.
func TestFailureLimitConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		give FailureLimit
		want string
	}{
		{name: "negative failures", give: FailureLimit{Failures: -1}, want: "failure_limit: failures must be 0 (the default) to 1000, got -1"},
		{name: "too many failures", give: FailureLimit{Failures: 1001}, want: "failure_limit: failures must be 0 (the default) to 1000, got 1001"},
		{name: "negative window", give: FailureLimit{Window: -time.Second}, want: "failure_limit: window must not be negative, got -1s"},
		{name: "negative max_clients", give: FailureLimit{MaxClients: -1}, want: "failure_limit: max_clients must not be negative, got -1"},
		{name: "ipv6_prefix too long", give: FailureLimit{IPv6Prefix: 129}, want: "failure_limit: ipv6_prefix must be 0 (the default) to 128, got 129"},
	}
	for _, k := range limitedKinds {
		for _, tt := range tests {
			t.Run(k.name+"/"+tt.name, func(t *testing.T) {
				var err error
				switch k.name {
				case "api_key":
					_, err = newAPIKey(APIKeyConfig{Keys: map[string]APIKeyEntry{"ci": {Key: ciKey}}, FailureLimit: tt.give})
				case "basic_auth":
					cfg := basicConfig()
					cfg.FailureLimit = tt.give
					_, err = newBasic(cfg)
				case "jwt":
					_, err = newJWT(JWTConfig{Keys: map[string]JWTKey{"hs": {Alg: "HS256", Secret: string(hsSecret)}}, FailureLimit: tt.give})
				}
				if err == nil || err.Error() != tt.want {
					t.Errorf("err = %v, want %q", err, tt.want)
				}
			})
		}
	}
}

// TestFailureLimitYAML: the option failure_limit, its errors at their
// line, and a limit built from it at work.
func TestFailureLimitYAML(t *testing.T) {
	const head = "stages:\n  s:\n    kind: api_key\n    options:\n      keys: {ci: {key: ci-0123456789abcdef}}\n"
	const routes = "routes:\n  - {method: GET, path: /, handler: ok, stages: [s]}\n"
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "too many failures", give: "      failure_limit: {failures: 1001}\n",
			want: "auth.yaml:6: api_key: failure_limit: failures must be 0 (the default) to 1000, got 1001"},
		{name: "unknown option", give: "      failure_limit:\n        failurez: 3\n",
			want: `auth.yaml:7: unknown option "failurez" (want one of disabled, failures, ipv6_prefix, max_clients, window)`},
		{name: "bad window", give: "      failure_limit: {window: soon}\n",
			want: "auth.yaml:6: bad option value: cannot unmarshal !!str `soon` into time.Duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("auth.yaml", []byte(head+tt.give+routes), registry())
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	cfg, err := config.Parse("auth.yaml", []byte(head+"      failure_limit: {failures: 2, window: 30s}\n"+routes), registry())
	if err != nil {
		t.Fatal(err)
	}
	stage := cfg.Stages["s"].Stage
	for i, want := range []int{401, 401, 429} {
		r := request("/", "X-API-Key", "not-a-key-0123456789")
		if out := stagetest.Run(t, stage, r); out.Status != want {
			t.Fatalf("attempt %d = %d, want %d", i+1, out.Status, want)
		} else if want == 429 {
			// The real clock runs between the first failure and this
			// check: the wait is 30 s less that, rounded up.
			if ra := out.Header.Get("Retry-After"); ra != "30" && ra != "29" {
				t.Errorf("Retry-After = %q, want 30 (or 29 on a slow run)", ra)
			}
		}
	}
}
