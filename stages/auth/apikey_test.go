package auth

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/troupe-go/troupe/stages/principal"
	"github.com/troupe-go/troupe/stagetest"
)

const (
	ciKey  = "ci-0123456789abcdef"
	opsKey = "ops-a-rather-longer-key-0123456789abcdef"
)

func apiKeyConfig() APIKeyConfig {
	return APIKeyConfig{
		Query: "api_key",
		Keys: map[string]APIKeyEntry{
			"ci":  {Key: ciKey, Roles: []string{"deployer"}, Permissions: []string{"deploy"}},
			"ops": {Key: opsKey, Roles: []string{"admin"}},
		},
	}
}

func TestAPIKeyAccepts(t *testing.T) {
	tests := []struct {
		name      string
		give      string   // target
		header    []string // request header pairs
		wantSub   string
		wantRoles []string
	}{
		{name: "header", give: "/", header: []string{"X-API-Key", ciKey}, wantSub: "ci", wantRoles: []string{"deployer"}},
		{name: "header name case", give: "/", header: []string{"x-api-key", opsKey}, wantSub: "ops", wantRoles: []string{"admin"}},
		{name: "query", give: "/?api_key=" + opsKey, wantSub: "ops", wantRoles: []string{"admin"}},
		{name: "header wins over a wrong query", give: "/?api_key=nope", header: []string{"X-API-Key", ciKey}, wantSub: "ci", wantRoles: []string{"deployer"}},
		{name: "empty header falls back to query", give: "/?api_key=" + ciKey, header: []string{"X-API-Key", ""}, wantSub: "ci", wantRoles: []string{"deployer"}},
	}
	stage := must(t)(newAPIKey(apiKeyConfig()))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := stagetest.Run(t, stage, request(tt.give, tt.header...))
			if out.Status != http.StatusOK || !out.HandlerRan {
				t.Fatalf("GET %s = %d (%v), want 200 from the handler", tt.give, out.Status, out.Err)
			}
			p := principal.From(out.Exchange)
			if p == nil || p.Subject != tt.wantSub || p.Method != "api_key" || !slices.Equal(p.Roles, tt.wantRoles) {
				t.Errorf("principal = %+v, want subject %q, method api_key, roles %q", p, tt.wantSub, tt.wantRoles)
			}
		})
	}
}

func TestAPIKeyRejects(t *testing.T) {
	tests := []struct {
		name   string
		give   string
		header []string
	}{
		{name: "no key", give: "/"},
		{name: "unknown key", give: "/", header: []string{"X-API-Key", "ci-0123456789abcdeX"}},
		{name: "prefix of a key", give: "/", header: []string{"X-API-Key", ciKey[:len(ciKey)-1]}},
		{name: "key plus a byte", give: "/", header: []string{"X-API-Key", ciKey + "0"}},
		{name: "wrong header wins over a right query", give: "/?api_key=" + ciKey, header: []string{"X-API-Key", "wrong"}},
		{name: "key in another header", give: "/", header: []string{"Authorization", ciKey}},
		{name: "key in a query parameter not configured", give: "/?key=" + ciKey},
	}
	stage := must(t)(newAPIKey(apiKeyConfig()))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := stagetest.Run(t, stage, request(tt.give, tt.header...))
			checkUnauthorized(t, out, `ApiKey realm="troupe"`)
		})
	}
}

func TestAPIKeyHeaderOnlyByDefault(t *testing.T) {
	cfg := apiKeyConfig()
	cfg.Query, cfg.Realm = "", "ops"
	out := stagetest.Run(t, must(t)(newAPIKey(cfg)), request("/?api_key="+ciKey))
	checkUnauthorized(t, out, `ApiKey realm="ops"`)
}

func TestAPIKeyCustomHeader(t *testing.T) {
	cfg := apiKeyConfig()
	cfg.Header = "x-token"
	stage := must(t)(newAPIKey(cfg))
	if out := stagetest.Run(t, stage, request("/", "X-Token", ciKey)); out.Status != http.StatusOK {
		t.Errorf("key in X-Token: status %d (%v), want 200", out.Status, out.Err)
	}
	if out := stagetest.Run(t, stage, request("/", "X-API-Key", ciKey)); out.Status != http.StatusUnauthorized {
		t.Errorf("key in X-API-Key: status %d, want 401", out.Status)
	}
}

