package ratelimit

// bucket is one key's token bucket, kept the way the generic cell rate
// algorithm (GCRA) keeps it: not as a token count refilled on every visit,
// but as the instant at which the bucket will be full again. Taking a token
// moves that instant one interval later; time passing refills the bucket
// by itself. Times are nanoseconds since the stage's epoch.
type bucket struct {
	// key is the hash of the key the bucket belongs to.
	key uint64
	// full is when the bucket will be full again: at or before now, it is
	// full now.
	full int64
	// last is when the key last made a request, allowed or not.
	last int64
}

// policy is the shape every bucket of a stage shares: one token every
// interval, at most burst tokens.
type policy struct {
	interval int64 // nanoseconds per token; at least 1
	burst    int64 // at least 1
	capacity int64 // burst × interval: how far past now full may be
}

func newPolicy(interval, burst int64) policy {
	return policy{interval: interval, burst: burst, capacity: interval * burst}
}

// decision is what a bucket said about one request. Durations are in
// nanoseconds.
type decision struct {
	allowed   bool
	remaining int64 // tokens left after this request
	reset     int64 // until the bucket is full again (0 if it is)
	retry     int64 // until a token is available, for a refused request
}

// take takes a token from b for a request at now, if there is one.
func (p policy) take(b *bucket, now int64) decision {
	b.last = now
	from := max(b.full, now)
	next := from + p.interval
	if next-now > p.capacity {
		return decision{reset: from - now, retry: next - p.capacity - now}
	}
	b.full = next
	return decision{allowed: true, remaining: (p.capacity - (next - now)) / p.interval, reset: next - now}
}

// forgettable reports whether b can be dropped at now: it is full again,
// so a fresh bucket is the same thing, or it has been idle for ttl (if ttl
// is positive), which forgets what it had taken.
func (p policy) forgettable(b *bucket, now, ttl int64) bool {
	return b.full <= now || ttl > 0 && now-b.last >= ttl
}
