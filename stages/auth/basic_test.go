package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/troupe-go/troupe/stages/principal"
	"github.com/troupe-go/troupe/stagetest"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func basicHeader(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

func basicConfig() BasicConfig {
	return BasicConfig{Users: map[string]BasicUser{
		"ops":   {PasswordSHA256: sha256Hex("correct horse battery staple"), Roles: []string{"admin"}},
		"jörg":  {PasswordSHA256: strings.ToUpper(sha256Hex("pässwörd:with:colons")), Permissions: []string{"read"}},
		"guest": {PasswordSHA256: sha256Hex("guest-password")},
	}}
}

func TestBasicAccepts(t *testing.T) {
	tests := []struct {
		name      string
		give      string // Authorization
		wantSub   string
		wantRoles []string
	}{
		{name: "user", give: basicHeader("ops", "correct horse battery staple"), wantSub: "ops", wantRoles: []string{"admin"}},
		{name: "utf-8 and colons in the password", give: basicHeader("jörg", "pässwörd:with:colons"), wantSub: "jörg"},
		{name: "scheme case", give: "bAsIc " + base64.StdEncoding.EncodeToString([]byte("guest:guest-password")), wantSub: "guest"},
	}
	stage := must(t)(newBasic(basicConfig()))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := stagetest.Run(t, stage, request("/", "Authorization", tt.give))
			p := principal.From(out.Exchange)
			if out.Status != http.StatusOK || p == nil || p.Subject != tt.wantSub || p.Method != "basic" || !slices.Equal(p.Roles, tt.wantRoles) {
				t.Errorf("Authorization %q: status %d (%v), principal %+v; want 200, subject %q, method basic, roles %q", tt.give, out.Status, out.Err, p, tt.wantSub, tt.wantRoles)
			}
		})
	}
}

func TestBasicRejects(t *testing.T) {
	tests := []struct {
		name string
		give []string // header pairs
	}{
		{name: "no credentials", give: nil},
		{name: "wrong password", give: []string{"Authorization", basicHeader("ops", "wrong")}},
		{name: "another user's password", give: []string{"Authorization", basicHeader("guest", "correct horse battery staple")}},
		{name: "unknown user", give: []string{"Authorization", basicHeader("root", "correct horse battery staple")}},
		{name: "empty password", give: []string{"Authorization", basicHeader("ops", "")}},
		{name: "bad base64", give: []string{"Authorization", "Basic !!!"}},
		{name: "no colon", give: []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("ops"))}},
		{name: "bearer token", give: []string{"Authorization", "Bearer abc"}},
	}
	stage := must(t)(newBasic(basicConfig()))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := stagetest.Run(t, stage, request("/", tt.give...))
			checkUnauthorized(t, out, `Basic realm="troupe", charset="UTF-8"`)
		})
	}
}

func TestBasicOptional(t *testing.T) {
	cfg := basicConfig()
	cfg.Optional, cfg.Realm = true, "ops"
	stage := must(t)(newBasic(cfg))
	tests := []struct {
		name       string
		give       []string
		wantStatus int
	}{
		{name: "no credentials pass", give: nil, wantStatus: http.StatusOK},
		{name: "another scheme passes", give: []string{"Authorization", "Bearer abc"}, wantStatus: http.StatusOK},
		{name: "wrong password fails", give: []string{"Authorization", basicHeader("ops", "wrong")}, wantStatus: http.StatusUnauthorized},
		{name: "malformed fails", give: []string{"Authorization", "Basic !!!"}, wantStatus: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := stagetest.Run(t, stage, request("/", tt.give...))
			if out.Status != tt.wantStatus || principal.From(out.Exchange) != nil {
				t.Errorf("status %d, principal %+v; want %d and none", out.Status, principal.From(out.Exchange), tt.wantStatus)
			}
		})
	}
}

func TestBasicConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		give BasicConfig
		want string
	}{
		{name: "no users", give: BasicConfig{}, want: "no users"},
		{name: "colon in a name", give: BasicConfig{Users: map[string]BasicUser{"a:b": {PasswordSHA256: sha256Hex("x")}}}, want: `user name "a:b"`},
		{name: "not hex", give: BasicConfig{Users: map[string]BasicUser{"a": {PasswordSHA256: "plain-password"}}}, want: `user "a": password_sha256 must be 64 hex digits`},
		{name: "short digest", give: BasicConfig{Users: map[string]BasicUser{"a": {PasswordSHA256: "abcd"}}}, want: "64 hex digits"},
		{name: "no digest", give: BasicConfig{Users: map[string]BasicUser{"a": {}}}, want: "64 hex digits"},
		{name: "bad realm", give: BasicConfig{Realm: "a\nb", Users: basicConfig().Users}, want: "realm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newBasic(tt.give)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("newBasic(%+v) = %v, want an error containing %q", tt.give, err, tt.want)
			}
		})
	}
}
