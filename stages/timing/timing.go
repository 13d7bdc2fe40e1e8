// Package timing is the stage that reports, in a Server-Timing response
// header, how long each stage of the request took:
//
//	Server-Timing: auth;dur=0.041, rate-limit;dur=0.012, GET /items/{id};dur=1.204, total;dur=1.530
//
// Durations are in milliseconds. It is first (Priority, Global): it times
// the stages that run after it, plus the whole request so far as "total". Browsers show the figures in their developer tools; leave the
// stage off for public APIs if stage names are private.
//
//	st, _ := timing.New("server-timing", timing.Config{}) // it never fails
//	app.Use(st)
package timing

import (
	"strconv"
	"strings"
	"time"

	"github.com/troupe-go/troupe/actors"
)

// Priority is the priority of a server_timing stage: actors.Global, so
// that it times the stages after it.
const Priority = actors.Global

// Config configures a server_timing stage. It is empty: the stage has no
// options. It is there so that New has the shape every stage package's
// New shares, and so that options can come without changing it.
type Config struct{}

// New returns the Spec of a server_timing stage named name: stateless, of
// priority Priority. New never fails.
func New(name string, _ Config) (*actors.Spec, error) {
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: Priority, Stage: stage}, nil
}

// stage asks for the exchange's stages to be timed on the way in, and
// writes their durations on the way out. It holds no state.
var stage = actors.Around(func(ex *actors.Exchange) error {
	ex.EnableTiming()
	return nil
}, func(ex *actors.Exchange) {
	var b strings.Builder
	for _, t := range ex.Timings() {
		write(&b, t.Stage, t.Duration)
	}
	if !ex.Start.IsZero() {
		write(&b, "total", time.Since(ex.Start))
	}
	if b.Len() > 0 {
		ex.Response.Header().Set("Server-Timing", b.String())
	}
})

// write appends one metric. A stage name becomes a token: characters
// Server-Timing does not allow in a metric name become "_".
func write(b *strings.Builder, name string, d time.Duration) {
	if b.Len() > 0 {
		b.WriteString(", ")
	}
	for _, r := range name {
		if r < 0x80 && (r == '-' || r == '.' || r == '_' || r == '~' || r == '!' || r == '#' || r == '$' || r == '%' || r == '&' || r == '*' || r == '+' || r == '^' || r == '`' || r == '|' ||
			'0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	b.WriteString(";dur=")
	b.WriteString(strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 3, 64))
}
