// Package timing is the stage that reports, in a Server-Timing response
// header, how long each stage of the request took:
//
//	Server-Timing: auth;dur=0.041, rate-limit;dur=0.012, GET /items/{id};dur=1.204, total;dur=1.530
//
// Durations are in milliseconds. Put it first (it is a Global stage): it
// times the stages that run after it, plus the whole request so far as
// "total". Browsers show the figures in their developer tools; leave the
// stage off for public APIs if stage names are private.
//
//	app.Use(timing.New())
package timing

import (
	"strconv"
	"strings"
	"time"

	"github.com/troupe-go/troupe/actors"
)

// New returns the Server-Timing stage.
func New() actors.Stage {
	return actors.Around(func(ex *actors.Exchange) error {
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
}

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
