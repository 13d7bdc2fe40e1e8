package ratelimit_test

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/ratelimit"
	"github.com/troupe-go/troupe/stagetest"
)

// keys sends one request for each of n distinct keys (X-Key: prefix+i)
// through st, reusing one exchange, and fails if any is refused.
func keys(t *testing.T, st actors.Stage, prefix string, n int) {
	t.Helper()
	ex := stagetest.Exchange(t, get("192.0.2.1:1"))
	for i := range n {
		ex.Request.Header.Set("X-Key", prefix+strconv.Itoa(i))
		ex.Response = actors.Response{}
		if err := st.Process(ex); err != nil {
			t.Fatalf("key %s%d: %v", prefix, i, err)
		}
	}
}

const manyKeys = 100_000

// Buckets that are full again are forgotten as requests come: each request
// looks at SweepStep of them, so the table shrinks by several per request
// until only the keys in use are left, and then gives its memory back.
func TestFullBucketsAreForgotten(t *testing.T) {
	c := newClock()
	st, _ := instance(t, ratelimit.Config{Rate: 1, Burst: 5, Key: "header:X-Key", Partitions: 1}, c)
	keys(t, st, "k", manyKeys)
	if got := ratelimit.Size(st); got != manyKeys {
		t.Fatalf("after %d keys: %d buckets, want %d (none is full yet)", manyKeys, got, manyKeys)
	}
	peakCap := ratelimit.Capacity(st)

	c.advance(999 * time.Millisecond) // not yet full: one token short
	keys(t, st, "again", 10)
	if got := ratelimit.Size(st); got != manyKeys+10 {
		t.Fatalf("before the refill: %d buckets, want %d", got, manyKeys+10)
	}

	c.advance(time.Millisecond) // every old bucket is full again
	const touches = 10
	keys(t, st, "again", touches)
	if got, want := ratelimit.Size(st), manyKeys+10-2*touches; got > want {
		t.Errorf("after %d requests: %d buckets, want at most %d", touches, got, want)
	}

	// Enough requests for a full pass (a second apart, so that the keys in
	// use have tokens): only those ten keys are left.
	for range manyKeys / ratelimit.SweepStep / touches * 2 {
		c.advance(time.Second)
		keys(t, st, "again", touches)
	}
	if got := ratelimit.Size(st); got != touches {
		t.Errorf("after a full pass: %d buckets, want %d", got, touches)
	}
	if got := ratelimit.Capacity(st); got > peakCap/4 {
		t.Errorf("after a full pass: room for %d buckets, want the table rebuilt below %d", got, peakCap/4)
	}
}

// A slow rate takes long to refill; IdleTTL forgets idle buckets sooner.
func TestIdleTTL(t *testing.T) {
	tests := []struct {
		name     string
		idleTTL  time.Duration
		wantSize int // after 11 minutes idle and a full pass
	}{
		{name: "without a TTL the drained buckets stay", idleTTL: 0, wantSize: manyKeys},
		{name: "with a TTL they go", idleTTL: 10 * time.Minute, wantSize: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			// 10 every 10000 s: a drained bucket takes ~3 hours to refill.
			st, _ := instance(t, ratelimit.Config{Rate: 0.001, Burst: 10, Key: "header:X-Key", Partitions: 1, IdleTTL: tt.idleTTL}, c)
			keys(t, st, "k", manyKeys)
			c.advance(11 * time.Minute)
			ex := stagetest.Exchange(t, get("192.0.2.1:1")) // keyed on the address: one more bucket
			for range manyKeys/ratelimit.SweepStep + 1 {
				ex.Response = actors.Response{}
				st.Process(ex)
			}
			if got := ratelimit.Size(st) - 1; got != tt.wantSize {
				t.Errorf("after 11 idle minutes: %d old buckets, want %d", got, tt.wantSize)
			}
		})
	}
}

// Past MaxKeys, new keys push old buckets out rather than grow the table.
func TestMaxKeys(t *testing.T) {
	tests := []struct {
		name       string
		maxKeys    int
		partitions int
		wantSize   int
	}{
		{name: "one partition holds max_keys", maxKeys: 1000, partitions: 1, wantSize: 1000},
		{name: "split over partitions, rounded up", maxKeys: 1000, partitions: 3, wantSize: 334},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _ := instance(t, ratelimit.Config{Rate: 1, Key: "header:X-Key", MaxKeys: tt.maxKeys, Partitions: tt.partitions}, newClock())
			keys(t, st, "k", 5000)
			if got := ratelimit.Size(st); got != tt.wantSize {
				t.Errorf("after 5000 keys: %d buckets, want %d", got, tt.wantSize)
			}
		})
	}
}

// The heap follows the table: what 200k buckets took comes back once they
// are forgotten. (A loose bound: the heap holds other things too.)
func TestForgottenBucketsFreeMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 200k buckets")
	}
	const n = 200_000
	c := newClock()
	st, _ := instance(t, ratelimit.Config{Rate: 1, Key: "header:X-Key", Partitions: 1}, c)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	keys(t, st, "k", n)
	full := heap()
	c.advance(time.Hour)
	ex := stagetest.Exchange(t, get("192.0.2.1:1"))
	for range n/(ratelimit.SweepStep-1) + 1 {
		ex.Response = actors.Response{}
		st.Process(ex)
	}
	after := heap()
	grown := int64(full) - int64(before)
	if grown < n*24 {
		t.Fatalf("heap grew by %d bytes for %d buckets; the measurement is off", grown, n)
	}
	t.Logf("heap: %d B before, +%d B (%d B a bucket) with %d buckets, +%d B after forgetting them", before, grown, grown/n, n, int64(after)-int64(before))
	if left := int64(after) - int64(before); left > grown/4 {
		t.Errorf("heap: %d before, %d with %d buckets, %d after forgetting them; want most of it back", before, full, n, after)
	}
	runtime.KeepAlive(st)
}
