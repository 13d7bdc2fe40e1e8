package timing_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/stages/timing"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestServerTiming(t *testing.T) {
	app := troupe.New(troupe.Config{HTTP: httpin.Config{Addr: "127.0.0.1:0"}, Admin: troupe.AdminConfig{Addr: "off"}}, troupe.WithLogger(zap.NewNop()))
	st, err := timing.New("server-timing", timing.Config{})
	if err != nil {
		t.Fatal(err)
	}
	app.Use(st)
	slow := troupe.Stage("slow.stage", actors.Business, actors.StageFunc(func(*actors.Exchange) error {
		time.Sleep(3 * time.Millisecond) // the work being measured, not synchronisation
		return nil
	}))
	app.Handle("GET", "/x", troupe.Handler("GET /x", func(ex *actors.Exchange) error {
		ex.Respond(200, "text/plain", []byte("ok"))
		return nil
	})).With(slow)
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	defer app.Shutdown(context.Background())
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Get("http://" + app.Addr().String() + "/x")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()

	h := res.Header.Get("Server-Timing")
	metrics := map[string]float64{}
	for _, m := range regexp.MustCompile(`([^,; ]+);dur=([0-9.]+)`).FindAllStringSubmatch(h, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		metrics[m[1]] = v
	}
	if metrics["slow.stage"] < 3 {
		t.Errorf("Server-Timing %q: slow.stage = %v ms, want ≥ 3", h, metrics["slow.stage"])
	}
	if _, ok := metrics["GET__x"]; !ok {
		t.Errorf("Server-Timing %q lacks the handler as GET__x (names become tokens)", h)
	}
	if metrics["total"] < metrics["slow.stage"] {
		t.Errorf("Server-Timing %q: total %v < slow.stage %v", h, metrics["total"], metrics["slow.stage"])
	}
}
