package secheaders_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/secheaders"
	"go.uber.org/zap"
)

// Security headers on every response, an error's included: the defaults,
// one replaced, one left out, and HSTS.
func ExampleNew() {
	sec, err := secheaders.New("security-headers", secheaders.Config{
		ContentSecurityPolicy: "default-src 'self'",
		HSTSMaxAge:            365 * 24 * time.Hour,
		Omit:                  []string{secheaders.FrameOptions},
	})
	if err != nil {
		panic(err)
	}
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	app.Use(sec)
	app.GET("/secret", func(*actors.Exchange) error {
		return actors.NewError(http.StatusForbidden, "not for you")
	})
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/secret", nil))
	fmt.Println(rec.Code)
	for _, k := range []string{secheaders.ContentTypeOptions, secheaders.FrameOptions, secheaders.ContentSecurityPolicy, secheaders.StrictTransportSecurity} {
		fmt.Printf("%s: %q\n", k, rec.Header().Get(k))
	}
	// Output:
	// 403
	// X-Content-Type-Options: "nosniff"
	// X-Frame-Options: ""
	// Content-Security-Policy: "default-src 'self'"
	// Strict-Transport-Security: "max-age=31536000"
}
