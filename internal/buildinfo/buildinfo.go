// Package buildinfo reads what a troupe binary knows of its own build,
// from its module information (runtime/debug.ReadBuildInfo): for the
// version command and the troupe_build_info metric.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Info is a build's description.
type Info struct {
	// Known is false when the binary carries no build information.
	Known bool
	// Version is the main module's version: a tag, a pseudo-version, or
	// "(devel)" for a build from a work tree.
	Version string
	// GoVersion is the Go version the binary was built with.
	GoVersion string
	// Revision is the VCS revision, when the build recorded one.
	Revision string
	// Time is the revision's commit time (RFC 3339), when recorded.
	Time string
	// Modified is true when the work tree had changes at build time.
	Modified bool
}

// Read returns the running binary's Info.
func Read() Info {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{GoVersion: runtime.Version()}
	}
	b := Info{Known: true, Version: info.Main.Version, GoVersion: info.GoVersion}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}
