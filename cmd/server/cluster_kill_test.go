//go:build !race

// The tests that lose a member start cluster members, which build without
// the race detector only: protoactor-go's gossip races (see package
// cluster).

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The limit and load of the tests that lose a member mid-load.
const (
	// lossKeys is how many clients (keys, so grains) the load spreads
	// over: enough that the member lost owns some (each key's grain is on
	// one of three members: none on it with odds (2/3)^16, 0.15%; the test
	// checks).
	lossKeys = 16
	// lossRate and lossBurst are each key's cluster-wide limit, far below
	// the load, so that leases run out and members call the grains all
	// the time.
	lossRate, lossBurst = 5, 5
	// lossRouteTimeout is the route's deadline: past it the server
	// answers 504, wherever the request is.
	lossRouteTimeout = time.Second
	// lossGrainTimeout is the cluster's request_timeout (its default),
	// which bounds a grain call; a request waits for at most three calls
	// (lease.maxWaits) before its on_cluster_loss decides: 750 ms, within
	// the route's deadline.
	lossGrainTimeout = 250 * time.Millisecond
	// lossCallBound bounds a grain call: Proto.Actor's Request gives each
	// of its 3 tries the whole timeout, with pauses of 10, 20 and 30 ms
	// between them (cluster's transport).
	lossCallBound = 3*lossGrainTimeout + 60*time.Millisecond
	// lossBackoff is how long a lease pool does not call a grain whose
	// call failed (lease.Config.Backoff's default): its key is decided by
	// on_cluster_loss meanwhile.
	lossBackoff = time.Second
	// lossAnswerBound is how long a request to a surviving member may
	// take: the route's deadline, plus one second for a loaded 2-core
	// machine's scheduling (three servers, the load and the test share
	// it). A request slower than that counts as hung.
	lossAnswerBound = lossRouteTimeout + time.Second
	// lossWorkers is how many clients send to each server at once, each
	// a request after another.
	lossWorkers = 3
	// lossPace is the least time between two requests of one client:
	// 3 × 3 clients send at most 900 requests a second in all, about 56
	// a second per key, 11 times its limit.
	lossPace = 10 * time.Millisecond
	// automanagedPoll bounds how soon a survivor's topology drops a dead
	// member: the provider polls every 2 s (cluster.automanagedRefresh),
	// and a poll of a dead member on loopback fails at once (connection
	// refused) or, for a host gone silent, at the provider's HTTP timeout
	// of 2 s. Twice that sum allows for the loaded machine.
	automanagedPoll = 2 * (2*time.Second + 2*time.Second)
)

// lossClusterConfig is the configuration of three members sharing a
// cluster-scoped limit whose on_cluster_loss is onLoss; healthPorts are
// the members' health ports (the seeds).
func lossClusterConfig(healthPorts []int, onLoss string) string {
	seeds := make([]string, len(healthPorts))
	for i, p := range healthPorts {
		seeds[i] = fmt.Sprintf("127.0.0.1:%d", p)
	}
	return fmt.Sprintf(`cluster:
  name: loss
  host: 127.0.0.1
  port: 7101        # each server's -cluster-port overrides it
  provider: automanaged
  health_port: 7201 # and -cluster-health-port this
  seeds: [%s]
  request_timeout: %v
stages:
  shared-limit:
    kind: rate_limit
    options: {rate: %d, burst: %d, key: "header:X-Client", scope: cluster, on_cluster_loss: %s}
routes:
  - {method: GET, path: /hello, handler: hello, stages: [shared-limit], timeout: %v}
`, strings.Join(seeds, ", "), lossGrainTimeout, lossRate, lossBurst, onLoss, lossRouteTimeout)
}

// lossAnswer is what one request of the load got.
type lossAnswer struct {
	server, key int
	start, end  time.Time
	status      int
	lost        bool // a 503 decided by on_cluster_loss: closed
	err         error
}

// lossLoad is the load of a test that loses a member: lossWorkers clients
// per server, each sending GET /hello with one of lossKeys keys after
// another until its server's load is stopped or the whole load's time
// limit passes.
type lossLoad struct {
	client   *http.Client
	wg       sync.WaitGroup
	stops    []context.CancelFunc
	answered []atomic.Int64 // per server
	mu       sync.Mutex
	answers  []lossAnswer
}

