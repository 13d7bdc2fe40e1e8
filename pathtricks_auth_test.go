package troupe_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/stages/auth"
)

// The path tricks again, against the catalogue's real API-key stage on a
// group: no spelling of a path reaches a protected route with a 2xx
// without a key, and every one of them does with the key.
func TestPathTricksAgainstAPIKeyAuth(t *testing.T) {
	const key = "trick-test-key-0123456789"
	apiKey, err := auth.APIKey("api-key", auth.APIKeyConfig{Keys: map[string]auth.APIKeyEntry{"tester": {Key: key}}})
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Handle("GET", "/public/{rest...}", echoRoute("public"))
		admin := app.Group("/admin", apiKey)
		admin.Handle("GET", "/users/{id}", echoRoute("admin-user"))
	})
	tricks := []string{
		"/admin/users/7", "//admin/users/7", "/./admin/users/7", "/admin/users/7/", "/admin//users/7",
		"/public/../admin/users/7", "/public/%2e%2e/admin/users/7", "/public/%2E%2e/admin/users/7",
		"/public/..%2Fadmin/users/7", "/admin%2Fusers/7", "/Admin/users/7", "/ADMIN/users/7",
		"/%61dmin/users/7", "/admin/./users/7", "/public/x/../../admin/users/7", "/admin/users/7?key=" + key,
	}
	for _, path := range tricks {
		t.Run(path, func(t *testing.T) {
			status, body := rawGet(t, s, path)
			if status >= 200 && status < 300 && strings.HasPrefix(body, "admin-user") {
				t.Fatalf("GET %s without a key reached the admin route: %d %s", path, status, body)
			}
			if status >= 500 {
				t.Fatalf("GET %s = %d", path, status)
			}
		})
	}
	// The same canonical paths with the key do reach the route: the refusals
	// above were auth's, not a routing accident.
	for _, path := range []string{"//admin/users/7", "/public/%2e%2e/admin/users/7", "/%61dmin/users/7", "/admin/users/7/"} {
		status, body := rawGet(t, s, path, "X-API-Key", key)
		if status != http.StatusOK || !strings.HasPrefix(body, "admin-user") {
			t.Errorf("GET %s with the key = %d %s, want 200 admin-user", path, status, body)
		}
	}
}
