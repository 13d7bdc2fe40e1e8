package auth

import (
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/troupe-go/troupe/stages/principal"
	"github.com/troupe-go/troupe/stagetest"
)

// BenchmarkAPIKeyFailureLimit measures what the failure limit adds to an
// API key that authenticates, from many goroutines as a pure hop's actors
// run it: with the limit off, on with an empty table (no lock taken), and
// on with failures of other addresses in every shard (a lock per request).
func BenchmarkAPIKeyFailureLimit(b *testing.B) {
	for _, bc := range []struct {
		name     string
		limit    FailureLimit
		failures int // addresses that failed before
	}{
		{name: "off", limit: FailureLimit{Disabled: true}},
		{name: "on/empty", limit: FailureLimit{}},
		{name: "on/1000-failing", limit: FailureLimit{}, failures: 1000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			st, err := newAPIKey(APIKeyConfig{Keys: map[string]APIKeyEntry{"ci": {Key: ciKey}}, FailureLimit: bc.limit})
			if err != nil {
				b.Fatal(err)
			}
			for i := range bc.failures {
				r := httptest.NewRequest("GET", "/", nil)
				r.RemoteAddr = netip.AddrPortFrom(addr(i), 1).String()
				r.Header.Set("X-API-Key", "not-a-key-0123456789")
				stagetest.Run(b, st, r)
			}
			var next atomic.Int32
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				r := httptest.NewRequest("GET", "/", nil)
				r.RemoteAddr = netip.AddrPortFrom(addr(1<<20+int(next.Add(1))), 1).String()
				r.Header.Set("X-API-Key", ciKey)
				ex := stagetest.Exchange(b, r)
				for pb.Next() {
					principal.Key.Set(ex, nil) // else the stage lets the exchange through untouched
					if err := st.Process(ex); err != nil || principal.From(ex) == nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