// startLossLoad starts the load on servers; it stops by itself after
// limit.
func startLossLoad(t *testing.T, servers []*clusterServer, limit time.Duration) *lossLoad {
	l := &lossLoad{
		client: &http.Client{
			// A request is not let hang past twice the bound: a client
			// timeout is a failure of the test, not a wait.
			Timeout:   2 * lossAnswerBound,
			Transport: &http.Transport{MaxIdleConnsPerHost: lossWorkers},
		},
		answered: make([]atomic.Int64, len(servers)),
	}
	all, cancel := context.WithTimeout(context.Background(), limit)
	l.stops = append(l.stops, cancel)
	for s, srv := range servers {
		ctx, stop := context.WithCancel(all)
		l.stops = append(l.stops, stop)
		for w := range lossWorkers {
			l.wg.Go(func() { l.run(ctx, s, srv.base, w) })
		}
	}
	t.Cleanup(l.stop)
	return l
}

// run is one client: requests after another to the server at base.
func (l *lossLoad) run(ctx context.Context, server int, base string, worker int) {
	var mine []lossAnswer
	defer func() {
		l.mu.Lock()
		l.answers = append(l.answers, mine...)
		l.mu.Unlock()
	}()
	// Each client sends at most one request per lossPace: the load
	// overloads the limit, not the machine, whose 2 cores also run the
	// members' health polls and the test's own reads of /metrics.
	pace := time.NewTicker(lossPace)
	defer pace.Stop()
	for i := worker * 5; ctx.Err() == nil; i++ {
		select {
		case <-ctx.Done():
			return
		case <-pace.C:
		}
		a := lossAnswer{server: server, key: i % lossKeys, start: time.Now()}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/hello", nil)
		req.Header.Set("X-Client", fmt.Sprintf("client-%d", a.key))
		res, err := l.client.Do(req)
		if err == nil {
			var body strings.Builder
			_, err = io.Copy(&body, io.LimitReader(res.Body, 4096))
			res.Body.Close()
			a.status = res.StatusCode
			a.lost = res.StatusCode == http.StatusServiceUnavailable && strings.Contains(body.String(), "cannot be reached")
		}
		a.end, a.err = time.Now(), err
		if err != nil && ctx.Err() != nil {
			return // stopped mid-request: not an answer
		}
		mine = append(mine, a)
		l.answered[server].Add(1)
	}
}

// stopServer stops the clients of server i (and does not wait for them).
func (l *lossLoad) stopServer(i int) { l.stops[1+i]() }

// stop stops every client and waits for them; calling it twice is safe.
func (l *lossLoad) stop() {
	for _, s := range l.stops {
		s()
	}
	l.wg.Wait()
	l.client.CloseIdleConnections()
}

// lossMetrics are the figures of one member's /metrics and /readyz.
type lossMetrics struct {
	members, up, grains, activations, leaseErrors float64
	readyz                                        string
	ok                                            bool // all were read
}

// readLossMetrics scrapes the admin listener at admin.
func readLossMetrics(client *http.Client, admin string) lossMetrics {
	var m lossMetrics
	body, ok := getBody(client, admin+"/metrics")
	if !ok {
		return m
	}
	found := 0
	for line := range strings.Lines(body) {
		name, value, _ := strings.Cut(strings.TrimSpace(line), " ")
		v, err := strconv.ParseFloat(value, 64)
		if err != nil || strings.HasPrefix(name, "#") {
			continue
		}
		switch {
		case name == "troupe_cluster_members":
			m.members, found = v, found+1
		case name == "troupe_cluster_up":
			m.up, found = v, found+1
		case name == "troupe_cluster_grains":
			m.grains = v
		case name == "troupe_cluster_grain_activations_total":
			m.activations = v
		case strings.HasPrefix(name, "troupe_cluster_lease_refills_total{") && strings.Contains(name, `result="error"`):
			m.leaseErrors += v
		}
	}
	m.readyz, ok = getBody(client, admin+"/readyz")
	m.ok = ok && found == 2
	return m
}

// getBody returns the body at url, and whether it was read.
func getBody(client *http.Client, url string) (string, bool) {
	res, err := client.Get(url)
	if err != nil {
		return "", false
	}
	defer res.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, res.Body); err != nil {
		return "", false
	}
	return b.String(), true
}

