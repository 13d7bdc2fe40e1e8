package lease

import "time"

// Policy is the shape of a cluster-wide token bucket: one token every
// Interval, at most Burst tokens.
type Policy struct {
	// Interval is the time it takes one token to come back. At least 1ns.
	Interval time.Duration
	// Burst is the bucket's size. At least 1.
	Burst int64
}

// capacity is Burst × Interval: how far past now the instant the bucket
// is full again may lie.
func (p Policy) capacity() int64 { return int64(p.Interval) * p.Burst }

// Bucket is one cluster-wide token bucket, as its owner (a grain) keeps
// it: the instant, in nanoseconds, at which it is full again, the
// generic cell rate algorithm's form. Granting n tokens moves that
// instant n intervals later; tokens given back move it earlier; time
// passing refills it by itself. The zero Bucket is full. A Bucket is not
// safe for concurrent use: its grain owns it.
type Bucket struct {
	full int64
}

// Lease grants up to want tokens at now (nanoseconds on the owner's
// clock) after taking back returned unused ones, under policy p. With
// nothing granted, retry is how long until a token is back.
func (b *Bucket) Lease(p Policy, now, want, returned int64) (granted int64, retry time.Duration) {
	interval := int64(p.Interval)
	if returned > 0 {
		b.full = max(b.full-min(returned, p.Burst)*interval, now)
	}
	from := max(b.full, now)
	available := (p.capacity() - (from - now)) / interval
	granted = max(min(want, available), 0)
	b.full = from + granted*interval
	if granted == 0 && want > 0 {
		retry = time.Duration(from + interval - p.capacity() - now)
	}
	return granted, retry
}

// Tokens returns how many tokens the bucket holds at now.
func (b *Bucket) Tokens(p Policy, now int64) int64 {
	return (p.capacity() - (max(b.full, now) - now)) / int64(p.Interval)
}
