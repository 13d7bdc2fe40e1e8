package breakerlease_test

import (
	"context"
	"testing"

	"github.com/troupe-go/troupe/cluster/breakerlease"
	"github.com/troupe-go/troupe/internal/fakeclock"
)

// BenchmarkAdmitDone is the fast path of a closed breaker: an admission
// from the lease held and a success reported, no call to the owner.
func BenchmarkAdmitDone(b *testing.B) {
	clock := fakeclock.New()
	o := newOwner(clock.Now)
	m, err := breakerlease.New(breakerlease.Config{Name: "up", Policy: policy, Transport: o, Lease: 1 << 62, Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	m.Done(m.Admit(ctx).Ticket, breakerlease.Success)
	m.WaitIdle()
	b.ReportAllocs()
	for b.Loop() {
		d := m.Admit(ctx)
		if !d.Allowed {
			b.Fatalf("Admit = %+v", d)
		}
		m.Done(d.Ticket, breakerlease.Success)
	}
}