// TestAPIKeyComparesEveryDigest checks the constant-time structure of the
// match: whatever is presented (the first key, the last, an unknown key, a
// short or a long one), every stored digest is compared, and always as two
// SHA-256 digests, never as the keys themselves.
func TestAPIKeyComparesEveryDigest(t *testing.T) {
	cfg := APIKeyConfig{Keys: map[string]APIKeyEntry{}}
	for _, k := range []string{"a-0123456789abcdef", "b-0123456789abcdef0123", "c-" + strings.Repeat("x", 100), "d-0123456789abcdef", "e-0123456789abcdef"} {
		cfg.Keys[k[:1]] = APIKeyEntry{Key: k}
	}
	tests := []struct {
		name    string
		give    string
		wantSub string // "" for no match
	}{
		{name: "first key", give: "a-0123456789abcdef", wantSub: "a"},
		{name: "last key", give: "e-0123456789abcdef", wantSub: "e"},
		{name: "long key", give: "c-" + strings.Repeat("x", 100), wantSub: "c"},
		{name: "unknown key", give: "z-0123456789abcdef"},
		{name: "one byte", give: "a"},
		{name: "very long", give: strings.Repeat("a", 4096)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := must(t)(newAPIKey(cfg)).(*apiKey)
			var calls int
			compare := s.digests.compare
			s.digests.compare = func(x, y []byte) int {
				calls++
				if len(x) != 32 || len(y) != 32 {
					t.Errorf("compared %d and %d bytes, want two SHA-256 digests", len(x), len(y))
				}
				return compare(x, y)
			}
			out := stagetest.Run(t, s, request("/", "X-API-Key", tt.give))
			if calls != len(cfg.Keys) {
				t.Errorf("key %q: %d comparisons, want %d (every stored digest)", tt.give, calls, len(cfg.Keys))
			}
			var gotSub string
			if p := principal.From(out.Exchange); p != nil {
				gotSub = p.Subject
			}
			if gotSub != tt.wantSub {
				t.Errorf("key %q: subject %q, want %q", tt.give, gotSub, tt.wantSub)
			}
		})
	}
}

func TestAPIKeySources(t *testing.T) {
	t.Setenv("TROUPE_TEST_CI_KEY", ciKey)
	file := writeFile(t, "keys", "# keys\n\nops: "+opsKey+"\n  batch :batch-0123456789abcdef:with:colons  \n")
	cfg := APIKeyConfig{
		File: file,
		Keys: map[string]APIKeyEntry{
			"ci":  {Env: "TROUPE_TEST_CI_KEY", Roles: []string{"deployer"}},
			"ops": {Roles: []string{"admin"}}, // its key is in the file
		},
	}
	tests := []struct {
		name      string
		give      string
		wantSub   string
		wantRoles []string
	}{
		{name: "from env", give: ciKey, wantSub: "ci", wantRoles: []string{"deployer"}},
		{name: "from file, roles from keys", give: opsKey, wantSub: "ops", wantRoles: []string{"admin"}},
		{name: "from file only", give: "batch-0123456789abcdef:with:colons", wantSub: "batch"},
	}
	stage := must(t)(newAPIKey(cfg))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := stagetest.Run(t, stage, request("/", "X-API-Key", tt.give))
			p := principal.From(out.Exchange)
			if out.Status != http.StatusOK || p == nil || p.Subject != tt.wantSub || !slices.Equal(p.Roles, tt.wantRoles) {
				t.Errorf("status %d, principal %+v; want 200, subject %q, roles %q", out.Status, p, tt.wantSub, tt.wantRoles)
			}
		})
	}
}