// lossReport is what a test that loses a member measured.
type lossReport struct {
	toTopology  time.Duration // from the signal to both survivors seeing 2 members
	toRecovered time.Duration // … and both up again
	requests    int           // answered by the survivors
	lost        int           // of which 503s decided by on_cluster_loss (closed)
	leaseErrors float64       // grain calls that failed on the survivors
	slowest     time.Duration
	statuses    map[int]int
}

// loseMemberMidLoad starts three members sharing a limit whose
// on_cluster_loss is onLoss, puts them under load, and makes the last one
// leave by signal sig (SIGKILL: it dies; SIGTERM: it leaves gracefully).
// It checks that the survivors answer every request within
// lossAnswerBound, see two members within automanagedPoll, report the
// loss on /metrics and /readyz and recover, re-activate the lost member's
// grains, and hold the cluster-wide limit again. It returns what it
// measured.
func loseMemberMidLoad(t *testing.T, onLoss string, sig syscall.Signal) lossReport {
	ports := freePorts(t, 12) // HTTP, admin, cluster and health ports of three servers
	servers := startClusterServers(t, writeFile(t, "cluster.yaml", lossClusterConfig(ports[9:], onLoss)), ports)
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	waitForMembers(t, client, servers, 3, 60*time.Second)
	victim, survivors := servers[2], servers[:2]

	// The load stops by itself after 50 s; the test stops it sooner.
	loadStart := time.Now()
	load := startLossLoad(t, servers, 50*time.Second)
	// Mid-load: each server has answered about a second of it (every key
	// several times from each client, so every key's grain is active and
	// leases have run out and been renewed).
	waitUntil(t, 20*time.Second, "every server to answer its first requests", func() bool {
		for i := range servers {
			if load.answered[i].Load() < int64(time.Second/lossPace)*lossWorkers {
				return false
			}
		}
		return true
	})
	before := make([]lossMetrics, 2)
	for i, s := range survivors {
		before[i] = readLossMetrics(client, s.admin)
	}
	for i, m := range before {
		if m.members != 3 || m.up != 1 {
			t.Fatalf("under load, before the signal, survivor %d sees %v members, up %v; want 3 and 1; logs:\n%s", i, m.members, m.up, survivors[i].logs)
		}
	}
	if v := readLossMetrics(client, victim.admin); v.grains == 0 {
		t.Fatalf("the member to lose holds no grain of %d keys: the test would show nothing", lossKeys)
	}

	// The member goes.
	load.stopServer(2)
	signalled := time.Now()
	if err := victim.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	// Its exit is collected here (a graceful one takes seconds), not by
	// startClusterServers' cleanup.
	exited := make(chan error, 1)
	victim.waited = true
	go func() { exited <- victim.cmd.Wait() }()
	exitErr := sync.OnceValue(func() error { return <-exited })
	t.Cleanup(func() { exitErr() })

	// The survivors' topology, readiness and metrics, every 25 ms.
	var r lossReport
	sawDown := make([]bool, 2)     // troupe_cluster_up 0
	sawOwnState := make([]bool, 2) // /readyz: limits on this member's own state
	sawShort := make([]bool, 2)    // /readyz: 2 of 3 members seen
	sawTwo := make([]time.Duration, 2)
	var last []lossMetrics
	for {
		now := time.Since(signalled)
		last = make([]lossMetrics, 2)
		for i, s := range survivors {
			m := readLossMetrics(client, s.admin)
			last[i] = m
			if !m.ok {
				continue
			}
			sawDown[i] = sawDown[i] || m.up == 0
			sawOwnState[i] = sawOwnState[i] || strings.Contains(m.readyz, "own state")
			sawShort[i] = sawShort[i] || strings.Contains(m.readyz, "2 of 3 members seen")
			if m.members == 2 && sawTwo[i] == 0 {
				sawTwo[i] = now
			}
		}
		if sawTwo[0] != 0 && sawTwo[1] != 0 && r.toTopology == 0 {
			r.toTopology = now
		}
		if r.toTopology != 0 && last[0].up == 1 && last[1].up == 1 {
			r.toRecovered = now
			break
		}
		if now > automanagedPoll+2*lossAnswerBound {
			t.Fatalf("%v after the signal, the survivors see %v and %v members, up %v and %v; want 2 members and up within %v",
				now.Round(time.Millisecond), last[0].members, last[1].members, last[0].up, last[1].up, automanagedPoll)
		}
		time.Sleep(25 * time.Millisecond)
	}
	if r.toTopology > automanagedPoll {
		t.Errorf("the survivors saw 2 members %v after the signal, want within %v", r.toTopology, automanagedPoll)
	}
	for i := range survivors {
		// Degraded, one way or the other: Node.Degraded says why this
		// member runs on its own state if it does, else that the cluster
		// is short of one.
		if !sawShort[i] && !sawOwnState[i] {
			t.Errorf("survivor %d's /readyz never listed the cluster as degraded while it lost the member", i)
		}
	}

	// The cluster-wide limit holds again: once the lost member's grains
	// are re-activated, a call to it started before the topology changed
	// has failed (lossCallBound) and the back-off it set has run out
	// (lossBackoff), two survivors admit per key at most a burst (a
	// re-activated grain starts full), plus what they still hold leased
	// (at most a burst between them), plus the rate. Two limits each on
	// its own state (fail open) would admit two bursts and twice the rate.
	windowStart := signalled.Add(r.toTopology + lossCallBound + lossBackoff)
	time.Sleep(time.Until(windowStart))
	time.Sleep(2 * time.Second)
	windowEnd := time.Now()
	// Recovered: up, 2 members, and /readyz says only that the cluster is
	// short of one (degraded, still ready) until the member comes back.
	// Before the window, troupe_cluster_up may still flicker: it is 0 from
	// a failed grain call until the next call that succeeds, to any
	// member, so it is reported above, not required.
	for i, s := range survivors {
		m := readLossMetrics(client, s.admin)
		if m.up != 1 || m.members != 2 || !strings.Contains(m.readyz, "2 of 3 members seen") || strings.Contains(m.readyz, "own state") {
			t.Errorf("survivor %d once recovered: troupe_cluster_up %v, troupe_cluster_members %v, /readyz %q; want 1, 2 and the cluster listed as 2 of 3 members seen only",
				i, m.up, m.members, m.readyz)
		}
	}
	load.stop()
	if err := exitErr(); sig == syscall.SIGTERM && err != nil {
		t.Errorf("the member that left: %v; logs:\n%s", err, victim.logs)
	}

	r.statuses = map[int]int{}
	admittedInWindow := make([]int, lossKeys)
	lostInWindow := 0
	var failed []lossAnswer
	for _, a := range load.answers {
		if a.server == 2 {
			continue // the member lost: its answers (or errors) say nothing of the survivors
		}
		if a.err != nil {
			failed = append(failed, a)
			continue
		}
		r.requests++
		r.statuses[a.status]++
		took := a.end.Sub(a.start)
		r.slowest = max(r.slowest, took)
		if a.lost && a.start.After(signalled) {
			r.lost++
		}
		if a.start.After(windowStart) && a.end.Before(windowEnd) {
			if a.status == http.StatusOK {
				admittedInWindow[a.key]++
			}
			if a.lost {
				lostInWindow++
			}
		}
		switch a.status {
		case http.StatusOK, http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		default:
			t.Errorf("survivor %d, key %d: %d, want 200, 429, 503 or 504", a.server, a.key, a.status)
		}
		if took > lossAnswerBound {
			t.Errorf("survivor %d answered a request in %v, want within %v (the route's timeout %v and scheduling)",
				a.server, took.Round(time.Millisecond), lossAnswerBound, lossRouteTimeout)
		}
	}
	for _, a := range failed[:min(len(failed), 5)] {
		t.Errorf("survivor %d, key %d: no answer after %v: %v", a.server, a.key, a.end.Sub(a.start).Round(time.Millisecond), a.err)
	}
	if len(failed) > 5 {
		t.Errorf("… and %d more requests to the survivors not answered", len(failed)-5)
	}
	after := make([]lossMetrics, 2)
	var activated float64
	for i, s := range survivors {
		after[i] = readLossMetrics(client, s.admin)
		activated += after[i].activations - before[i].activations
		r.leaseErrors += after[i].leaseErrors - before[i].leaseErrors
	}
	if activated == 0 {
		t.Errorf("no grain activated on the survivors after the member left, want the lost member's grains re-activated")
	}
	most := 2*lossBurst + int(windowEnd.Sub(windowStart).Seconds()*lossRate) + 1
	if m := slices.Max(admittedInWindow); m > most {
		t.Errorf("after recovery, the survivors admitted %d requests of one key in %v, want at most %d (one cluster-wide limit; %v per key)",
			m, windowEnd.Sub(windowStart).Round(time.Millisecond), most, admittedInWindow)
	}
	if lostInWindow > 0 {
		t.Errorf("after recovery, %d requests were decided by on_cluster_loss, want none", lostInWindow)
	}
	if t.Failed() { // what the load got, second by second, and the survivors' logs
		type sec struct{ server, s, status int }
		hist := map[sec]int{}
		for _, a := range load.answers {
			hist[sec{a.server, int(a.start.Sub(loadStart).Seconds()), a.status}]++
		}
		for s := range 40 {
			line := fmt.Sprintf("t=%2ds", s)
			for srv := range 3 {
				line += fmt.Sprintf(" | s%d 200:%d 429:%d 503:%d 504:%d", srv, hist[sec{srv, s, 200}], hist[sec{srv, s, 429}], hist[sec{srv, s, 503}], hist[sec{srv, s, 504}])
			}
			t.Log(line)
		}
		for _, a := range load.answers {
			if a.lost {
				t.Logf("lost: server %d key %d at %v took %v", a.server, a.key, a.start.Sub(signalled), a.end.Sub(a.start))
			}
		}
		t.Logf("signal at %v, window %v to %v", signalled.Sub(loadStart), windowStart.Sub(loadStart), windowEnd.Sub(loadStart))
		for i, s := range survivors {
			t.Logf("survivor %d logs:\n%s", i, s.logs)
		}
	}
	t.Logf("on_cluster_loss %s, %v: both survivors saw 2 members %v after it (%v, %v) and were up again %v after it; seen by survivors 0 and 1: troupe_cluster_up 0 %v, /readyz \"own state\" %v, /readyz \"2 of 3 members seen\" %v",
		onLoss, sig, r.toTopology.Round(time.Millisecond), sawTwo[0].Round(time.Millisecond), sawTwo[1].Round(time.Millisecond),
		r.toRecovered.Round(time.Millisecond), sawDown, sawOwnState, sawShort)
	decided := fmt.Sprintf("%d (503s)", r.lost)
	if onLoss == "open" {
		decided = "not seen by clients (open admits or refuses as usual)"
	}
	t.Logf("survivors answered %d requests %v, slowest %v (bound %v); decided by on_cluster_loss after the signal: %s; %v failed grain calls; %v grains activated on the survivors; after recovery, per key admitted %v in %v (at most %d)",
		r.requests, r.statuses, r.slowest.Round(time.Millisecond), lossAnswerBound, decided, r.leaseErrors, activated,
		admittedInWindow, windowEnd.Sub(windowStart).Round(time.Millisecond), most)
	return r
}

