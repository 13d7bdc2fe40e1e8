package ratelimit

// sweepStep is how many buckets each request looks at for ones to forget.
// Each request adds at most one bucket, so a table with forgettable
// buckets shrinks by up to sweepStep-1 per request, and a full pass over n
// buckets takes n/sweepStep requests. Looking at one is a compare of two
// integers in a slice; forgetting one is a map delete.
const sweepStep = 8

// shrinkMin is the size below which a table never gives memory back: Go
// maps do not shrink by themselves, so once the table has fallen to a
// quarter of its peak, and the peak was at least this, it is rebuilt.
const shrinkMin = 4096

// table holds the buckets of one actor: the keys its partition owns. It
// belongs to that actor alone, so it has no lock.
//
// The buckets sit in a slice, indexed by a map from key hash to position;
// a sweep "hand" walks the slice a few buckets per request and drops the
// forgettable ones (swapping the last bucket into the hole), so memory
// follows the keys in use without a timer or a pause.
type table struct {
	index   map[uint64]int32
	buckets []bucket
	hand    int // the next bucket the sweep looks at
	peak    int // the most buckets since the last rebuild
	max     int // the most buckets the table holds
}

// bucket returns key's bucket, making a full one if it has none. At max,
// it first forgets the bucket under the hand to make room.
func (t *table) bucket(key uint64, now int64) *bucket {
	if i, ok := t.index[key]; ok {
		return &t.buckets[i]
	}
	if t.index == nil {
		t.index = make(map[uint64]int32)
	}
	if len(t.buckets) >= t.max {
		if t.hand >= len(t.buckets) {
			t.hand = 0
		}
		t.remove(t.hand)
	}
	t.index[key] = int32(len(t.buckets))
	t.buckets = append(t.buckets, bucket{key: key, full: now, last: now})
	t.peak = max(t.peak, len(t.buckets))
	return &t.buckets[len(t.buckets)-1]
}

// sweep looks at the next sweepStep buckets under the hand and forgets
// those p says may go.
func (t *table) sweep(p policy, now, ttl int64) {
	for range sweepStep {
		if len(t.buckets) == 0 {
			break
		}
		if t.hand >= len(t.buckets) {
			t.hand = 0
		}
		if p.forgettable(&t.buckets[t.hand], now, ttl) {
			t.remove(t.hand) // the last bucket moves here: look at it next
		} else {
			t.hand++
		}
	}
	if t.peak >= shrinkMin && len(t.buckets) <= t.peak/4 {
		t.rebuild()
	}
}

// remove forgets the bucket at i.
func (t *table) remove(i int) {
	last := len(t.buckets) - 1
	delete(t.index, t.buckets[i].key)
	if i != last {
		t.buckets[i] = t.buckets[last]
		t.index[t.buckets[i].key] = int32(i)
	}
	t.buckets = t.buckets[:last]
}

// rebuild copies the table into a map and slice of its current size, so
// that the memory of its peak can be collected.
func (t *table) rebuild() {
	index := make(map[uint64]int32, len(t.buckets))
	buckets := make([]bucket, len(t.buckets))
	copy(buckets, t.buckets)
	for i, b := range buckets {
		index[b.key] = int32(i)
	}
	t.index, t.buckets, t.peak = index, buckets, len(buckets)
}

// size returns the number of buckets held.
func (t *table) size() int { return len(t.buckets) }
