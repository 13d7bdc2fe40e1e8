package main

import (
	"fmt"

	"github.com/troupe-go/troupe/internal/buildinfo"
)

// versionLine describes the build from its module information: the
// module's version (a tag, a pseudo-version, or "(devel)" for a build from
// a work tree), the VCS revision and time when the build recorded them,
// whether the tree was modified, and the Go version.
func versionLine() string {
	info := buildinfo.Read()
	if !info.Known {
		return "troupe server (no build information)"
	}
	line := fmt.Sprintf("troupe server %s", info.Version)
	if rev := info.Revision; rev != "" {
		line += " " + rev[:min(12, len(rev))]
		if info.Modified {
			line += "+modified"
		}
		if info.Time != "" {
			line += " " + info.Time
		}
	}
	return line + " " + info.GoVersion
}
