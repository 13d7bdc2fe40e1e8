//go:build !race

// The three-server test starts cluster members, which build without the
// race detector only: protoactor-go's gossip races (see package cluster).

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serverArgsEnv, when set, makes TestHelperServer run the server with
// these arguments (joined by "\x1f", the unit separator) until SIGTERM:
// the test binary is its own server process.
const serverArgsEnv = "TROUPE_TEST_SERVER_ARGS"

// TestHelperServer is the server process of the tests that start cluster
// members. Run as a test on its own, it does nothing.
func TestHelperServer(t *testing.T) {
	args := os.Getenv(serverArgsEnv)
	if args == "" {
		t.Skip("the server process of the cluster tests")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := run(ctx, strings.Split(args, "\x1f"), os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0) // Proto.Actor leaves goroutines behind: no leak check in this process
}

// clusterServer is one server process of a cluster test.
type clusterServer struct {
	cmd         *exec.Cmd
	base, admin string // URLs of its HTTP and admin listeners
	logs        *syncBuffer
	waited      bool // its exit was collected (after a kill)
}

// startClusterServers starts len(ports)/4 server processes with the
// configuration file at path: server i listens on ports[i] (HTTP),
// ports[n+i] (admin), ports[2n+i] (cluster) and ports[3n+i] (health), so
// the configuration's seeds are the last n ports. Cleanup stops each one
// that is still running with SIGTERM and reports a failed exit.
func startClusterServers(t *testing.T, path string, ports []int) []*clusterServer {
	t.Helper()
	n := len(ports) / 4
	procs := make([]*clusterServer, n)
	t.Cleanup(func() {
		for _, p := range procs {
			if p != nil && !p.waited {
				_ = p.cmd.Process.Signal(syscall.SIGTERM)
			}
		}
		for i, p := range procs {
			if p == nil || p.waited {
				continue
			}
			if err := p.cmd.Wait(); err != nil {
				t.Errorf("server %d: %v; logs:\n%s", i, err, p.logs)
			}
		}
	})
	for i := range procs {
		p := &clusterServer{base: fmt.Sprintf("http://127.0.0.1:%d", ports[i]), admin: fmt.Sprintf("http://127.0.0.1:%d", ports[n+i]), logs: &syncBuffer{}}
		args := []string{"-config", path, "-addr", fmt.Sprintf("127.0.0.1:%d", ports[i]), "-admin-addr", fmt.Sprintf("127.0.0.1:%d", ports[n+i]),
			"-cluster-port", fmt.Sprint(ports[2*n+i]), "-cluster-health-port", fmt.Sprint(ports[3*n+i]), "-log-format", "console"}
		p.cmd = exec.Command(os.Args[0], "-test.run=^TestHelperServer$")
		p.cmd.Env = append(os.Environ(), serverArgsEnv+"="+strings.Join(args, "\x1f"))
		p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs[i] = p
	}
	return procs
}

// waitForMembers waits until every server in procs sees want members and
// is up, looking every 50 ms for at most limit.
func waitForMembers(t *testing.T, client *http.Client, procs []*clusterServer, want int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for i, p := range procs {
		for metricValue(client, p.admin, "troupe_cluster_members") != fmt.Sprint(want) || metricValue(client, p.admin, "troupe_cluster_up") != "1" {
			if time.Now().After(deadline) {
				t.Fatalf("after %v, server %d sees %q members (want %d), up %q; logs:\n%s", limit, i,
					metricValue(client, p.admin, "troupe_cluster_members"), want, metricValue(client, p.admin, "troupe_cluster_up"), p.logs)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close() // held until all are picked, so that none repeats
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// The README's walk-through: three server processes from one file, each
// with its own ports, share alice's limit. The ports are free ones rather
// than the README's, which may be taken on a shared machine.
func TestThreeServersShareALimit(t *testing.T) {
	ports := freePorts(t, 12) // HTTP, admin, cluster and health ports of three servers
	yaml := readmeClusterConfig(t)
	for i, readme := range []string{"7201", "7202", "7203"} {
		yaml = strings.ReplaceAll(yaml, "127.0.0.1:"+readme, fmt.Sprintf("127.0.0.1:%d", ports[9+i]))
	}
	procs := startClusterServers(t, writeFile(t, "cluster.yaml", yaml), ports)
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	waitForMembers(t, client, procs, 3, 60*time.Second)
	const n = 60
	admitted := 0
	start := time.Now()
	for i := range n {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, procs[i%3].base+"/hello", nil)
		req.Header.Set("X-Client", "alice")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusOK:
			admitted++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("request %d: %d, want 200 or 429", i, res.StatusCode)
		}
	}
	elapsed := time.Since(start)
	// The README's limit: a burst of 10, then 2 a second, for alice
	// across all three servers.
	most := 10 + int(elapsed.Seconds()*2) + 1
	t.Logf("three servers admitted %d of %d requests in %v (the shared limit allows at most %d; three separate limits would allow %d)",
		admitted, n, elapsed.Round(time.Millisecond), most, 3*most)
	if admitted < 10 || admitted > most {
		t.Errorf("admitted %d, want 10 to %d: one burst and rate between three servers", admitted, most)
	}
}

// metricValue returns the value of the unlabelled metric name on the
// admin listener at admin, or "" if it cannot tell.
func metricValue(client *http.Client, admin, name string) string {
	res, err := client.Get(admin + "/metrics")
	if err != nil {
		return ""
	}
	defer res.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, res.Body); err != nil {
		return ""
	}
	for line := range strings.Lines(b.String()) {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
