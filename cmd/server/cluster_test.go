package main

import (
	"os"
	"strings"
	"testing"
)

// readmeClusterConfig returns the cluster configuration the README's
// walk-through writes.
func readmeClusterConfig(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const start, end = "cat > /tmp/troupe-cluster.yaml <<'EOF'\n", "\nEOF\n"
	_, rest, ok := strings.Cut(string(b), start)
	if !ok {
		t.Fatalf("README has no %q", start)
	}
	yaml, _, ok := strings.Cut(rest, end)
	if !ok {
		t.Fatal("README's cluster configuration has no end")
	}
	return yaml + "\n"
}

func TestClusterFlags(t *testing.T) {
	cluster := writeFile(t, "cluster.yaml", readmeClusterConfig(t))
	tests := []struct {
		name       string
		give       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "the README's configuration checks without joining", give: []string{"-check", "-config", cluster}, wantStdout: "config OK: 1 routes\n"},
		{name: "with the second member's ports", give: []string{"-check", "-config", cluster, "-cluster-port", "7102", "-cluster-health-port", "7202"}, wantStdout: "config OK: 1 routes\n"},
		{name: "a port out of range", give: []string{"-check", "-config", cluster, "-cluster-port", "70000"}, wantCode: 2, wantStderr: "cluster.port: 70000 is not a port"},
		{name: "no cluster to give ports to", give: []string{"-check", "-cluster-port", "7101"}, wantCode: 2, wantStderr: "the configuration has no cluster section"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.give...)
			if code != tt.wantCode || stdout != tt.wantStdout || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("server %q = %d, %q, %q; want %d, %q, stderr containing %q", tt.give, code, stdout, stderr, tt.wantCode, tt.wantStdout, tt.wantStderr)
			}
		})
	}
}
