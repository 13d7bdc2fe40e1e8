package troupe_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	"github.com/troupe-go/troupe/internal/live"
	"github.com/troupe-go/troupe/overload"
	"github.com/troupe-go/troupe/supervisor"
)

// liveApp declares an app with one of each thing the live page shows: a
// partitioned stateful stage, a stage with a concurrency cap, a stage that
// panics on ?panic=1 under a strict policy, a critical route, a batcher.
func liveApp(t *testing.T) (*server, *batching.Batcher[int, int]) {
	t.Helper()
	b, err := batching.New(batching.Config{Name: "sum", MaxBatchSize: 4, MaxInFlight: 1}, func(_ context.Context, items []batching.Item[int]) ([]batching.Result[int], error) {
		out := make([]batching.Result[int], len(items))
		for i, it := range items {
			out[i].Value = it.Value * 2
		}
		return out, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := troupe.Config{Policies: map[string]supervisor.Policy{
		// Two failures within a minute mark it down for a minute.
		"boom": {MaxRestarts: 1, Window: time.Minute, Backoff: time.Minute},
	}}
	s := start(t, cfg, func(app *troupe.App) {
		app.Use(mark("g", actors.Global))
		counter := &actors.Spec{
			Name: "counter", Kind: actors.Stateful, Priority: actors.Preprocessing, Partitions: 3,
			New:          func() actors.Stage { return actors.StageFunc(func(*actors.Exchange) error { return nil }) },
			PartitionKey: func(ex *actors.Exchange) string { return ex.Path },
		}
		capped := mark("capped", actors.Business)
		capped.Concurrency = 2
		app.Handle("GET", "/a", ok("GET /a")).With(counter, capped).Criticality(overload.Critical)
		app.Handle("GET", "/boom", ok("GET /boom")).With(troupe.Stage("boom", actors.Business, actors.StageFunc(func(ex *actors.Exchange) error {
			if ex.Request.URL.Query().Get("panic") == "1" {
				panic("boom: asked to")
			}
			return nil
		})))
		app.Add(b)
	})
	return s, b
}

// state returns GET /api/state, decoded, and its raw JSON.
func (s *server) state(t *testing.T) (live.Snapshot, string) {
	t.Helper()
	r := s.adminGet(t, "/api/state")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/state = %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var snap live.Snapshot
	if err := json.Unmarshal([]byte(r.body), &snap); err != nil {
		t.Fatalf("GET /api/state: %v\n%s", err, r.body)
	}
	return snap, r.body
}

func findHop(snap live.Snapshot, name string) *live.Hop {
	for i := range snap.Hops {
		if snap.Hops[i].Name == name {
			return &snap.Hops[i]
		}
	}
	return nil
}

func findStage(snap live.Snapshot, name string) *live.Stage {
	for _, h := range snap.Hops {
		for i := range h.Stages {
			if h.Stages[i].Name == name {
				return &h.Stages[i]
			}
		}
	}
	return nil
}

// The snapshot describes the app as planned: hops with their kinds and
// actors, routes with their itineraries and classes, the limiters, the
// batcher and its health, and empty lists as [] rather than null.
func TestLiveStateDescribesTheApp(t *testing.T) {
	s, b := liveApp(t)
	snap, raw := s.state(t)

	if !snap.Server.Ready || snap.Server.MaxInFlight <= 0 || snap.Time.IsZero() {
		t.Errorf("server = %+v at %v, want ready with a max_in_flight", snap.Server, snap.Time)
	}
	for _, h := range []struct {
		name, kind string
		actors     int
	}{{"g", "stateless", 1}, {"counter", "partitioned", 3}, {"capped+GET /a", "stateless", 1}, {"g+boom+GET /boom", "stateless", 1}} {
		hop := findHop(snap, h.name)
		if hop == nil {
			t.Errorf("no hop %q in %+v", h.name, snap.Hops)
			continue
		}
		if hop.Kind != h.kind || len(hop.Actors) != h.actors || hop.Mailbox != 0 {
			t.Errorf("hop %q = kind %q, %d actors, mailbox %d; want %q, %d actors, mailbox 0", h.name, hop.Kind, len(hop.Actors), hop.Mailbox, h.kind, h.actors)
		}
	}
	wantRoutes := []live.Route{
		{Method: "GET", Pattern: "/a", Hops: []string{"g", "counter", "capped+GET /a"}, Stages: []string{"g", "counter", "capped", "GET /a"}, Criticality: "critical"},
		{Method: "GET", Pattern: "/boom", Hops: []string{"g+boom+GET /boom"}, Stages: []string{"g", "boom", "GET /boom"}, Criticality: "default"},
	}
	for i, w := range wantRoutes {
		if i >= len(snap.Routes) || !routeEqual(snap.Routes[i], w) {
			t.Errorf("routes = %+v, want %+v", snap.Routes, wantRoutes)
			break
		}
	}
	// Every hop a route names is one the tree supervises.
	for _, r := range snap.Routes {
		for _, h := range r.Hops {
			if findHop(snap, h) == nil {
				t.Errorf("route %s %s names hop %q, which the tree does not have", r.Method, r.Pattern, h)
			}
		}
	}
	if st := findStage(snap, "capped"); st == nil || st.Concurrency != 2 || st.Running != 0 || st.Waiting != 0 {
		t.Errorf("stage capped = %+v, want a concurrency cap of 2, idle", st)
	}
	var names []string
	for _, l := range snap.Limiters {
		names = append(names, l.Name)
		if l.Name == "stage:capped" && l.Limit != 2 {
			t.Errorf("limiter stage:capped has limit %d, want 2", l.Limit)
		}
	}
	if !slices.Contains(names, "ingress") || !slices.Contains(names, "stage:capped") {
		t.Errorf("limiters %q, want ingress and stage:capped", names)
	}
	if len(snap.Components) != 1 || snap.Components[0].Name != "component sum" || !snap.Components[0].Up {
		t.Errorf("components = %+v, want component sum, up", snap.Components)
	}
	if !strings.Contains(raw, `"upstreams":[]`) || !strings.Contains(raw, `"degraded":[]`) {
		t.Errorf("empty lists are not [] in %s", raw)
	}

	// The batcher's figures follow what it did.
	if len(snap.Batchers) != 1 || snap.Batchers[0].Batches != 0 {
		t.Fatalf("batchers = %+v, want sum, with nothing sent", snap.Batchers)
	}
	for v := range 3 {
		if out, err := b.Submit(t.Context(), v); err != nil || out != 2*v {
			t.Fatalf("Submit(%d) = %d, %v", v, out, err)
		}
	}
	snap, _ = s.state(t)
	bs := snap.Batchers[0]
	var flushes uint64
	for _, n := range bs.Flushes {
		flushes += n
	}
	if bs.Name != "sum" || bs.Batches != 3 || bs.Items != 3 || flushes != 3 || bs.MaxBatchSize != 4 || bs.MaxInFlight != 1 || bs.Queued != 0 {
		t.Errorf("batcher after three calls one by one = %+v, want 3 batches of 1 item, 3 flushes", bs)
	}
	if len(bs.Sizes) == 0 || bs.Sizes[0].LE != 1 || bs.Sizes[0].Count != 3 {
		t.Errorf("batch sizes = %+v, want 3 batches of at most 1", bs.Sizes)
	}
}

func routeEqual(a, b live.Route) bool {
	return a.Method == b.Method && a.Pattern == b.Pattern && a.Criticality == b.Criticality &&
		slices.Equal(a.Hops, b.Hops) && slices.Equal(a.Stages, b.Stages)
}

// A stage that panics shows its restarts and its last failure; once it
// crash-loops, its gate shows down with the time until it reopens, and the
// server degraded.
func TestLiveStateShowsFailures(t *testing.T) {
	s, _ := liveApp(t)
	if st := findStage(mustState(t, s), "boom"); st == nil || st.Restarts != 0 || !st.Up || st.LastFailure != "" || st.LastFailureAt != nil {
		t.Fatalf("boom before any failure = %+v", st)
	}
	for range 2 {
		if r := s.do(t, "GET", "/boom?panic=1", ""); r.status != http.StatusInternalServerError {
			t.Fatalf("GET /boom?panic=1 = %d, want 500", r.status)
		}
	}
	// The supervisor counts a failure after the 500 is answered.
	var snap live.Snapshot
	waitFor(t, "boom's two restarts", func() bool {
		snap = mustState(t, s)
		st := findStage(snap, "boom")
		return st != nil && st.Restarts == 2 && !st.Up
	})
	st := findStage(snap, "boom")
	if st.Closures != 1 || st.ReopensInMS <= 0 || st.ReopensInMS > float64(time.Minute/time.Millisecond) {
		t.Errorf("boom down = %+v, want one closure, reopening within a minute", st)
	}
	if !strings.Contains(st.LastFailure, "boom: asked to") || st.LastFailureAt == nil || time.Since(*st.LastFailureAt) > time.Minute {
		t.Errorf("boom's last failure = %q at %v, want the panic's value, just now", st.LastFailure, st.LastFailureAt)
	}
	if len(snap.Server.Degraded) != 1 || !strings.Contains(snap.Server.Degraded[0], "boom") || !snap.Server.Ready {
		t.Errorf("server = %+v, want ready, degraded by boom", snap.Server)
	}
	if g := findStage(snap, "g"); g.Restarts != 0 || g.LastFailure != "" {
		t.Errorf("stage g, in the same hop, = %+v; want no failure (failures are charged per stage)", g)
	}
}

func mustState(t *testing.T, s *server) live.Snapshot {
	t.Helper()
	snap, _ := s.state(t)
	return snap
}

// An event stream open on the admin listener ends when the app shuts
// down, and Shutdown does not wait out its context for it.
func TestLiveEventsEndOnShutdown(t *testing.T) {
	s, _ := liveApp(t)
	resp, err := s.client.Get(s.admin + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /api/events = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := bufio.NewReader(resp.Body)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the first event: %v", err)
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var snap live.Snapshot
			if err := json.Unmarshal([]byte(data), &snap); err != nil || len(snap.Routes) != 2 {
				t.Fatalf("first event %q: %v", data, err)
			}
			break
		}
	}
	// A stream that outlived the app would hold the admin listener's
	// Shutdown until this context ends, and Shutdown would fail.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.app.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with a live stream open: %v", err)
	}
	if _, err := io.ReadAll(r); err != nil {
		t.Errorf("the stream ended with %v, want its end", err)
	}
}
