package ratelimit_test

import (
	"net/http"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/clientip"
	"github.com/troupe-go/troupe/stages/principal"
	"github.com/troupe-go/troupe/stages/ratelimit"
	"github.com/troupe-go/troupe/stagetest"
)

// caller is one request's origin: peer address, authenticated subject ("":
// anonymous) and X-Client header ("": none).
type caller struct {
	peer, subject, header string
}

func (c caller) request() (*http.Request, stagetest.Option) {
	r := get(c.peer)
	if c.header != "" {
		r.Header.Set("X-Client", c.header)
	}
	return r, stagetest.WithSetup(func(ex *actors.Exchange) {
		if c.subject != "" {
			principal.Key.Set(ex, &principal.Principal{Subject: c.subject, Method: "api_key"})
		}
	})
}

// With a burst of 1, a second request is refused exactly when both share a
// bucket; the partition key must agree, or the two could land in different
// actors and get a bucket each.
func TestKey(t *testing.T) {
	tests := []struct {
		name          string
		key           string
		first, second caller
		wantShared    bool
	}{
		{name: "ip: same address, other port", key: "ip", first: caller{peer: "192.0.2.1:1000"}, second: caller{peer: "192.0.2.1:2000"}, wantShared: true},
		{name: "ip: other address", key: "ip", first: caller{peer: "192.0.2.1:1000"}, second: caller{peer: "192.0.2.2:1000"}, wantShared: false},
		{name: "ip: ipv6", key: "ip", first: caller{peer: "[2001:db8::1]:1"}, second: caller{peer: "[2001:db8::1]:2"}, wantShared: true},
		{name: "ip is the default", key: "", first: caller{peer: "192.0.2.1:1000"}, second: caller{peer: "192.0.2.1:2000", subject: "alice"}, wantShared: true},
		{name: "ip: subject ignored", key: "ip", first: caller{peer: "192.0.2.1:1", subject: "alice"}, second: caller{peer: "192.0.2.1:1", subject: "bob"}, wantShared: true},
		{name: "subject: same subject, other address", key: "subject", first: caller{peer: "192.0.2.1:1", subject: "alice"}, second: caller{peer: "192.0.2.2:1", subject: "alice"}, wantShared: true},
		{name: "subject: other subject, same address", key: "subject", first: caller{peer: "192.0.2.1:1", subject: "alice"}, second: caller{peer: "192.0.2.1:1", subject: "bob"}, wantShared: false},
		{name: "subject: anonymous falls back to the address", key: "subject", first: caller{peer: "192.0.2.1:1"}, second: caller{peer: "192.0.2.1:2"}, wantShared: true},
		{name: "subject: anonymous and authenticated apart", key: "subject", first: caller{peer: "192.0.2.1:1"}, second: caller{peer: "192.0.2.1:1", subject: "alice"}, wantShared: false},
		{name: "subject: a subject spelt like an address is not it", key: "subject", first: caller{peer: "192.0.2.1:1", subject: "192.0.2.1"}, second: caller{peer: "192.0.2.1:1"}, wantShared: false},
		{name: "header: same value, other address", key: "header:X-Client", first: caller{peer: "192.0.2.1:1", header: "k1"}, second: caller{peer: "192.0.2.2:1", header: "k1"}, wantShared: true},
		{name: "header: other value, same address", key: "header:X-Client", first: caller{peer: "192.0.2.1:1", header: "k1"}, second: caller{peer: "192.0.2.1:1", header: "k2"}, wantShared: false},
		{name: "header: name case does not matter", key: "header:x-client", first: caller{peer: "192.0.2.1:1", header: "k1"}, second: caller{peer: "192.0.2.2:1", header: "k1"}, wantShared: true},
		{name: "header: absent falls back to the address", key: "header:X-Client", first: caller{peer: "192.0.2.1:1"}, second: caller{peer: "192.0.2.1:2"}, wantShared: true},
		{name: "header: a value spelt like an address is not it", key: "header:X-Client", first: caller{peer: "192.0.2.9:1", header: "192.0.2.1"}, second: caller{peer: "192.0.2.1:1"}, wantShared: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, spec := instance(t, ratelimit.Config{Rate: 1, Burst: 1, Key: tt.key}, newClock())
			r1, o1 := tt.first.request()
			r2, o2 := tt.second.request()
			if out := run(t, st, r1, o1); out.Status != http.StatusOK {
				t.Fatalf("first request: %d, want 200", out.Status)
			}
			wantStatus := http.StatusOK
			if tt.wantShared {
				wantStatus = http.StatusTooManyRequests
			}
			if out := run(t, st, r2, o2); out.Status != wantStatus {
				t.Errorf("second request: %d, want %d", out.Status, wantStatus)
			}
			r1, o1 = tt.first.request()
			r2, o2 = tt.second.request()
			k1, k2 := spec.PartitionKey(stagetest.Exchange(t, r1, o1)), spec.PartitionKey(stagetest.Exchange(t, r2, o2))
			if (k1 == k2) != tt.wantShared {
				t.Errorf("partition keys %q and %q: equal = %v, want %v", k1, k2, k1 == k2, tt.wantShared)
			}
		})
	}
}

// A client that is not a trusted proxy cannot pick its own key with
// X-Forwarded-For: with the clientip stage trusting no proxy, every
// spelling of the header leaves the key at the peer's address.
func TestSpoofedForwardedForKeepsTheKey(t *testing.T) {
	cip, err := clientip.New("client-ip", clientip.Config{})
	if err != nil {
		t.Fatal(err)
	}
	afterClientIP := stagetest.WithSetup(func(ex *actors.Exchange) {
		if err := cip.Stage.Process(ex); err != nil {
			t.Fatal(err)
		}
	})
	st, spec := instance(t, ratelimit.Config{Rate: 1, Burst: 2}, newClock())
	spoofs := []string{"198.51.100.1", "198.51.100.2", "198.51.100.3, 10.0.0.1", "127.0.0.1"}
	wantStatus := []int{200, 200, 429, 429}
	var keys []string
	for i, xff := range spoofs {
		r := get("203.0.113.7:4000", "X-Forwarded-For", xff)
		out := run(t, st, r, afterClientIP)
		if out.Status != wantStatus[i] {
			t.Errorf("request %d (X-Forwarded-For: %s) = %d, want %d", i+1, xff, out.Status, wantStatus[i])
		}
		keys = append(keys, spec.PartitionKey(out.Exchange))
	}
	for _, k := range keys {
		if k != keys[0] {
			t.Errorf("partition keys %q differ: a spoofed header moved the key", keys)
			break
		}
	}
}
