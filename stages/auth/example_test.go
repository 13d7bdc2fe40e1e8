package auth_test

import (
	"net/http"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/auth"
	"github.com/troupe-go/troupe/stages/principal"
)

func Example() {
	keys, err := auth.APIKey(auth.APIKeyConfig{Keys: map[string]auth.APIKeyEntry{
		"ci":  {Env: "CI_API_KEY", Roles: []string{"deployer"}},
		"ops": {Env: "OPS_API_KEY", Roles: []string{"admin"}},
	}})
	if err != nil {
		panic(err)
	}
	admin, err := auth.Require(auth.RequireConfig{AnyOfRoles: []string{"admin"}})
	if err != nil {
		panic(err)
	}
	app := troupe.New(troupe.Config{})
	app.Use(troupe.Stage("api-key", actors.Auth, keys))
	admins := app.Group("/admin", troupe.Stage("admin-only", actors.Auth, admin))
	admins.GET("/whoami", func(ex *actors.Exchange) error {
		return ex.JSON(http.StatusOK, map[string]string{"subject": principal.From(ex).Subject})
	})
}

func ExampleJWT() {
	stage, err := auth.JWT(auth.JWTConfig{
		Keys:      map[string]auth.JWTKey{"2026-01": {Alg: "RS256", PublicKeyFile: "/etc/troupe/jwt.pem"}},
		Issuer:    "https://id.example.com",
		Audiences: []string{"api"},
	})
	if err != nil {
		panic(err)
	}
	app := troupe.New(troupe.Config{})
	app.Use(troupe.Stage("jwt", actors.Auth, stage))
}

func ExampleRequire() {
	own, err := auth.Require(auth.RequireConfig{AnyOfRoles: []string{"user"}, OwnerParam: "id"})
	if err != nil {
		panic(err)
	}
	app := troupe.New(troupe.Config{})
	app.GET("/users/{id}/orders", func(ex *actors.Exchange) error {
		return ex.JSON(http.StatusOK, []string{})
	}).With(troupe.Stage("own-orders", actors.Auth, own))
}
