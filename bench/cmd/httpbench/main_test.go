package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a goroutine outlives them. Run
// with -serve-peer first, as the overload scenario runs this program for
// each of its peers, the test binary is that peer instead.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == servePeerFlag {
		os.Exit(servePeerMain(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(m)
}
