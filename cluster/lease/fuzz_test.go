package lease_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/troupe-go/troupe/cluster/lease"
)

// FuzzBucket drives a bucket with arbitrary leases, returns and clock
// steps, as grains get them from members (whose requests carry any
// numbers), and checks what must always hold: a grant is between zero and
// what was asked, the bucket holds between zero and its burst, a refusal
// says when to retry (within one interval), and all that was granted is
// at most the burst, what came back, and one token per interval passed.
func FuzzBucket(f *testing.F) {
	f.Add(int64(time.Millisecond), int64(10), []byte{5, 0, 1, 3, 200, 2})
	f.Add(int64(1), int64(1), []byte{255, 255, 255, 0, 0, 0})
	f.Add(int64(time.Hour), int64(1<<20), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Fuzz(func(t *testing.T, interval, burst int64, ops []byte) {
		if interval < 1 || burst < 1 || burst > (1<<62)/interval {
			t.Skip() // the grain refuses such a policy
		}
		p := lease.Policy{Interval: time.Duration(interval), Burst: burst}
		var b lease.Bucket
		now := int64(1) << 40
		start := now
		var granted, returned int64
		for len(ops) >= 3 {
			want := int64(ops[0]) * int64(ops[0]) // up to 65025: more than small bursts hold
			back := min(int64(ops[1]), granted-returned)
			now += int64(binary.LittleEndian.Uint16([]byte{ops[2], 0})) * (interval / 4)
			ops = ops[3:]
			g, retry := b.Lease(p, now, want, back)
			returned += back
			granted += g
			switch {
			case g < 0 || g > want:
				t.Fatalf("Lease(want %d) granted %d", want, g)
			case g == 0 && want > 0 && (retry <= 0 || retry > p.Interval):
				t.Fatalf("a refusal with retry %v, want (0, %v]", retry, p.Interval)
			}
			if tok := b.Tokens(p, now); tok < 0 || tok > burst {
				t.Fatalf("bucket holds %d tokens, want 0 to %d", tok, burst)
			}
			if most := burst + returned + (now-start)/interval; granted > most {
				t.Fatalf("granted %d in all, want at most %d (burst %d + returned %d + %d intervals)", granted, most, burst, returned, (now-start)/interval)
			}
		}
	})
}
