package pipeline

// Actors returns the ids of the hop's actors, for the admin listener's
// live page: the sentinel of a stateless hop, or a Stateful hop's actors
// in partition order; none before Spawn. It reads what Spawn set once and
// takes no lock.
func (h *Hop) Actors() []string {
	if h.sentinel != nil {
		return []string{h.sentinel.Id}
	}
	if h.actors == nil {
		return nil
	}
	ids := make([]string, 0, len(h.actors.pids))
	for _, pid := range h.actors.pids {
		ids = append(ids, pid.Id)
	}
	return ids
}
