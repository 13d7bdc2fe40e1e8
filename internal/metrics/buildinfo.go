package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe/internal/buildinfo"
)

// newBuildInfo returns troupe_build_info: a gauge of 1 labelled with the
// binary's version, Go version and VCS revision, for joining with other
// series and seeing a rollout.
func newBuildInfo() prometheus.Collector {
	b := buildinfo.Read()
	version, revision := b.Version, b.Revision
	if version == "" {
		version = "unknown"
	}
	if revision == "" {
		revision = "unknown"
	} else if b.Modified {
		revision += "+modified"
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "troupe_build_info",
		Help: "Always 1, labelled with the build: version (the main module's: a tag, a pseudo-version, or (devel) for a build " +
			"from a work tree), goversion, and revision (the VCS commit, +modified when the tree had changes; unknown when not recorded).",
		ConstLabels: prometheus.Labels{"version": version, "goversion": b.GoVersion, "revision": revision},
	})
	g.Set(1)
	return g
}
