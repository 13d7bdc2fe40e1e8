package clientip_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/clientip"
	"go.uber.org/zap"
)

// Behind a load balancer in 10.0.0.0/8, the client is the address the
// balancer puts in X-Forwarded-For; a client that sends the header itself
// does not get to choose its address.
func ExampleNew() {
	cip, err := clientip.New("client-ip", clientip.Config{TrustedProxies: []string{"10.0.0.0/8"}})
	if err != nil {
		panic(err)
	}
	app := troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop()))
	app.Use(cip)
	app.GET("/ip", func(ex *actors.Exchange) error {
		ex.Respond(http.StatusOK, "text/plain", []byte(clientip.From(ex).String()))
		return nil
	})
	h, err := app.Handler()
	if err != nil {
		panic(err)
	}
	defer app.Close(context.Background())

	for _, peer := range []string{"10.0.0.1:5000", "198.51.100.7:5000"} {
		r := httptest.NewRequest(http.MethodGet, "/ip", nil)
		r.RemoteAddr = peer
		r.Header.Set("X-Forwarded-For", "203.0.113.9")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		fmt.Printf("from %s: %s\n", peer, rec.Body)
	}
	// Output:
	// from 10.0.0.1:5000: 203.0.113.9
	// from 198.51.100.7:5000: 198.51.100.7
}
