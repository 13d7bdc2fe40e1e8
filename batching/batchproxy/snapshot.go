package batchproxy

// LiveComponents returns what the admin listener's live page shows of the
// proxy: its batcher and, when the proxy owns it (no shared upstream), its
// upstream. A shared upstream is a component of its own, shown once.
func (p *Proxy) LiveComponents() []any {
	if p.own {
		return []any{p.b, p.up}
	}
	return []any{p.b}
}
