package jobs

// QueueUsage is how much of a queue's concurrency this runner uses now.
type QueueUsage struct {
	// Name is the queue's name.
	Name string
	// Concurrency is how many of its attempts may run at once here.
	Concurrency int
	// Busy is how many run now.
	Busy int
}

// Usage returns each queue's concurrency and the attempts running under
// it on this runner, in the order the queues were given. It reads one
// atomic counter per queue.
func (r *Runner) Usage() []QueueUsage {
	out := make([]QueueUsage, len(r.order))
	for i, q := range r.order {
		out[i] = QueueUsage{Name: q.cfg.Name, Concurrency: q.cfg.Concurrency, Busy: int(q.busy.Load())}
	}
	return out
}
