package live

import (
	"testing"
	"time"

	"github.com/troupe-go/troupe/overload"
)

// LimiterOf adds up admissions over classes and refusals over reasons and
// classes, and gives durations in milliseconds.
func TestLimiterOf(t *testing.T) {
	var s overload.Stats
	s.Limit, s.InFlight, s.Standing = 8, 3, true
	s.Queued[overload.Critical] = 2
	s.Queued[overload.Sheddable] = 1
	s.Admitted = [overload.NumClasses]uint64{5, 6, 7}
	s.Rejected[0] = [overload.NumClasses]uint64{1, 0, 2}
	s.Rejected[overload.NumReasons-1] = [overload.NumClasses]uint64{0, 4, 0}
	s.MinRTT, s.RTT = 1500*time.Microsecond, 20*time.Millisecond
	got := LimiterOf("stage:db", s)
	want := Limiter{Name: "stage:db", Limit: 8, InFlight: 3, Queued: 3, Standing: true, MinRTTMS: 1.5, RTTMS: 20, Admitted: 18, Rejected: 7}
	if got != want {
		t.Errorf("LimiterOf = %+v, want %+v", got, want)
	}
}
