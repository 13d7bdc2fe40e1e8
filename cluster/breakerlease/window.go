package breakerlease

// window counts outcomes over the last Policy.Window in Policy.Buckets
// buckets that roll one at a time. Times are nanoseconds on the owner's
// clock.
type window struct {
	slots []slot
}

// slot holds the counts of one bucket period; index is the period's
// number (time / period), so a slot left from an earlier round is known
// stale.
type slot struct {
	index               int64
	successes, failures uint64
}

// add counts successes and failures at now.
func (w *window) add(p Policy, now int64, successes, failures uint32) {
	period := int64(p.Window) / int64(p.Buckets)
	if len(w.slots) != p.Buckets {
		w.slots = make([]slot, p.Buckets)
		for i := range w.slots {
			w.slots[i].index = -1
		}
	}
	idx := now / period
	s := &w.slots[idx%int64(len(w.slots))]
	if s.index != idx {
		*s = slot{index: idx}
	}
	s.successes += uint64(successes)
	s.failures += uint64(failures)
}

// totals returns the counts of the window ending at now.
func (w *window) totals(p Policy, now int64) (successes, failures uint64) {
	if len(w.slots) != p.Buckets {
		return 0, 0
	}
	period := int64(p.Window) / int64(p.Buckets)
	idx := now / period
	for _, s := range w.slots {
		if s.index >= 0 && idx-s.index < int64(len(w.slots)) {
			successes += s.successes
			failures += s.failures
		}
	}
	return successes, failures
}

// reset forgets every count.
func (w *window) reset() { w.slots = nil }
