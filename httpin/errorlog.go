package httpin

import (
	"fmt"
	"github.com/troupe-go/troupe/internal/loglimit"
	"log"
	"time"

	"go.uber.org/zap"
)

// ErrorLogLinesPerSecond is how many lines a second NewErrorLog writes at
// most; the first line after a burst says how many it dropped.
const ErrorLogLinesPerSecond = 10

// NewErrorLog returns a logger for http.Server.ErrorLog that writes net/http's
// own errors (accept failures, TLS handshake errors, panics in handlers) to
// l at Warn level, at most ErrorLogLinesPerSecond lines a second: a burst
// of them, as in an attack, cannot flood the log. The lines dropped are
// counted in the field "suppressed" of the next line written.
func NewErrorLog(l *zap.Logger) (*log.Logger, error) {
	std, err := zap.NewStdLogAt(loglimit.RateLimited(l, ErrorLogLinesPerSecond, time.Now), zap.WarnLevel)
	if err != nil {
		return nil, fmt.Errorf("http error log: %w", err)
	}
	return std, nil
}
