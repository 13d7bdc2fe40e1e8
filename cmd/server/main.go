// Command server runs a troupe server from a YAML configuration: by
// default the one built in (see default.yaml), which serves a few demo
// routes on :8080 and the admin endpoints on 127.0.0.1:9090.
//
//	server                          # the built-in configuration
//	server -config troupe.yaml      # a file of yours
//	server -check -config f.yaml    # validate only: "config OK: N routes", or FILE:LINE errors
//	server -print-default           # print the built-in configuration, a commented starting point
//	server -kinds                   # list the stage and handler kinds, and the sections, a file may name
//
// It serves until SIGINT or SIGTERM, then shuts down gracefully. Its exit
// status is 0 on success, 2 for a bad command line or configuration, 1 when
// serving fails.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(exitCode(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}