func TestAPIKeyConfigErrors(t *testing.T) {
	t.Setenv("TROUPE_TEST_EMPTY", "")
	good := APIKeyEntry{Key: ciKey}
	tests := []struct {
		name string
		give APIKeyConfig
		want string // part of the error
	}{
		{name: "no keys", give: APIKeyConfig{}, want: "no keys"},
		{name: "short key", give: APIKeyConfig{Keys: map[string]APIKeyEntry{"a": {Key: "short"}}}, want: `key "a" is shorter than 16 bytes`},
		{name: "same key twice", give: APIKeyConfig{Keys: map[string]APIKeyEntry{"a": good, "b": good}}, want: `keys "a" and "b" are the same`},
		{name: "key and env", give: APIKeyConfig{Keys: map[string]APIKeyEntry{"a": {Key: ciKey, Env: "X"}}}, want: "more than one of"},
		{name: "env unset", give: APIKeyConfig{Keys: map[string]APIKeyEntry{"a": {Env: "TROUPE_TEST_UNSET"}}}, want: "TROUPE_TEST_UNSET is not set or empty"},
		{name: "env empty", give: APIKeyConfig{Keys: map[string]APIKeyEntry{"a": {Env: "TROUPE_TEST_EMPTY"}}}, want: "TROUPE_TEST_EMPTY is not set or empty"},
		{name: "entry without key", give: APIKeyConfig{Keys: map[string]APIKeyEntry{"a": {Roles: []string{"x"}}}}, want: `key "a" has no key, env or line in the key file`},
		{name: "missing file", give: APIKeyConfig{File: "/nonexistent/keys"}, want: "key file: open /nonexistent/keys"},
		{name: "bad header", give: APIKeyConfig{Header: "X Key", Keys: map[string]APIKeyEntry{"a": good}}, want: `header "X Key" is not a header name`},
		{name: "bad realm", give: APIKeyConfig{Realm: `a"b`, Keys: map[string]APIKeyEntry{"a": good}}, want: "realm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newAPIKey(tt.give)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("newAPIKey(%+v) = %v, want an error containing %q", tt.give, err, tt.want)
			}
		})
	}
}

func TestAPIKeyFileErrors(t *testing.T) {
	tests := []struct {
		name string
		give string                 // file contents
		keys map[string]APIKeyEntry // besides the file
		want string                 // error, after the path
	}{
		{name: "no colon", give: "ops\n", want: ":1: want name:key"},
		{name: "no name", give: "# c\n:" + ciKey + "\n", want: ":2: want name:key"},
		{name: "no key", give: "ops:  \n", want: ":1: want name:key"},
		{name: "name twice", give: "a:" + ciKey + "\na:" + opsKey + "\n", want: `:2: key "a" given twice`},
		{name: "key and file", give: "a:" + ciKey + "\n", keys: map[string]APIKeyEntry{"a": {Key: opsKey}}, want: `key "a" comes from more than one`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "keys", tt.give)
			_, err := newAPIKey(APIKeyConfig{File: path, Keys: tt.keys})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("newAPIKey(file %q) = %v, want an error containing %q", tt.give, err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), ciKey) || strings.Contains(err.Error(), opsKey)) {
				t.Errorf("error %q shows a key", err)
			}
		})
	}
}

func TestAPIKeyOptional(t *testing.T) {
	cfg := apiKeyConfig()
	cfg.Optional = true
	stage := must(t)(newAPIKey(cfg))
	out := stagetest.Run(t, stage, request("/"))
	if out.Status != http.StatusOK || principal.From(out.Exchange) != nil {
		t.Errorf("no key: status %d, principal %+v; want 200 unauthenticated", out.Status, principal.From(out.Exchange))
	}
	if cs, _ := challengesKey.Get(out.Exchange); !slices.Equal(cs, []string{`ApiKey realm="troupe"`}) {
		t.Errorf("deferred challenges = %q, want the ApiKey one", cs)
	}
	checkUnauthorized(t, stagetest.Run(t, stage, request("/", "X-API-Key", "wrong")), `ApiKey realm="troupe"`)
}

func TestAPIKeyLeavesAnEarlierPrincipal(t *testing.T) {
	earlier := &principal.Principal{Subject: "alice", Method: "jwt"}
	out := stagetest.Run(t, must(t)(newAPIKey(apiKeyConfig())), request("/"), withPrincipal(earlier))
	if out.Status != http.StatusOK || principal.From(out.Exchange) != earlier {
		t.Errorf("status %d, principal %+v; want 200 and the earlier principal", out.Status, principal.From(out.Exchange))
	}
}

func TestAPIKeyPrincipalsAreFresh(t *testing.T) {
	stage := must(t)(newAPIKey(apiKeyConfig()))
	first := principal.From(stagetest.Run(t, stage, request("/", "X-API-Key", ciKey)).Exchange)
	first.Roles[0] = "admin"
	second := principal.From(stagetest.Run(t, stage, request("/", "X-API-Key", ciKey)).Exchange)
	if !slices.Equal(second.Roles, []string{"deployer"}) {
		t.Errorf("after a handler changed its principal's roles, the next request's are %q, want [deployer]", second.Roles)
	}
}
