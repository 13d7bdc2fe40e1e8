package overload

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The simulated backend: 16 requests at once, 20 ms each, so 800 req/s.
const (
	simSlots   = 16
	simService = 20 * time.Millisecond
	simCap     = float64(simSlots) / 0.020
)

// simRun describes one open-loop run against the simulated backend.
type simRun struct {
	rate      float64       // offered requests per second
	dur       time.Duration // how long requests arrive
	warm      time.Duration // figures count from here
	critical  float64       // fraction of Critical requests
	sheddable float64       // fraction of Sheddable requests
	timeout   time.Duration // each request's context deadline, if any
	service   func(at time.Duration) time.Duration
	cfg       Config
	opts      []Option
	traceEach time.Duration
	// slots is the backend's concurrency; 0 means simSlots.
	slots int
	// exact turns off the service time's jitter. By default each request
	// takes its service time ±10% (uniform), as a real handler does:
	// with exact times the 16 slots, all started by the first burst,
	// stay in phase for ever and complete in bursts every 20 ms.
	exact bool
}

// simResult is what a run measured, over [warm, dur) of arrivals.
type simResult struct {
	offered, admitted, served    int
	rejected                     [NumReasons]int
	immediate                    int // refusals without any wait
	total, wait, rejLat          []time.Duration
	critOffered, critServed      int
	critLat                      []time.Duration
	servedInWindow               int // completions within [warm, dur)
	goodput                      float64
	maxWaitRatio                 float64 // max queue wait / service time at admission
	trace                        []tracePoint
	final                        Stats // at the end of arrivals
	limitMin, limitMax, limitAvg float64
}

type tracePoint struct {
	at    time.Duration
	stats Stats
	svc   time.Duration
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(math.Ceil(p*float64(len(s))))-1)]
}

// runSim runs r inside the calling synctest bubble.
func runSim(t *testing.T, r simRun) simResult {
	t.Helper()
	if r.service == nil {
		r.service = func(time.Duration) time.Duration { return simService }
	}
	l, err := New(r.cfg, r.opts...)
	if err != nil {
		t.Fatal(err)
	}
	slots := make(chan struct{}, cmp.Or(r.slots, simSlots))
	start := time.Now()
	since := func() time.Duration { return time.Since(start) }
	var (
		mu  sync.Mutex
		res simResult
		wg  sync.WaitGroup
	)
	rng := rand.New(rand.NewPCG(1, 2))
	jrng := rand.New(rand.NewPCG(3, 4))
	request := func(c Class) {
		defer wg.Done()
		at := since()
		ctx := context.Background()
		if r.timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, r.timeout)
			defer cancel()
		}
		p, err := l.Acquire(ctx, c)
		admittedAt := since()
		measured := at >= r.warm
		if err != nil {
			rej := err.(*Rejection)
			if measured {
				mu.Lock()
				res.rejected[rej.Reason]++
				if admittedAt == at {
					res.immediate++
				}
				res.rejLat = append(res.rejLat, admittedAt-at)
				if c == Critical {
					res.critOffered++
				}
				mu.Unlock()
			}
			return
		}
		svc := r.service(admittedAt)
		if !r.exact {
			mu.Lock()
			svc = time.Duration(float64(svc) * (0.9 + 0.2*jrng.Float64()))
			mu.Unlock()
		}
		slots <- struct{}{}
		time.Sleep(svc)
		<-slots
		p.Release()
		done := since()
		mu.Lock()
		defer mu.Unlock()
		if done >= r.warm && done < r.dur {
			res.servedInWindow++
		}
		if !measured {
			return
		}
		res.admitted++
		res.served++
		res.total = append(res.total, done-at)
		res.wait = append(res.wait, admittedAt-at)
		res.maxWaitRatio = max(res.maxWaitRatio, float64(admittedAt-at)/float64(r.service(admittedAt)))
		if c == Critical {
			res.critOffered++
			res.critServed++
			res.critLat = append(res.critLat, done-at)
		}
	}
	stopTrace := make(chan struct{})
	var traceWG sync.WaitGroup
	if r.traceEach > 0 {
		traceWG.Go(func() {
			tk := time.NewTicker(r.traceEach)
			defer tk.Stop()
			for {
				select {
				case <-stopTrace:
					return
				case <-tk.C:
					at := since()
					mu.Lock()
					res.trace = append(res.trace, tracePoint{at: at, stats: l.Stats(), svc: r.service(at)})
					mu.Unlock()
				}
			}
		})
	}
	// Arrivals: a Poisson number each millisecond.
	perMs := r.rate / 1000
	var limSum float64
	var limN int
	res.limitMin = math.Inf(1)
	for tick := time.Duration(0); tick < r.dur; tick += time.Millisecond {
		for range poisson(rng, perMs) {
			c := Default
			switch u := rng.Float64(); {
			case u < r.critical:
				c = Critical
			case u < r.critical+r.sheddable:
				c = Sheddable
			}
			if tick >= r.warm {
				res.offered++
			}
			wg.Add(1)
			go request(c)
		}
		if tick >= r.warm {
			lim := float64(l.Stats().Limit)
			res.limitMin, res.limitMax = min(res.limitMin, lim), max(res.limitMax, lim)
			limSum += lim
			limN++
		}
		time.Sleep(start.Add(tick + time.Millisecond).Sub(time.Now()))
	}
	res.final = l.Stats()
	close(stopTrace)
	traceWG.Wait()
	wg.Wait()
	res.limitAvg = limSum / float64(max(limN, 1))
	res.goodput = float64(res.servedInWindow) / (r.dur - r.warm).Seconds()
	if s := l.Stats(); s.InFlight != 0 || s.QueuedTotal() != 0 {
		t.Errorf("after the run: %d in flight, %d queued, want 0", s.InFlight, s.QueuedTotal())
	}
	return res
}

// poisson draws from a Poisson distribution of mean m (Knuth's method,
// fine for the small means of one millisecond).
func poisson(rng *rand.Rand, m float64) int {
	lim, k, p := math.Exp(-m), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= lim {
			return k
		}
		k++
	}
}

func (r simResult) rejectedTotal() int {
	n := 0
	for _, v := range r.rejected {
		n += v
	}
	return n
}

// row formats r as a line of the overload table.
func (r simResult) row(label string) string {
	rej := r.rejectedTotal()
	imm := 1.0
	if rej > 0 {
		imm = float64(r.immediate) / float64(rej)
	}
	return fmt.Sprintf("%-22s %7d %6.0f %5.0f%% %7v %7v %7v %6d %5.1f%% %7v %5.0f-%-4.0f(%3.0f)",
		label, r.offered, r.goodput, 100*r.goodput/simCap,
		pct(r.total, 0.5).Round(100*time.Microsecond), pct(r.total, 0.99).Round(100*time.Microsecond),
		pct(r.wait, 0.99).Round(100*time.Microsecond), rej, 100*imm,
		pct(r.rejLat, 0.99).Round(100*time.Microsecond), r.limitMin, r.limitMax, r.limitAvg)
}

const simHeader = "run                    offered goodput  cap  p50-tot p99-tot p99-wait reject  immed p99-rej  limit min-max(avg)"

func reasons(r simResult) string {
	var b strings.Builder
	for i, v := range r.rejected {
		fmt.Fprintf(&b, "%s=%d ", Reason(i), v)
	}
	return b.String()
}

// fmtLoad writes a load factor as "0.5×", "10×".
func fmtLoad(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) + "×" }
