package main

import (
	"fmt"
	"runtime/debug"
)

// versionLine describes the build from its module information: the
// module's version (a tag, a pseudo-version, or "(devel)" for a build from
// a work tree), the VCS revision and time when the build recorded them,
// whether the tree was modified, and the Go version.
func versionLine() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "troupe server (no build information)"
	}
	line := fmt.Sprintf("troupe server %s", info.Main.Version)
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		line += " " + rev[:min(12, len(rev))]
		if settings["vcs.modified"] == "true" {
			line += "+modified"
		}
		if t := settings["vcs.time"]; t != "" {
			line += " " + t
		}
	}
	return line + " " + info.GoVersion
}
