package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/auth"
	"github.com/troupe-go/troupe/stages/principal"
	"go.uber.org/zap"
)

// serve answers r with h and prints the status, the challenge if there is
// one, and the body if the request got through.
func serve(h http.Handler, r *http.Request) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	line := fmt.Sprint(rec.Code)
	if c := rec.Header().Get("WWW-Authenticate"); c != "" {
		line += " " + c
	}
	if rec.Code == http.StatusOK {
		line += " " + strings.TrimSpace(rec.Body.String())
	}
	fmt.Println(line)
}

// API keys for the whole app, and an admin-only group: no key is 401, a
// key without the role 403.
func Example() {
	keys, err := auth.APIKey("api-key", auth.APIKeyConfig{Keys: map[string]auth.APIKeyEntry{
		"ci":  {Key: "ci-key-0123456789abcdef", Roles: []string{"deployer"}},
		"ops": {Key: "ops-key-0123456789abcdef", Roles: []string{"admin"}},
	}})
	if err != nil {
		panic(err)
	}
	admin, err := auth.Require("admin-only", auth.RequireConfig{AnyOfRoles: []string{"admin"}})
	if err != nil {
		panic(err)
	}
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	app.Use(keys)
	admins := app.Group("/admin", admin)
	admins.GET("/whoami", func(ex *actors.Exchange) error {
		return ex.JSON(http.StatusOK, map[string]string{"subject": principal.From(ex).Subject})
	})
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())

	for _, key := range []string{"", "ci-key-0123456789abcdef", "ops-key-0123456789abcdef"} {
		r := httptest.NewRequest(http.MethodGet, "/admin/whoami", nil)
		if key != "" {
			r.Header.Set(auth.DefaultAPIKeyHeader, key)
		}
		serve(h, r)
	}
	// Output:
	// 401 ApiKey realm="troupe"
	// 403
	// 200 {"subject":"ops"}
}

// A bearer JWT signed with HS256 under the key id "2026-01": the token's
// subject becomes the principal's.
func ExampleJWT() {
	secret := strings.Repeat("s", 32)
	tokens, err := auth.JWT("jwt", auth.JWTConfig{
		Keys:      map[string]auth.JWTKey{"2026-01": {Alg: "HS256", Secret: secret}},
		Issuer:    "https://id.example.com",
		Audiences: []string{"api"},
	})
	if err != nil {
		panic(err)
	}
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	app.Use(tokens)
	app.GET("/me", func(ex *actors.Exchange) error {
		return ex.JSON(http.StatusOK, map[string]string{"subject": principal.From(ex).Subject})
	})
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())

	token := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "ada", "iss": "https://id.example.com", "aud": "api", "exp": time.Now().Add(time.Hour).Unix(),
	})
	token.Header["kid"] = "2026-01"
	signed, err := token.SignedString([]byte(secret))
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/me", nil)
	serve(h, r)
	r = httptest.NewRequest(http.MethodGet, "/me", nil)
	r.Header.Set("Authorization", "Bearer "+signed)
	serve(h, r)
	// Output:
	// 401 Bearer realm="troupe"
	// 200 {"subject":"ada"}
}

// Ownership: a user reads only their own orders. The principal comes from
// an API key here; any authentication stage sets one.
func ExampleRequire() {
	keys, err := auth.APIKey("api-key", auth.APIKeyConfig{Keys: map[string]auth.APIKeyEntry{
		"ada": {Key: "ada-key-0123456789abcdef", Roles: []string{"user"}},
	}})
	if err != nil {
		panic(err)
	}
	own, err := auth.Require("own-orders", auth.RequireConfig{AnyOfRoles: []string{"user"}, OwnerParam: "id"})
	if err != nil {
		panic(err)
	}
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	app.GET("/users/{id}/orders", func(ex *actors.Exchange) error {
		return ex.JSON(http.StatusOK, []string{})
	}).With(keys, own)
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())

	for _, user := range []string{"ada", "bob"} {
		r := httptest.NewRequest(http.MethodGet, "/users/"+user+"/orders", nil)
		r.Header.Set(auth.DefaultAPIKeyHeader, "ada-key-0123456789abcdef")
		serve(h, r)
	}
	// Output:
	// 200 []
	// 403
}
