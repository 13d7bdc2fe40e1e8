package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/httpin"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// callCost is the model's cost per call in the test. Requests share a call
// whenever they wait together, which they do whenever both call slots are
// busy. For every request to get a call of its own, the 32 requests, sent
// at once, would have to reach the server spread over 16 × 100ms = 1.6s:
// far more than sending them on loopback takes, even with -race on a
// loaded machine.
const callCost = 100 * time.Millisecond

func TestBatchingExample(t *testing.T) {
	app, err := newApp(troupe.Config{HTTP: httpin.Config{Addr: "127.0.0.1:0"}, Admin: troupe.AdminConfig{Addr: "off"}}, callCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	defer app.Shutdown(context.Background())
	base := "http://" + app.Addr().String()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	post := func(body string) (int, []byte, error) {
		res, err := client.Post(base+"/score", "application/json", strings.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res.StatusCode, b, err
	}

	const n = 32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			status, body, err := post(fmt.Sprintf(`{"id":"item-%d","features":[%d,1]}`, i, i))
			if err != nil {
				t.Errorf("item %d: %v", i, err)
				return
			}
			var got score
			if status != http.StatusOK || json.Unmarshal(body, &got) != nil {
				t.Errorf("item %d = %d %s, want 200 and a score", i, status, body)
				return
			}
			if want := (score{ID: fmt.Sprintf("item-%d", i), Score: float64(i*i + 1)}); got != want {
				t.Errorf("item %d got %+v, want its own result %+v", i, got, want)
			}
		})
	}
	wg.Wait()

	res, err := client.Get(base + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	var stats struct{ Calls, Items int64 }
	err = json.NewDecoder(res.Body).Decode(&stats)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if stats.Items != n || stats.Calls >= n || stats.Calls < 1 {
		t.Errorf("stats = %+v, want %d items in fewer than %d model calls", stats, n, n)
	}
	t.Logf("%d requests, %d model calls", n, stats.Calls)

	// An item the model refuses fails on its own, with the model's status.
	if status, body, err := post(`{"id":"empty","features":[]}`); err != nil || status != http.StatusUnprocessableEntity {
		t.Errorf("empty features = %d %s (%v), want 422", status, body, err)
	}
	// A body that is not an item never reaches the model.
	if status, body, err := post(`not json`); err != nil || status != http.StatusBadRequest {
		t.Errorf("bad body = %d %s (%v), want 400", status, body, err)
	}
}