// waitUntil waits for cond, looking every 25 ms for at most limit.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", limit, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// A member killed mid-load (SIGKILL: no goodbye), with on_cluster_loss
// open: the survivors answer every request in time, on their own state
// until their topology drops the dead member, then re-activate its
// grains and share the limit again.
func TestMemberKilledMidLoadFailOpen(t *testing.T) {
	loseMemberMidLoad(t, "open", syscall.SIGKILL)
}

// The same with on_cluster_loss closed: requests whose grain is lost get
// 503 in time, until the rebalance.
func TestMemberKilledMidLoadFailClosed(t *testing.T) {
	r := loseMemberMidLoad(t, "closed", syscall.SIGKILL)
	if r.statuses[http.StatusOK] == 0 {
		t.Errorf("the survivors admitted nothing: %v", r.statuses)
	}
}

// A member that leaves gracefully (SIGTERM) mid-load hands its grains
// over: it leaves the others' topology while its grains still answer
// (cluster.leaveGrace: the survivors' poll period, one poll and a grain
// call), so the survivors re-activate them and no request is decided by
// on_cluster_loss (closed, so that each one would be seen).
func TestMemberLeavesMidLoad(t *testing.T) {
	r := loseMemberMidLoad(t, "closed", syscall.SIGTERM)
	t.Logf("graceful leave: %d of %d requests decided by on_cluster_loss", r.lost, r.requests)
	if r.lost > 0 {
		t.Errorf("%d requests decided by on_cluster_loss while a member left gracefully, want none", r.lost)
	}
}
