package troupe

// Degrader is a Component that can run degraded: serving, but not as
// configured — a cluster member that has lost the cluster and limits on
// its own state. /readyz lists what Degraded returns under "degraded",
// without making the server unready.
type Degrader interface {
	Component
	// Degraded returns what is degraded now, one sentence each; nothing
	// while all is well. It must be safe for concurrent use and quick.
	Degraded() []string
}

// degradedComponents returns what the app's degraded components report.
func (a *App) degradedComponents() []string {
	var out []string
	for _, c := range a.components {
		if d, ok := c.(Degrader); ok {
			out = append(out, d.Degraded()...)
		}
	}
	return out
}
