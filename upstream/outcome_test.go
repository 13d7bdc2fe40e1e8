package upstream

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/troupe-go/troupe/internal/httpstatus"
)

func TestClassify(t *testing.T) {
	fail, _ := httpstatus.Parse([]string{"5xx"})
	retry, _ := httpstatus.Parse([]string{"502", "503", "504", "429"})
	c := classifier{failStatus: fail, retryStatus: retry, slow: 100 * time.Millisecond}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	live := context.Background()
	tests := []struct {
		name        string
		ctx         context.Context
		status      int
		err         error
		elapsed     time.Duration
		want        result
		wantOutcome outcome
		wantRetry   bool
	}{
		{name: "200", ctx: live, status: 200, want: resultOK, wantOutcome: success},
		{name: "404", ctx: live, status: 404, want: resultOK, wantOutcome: success},
		{name: "429: a success, but worth a retry", ctx: live, status: 429, want: resultOK, wantOutcome: success, wantRetry: true},
		{name: "500", ctx: live, status: 500, want: resultStatus, wantOutcome: failure},
		{name: "503", ctx: live, status: 503, want: resultStatus, wantOutcome: failure, wantRetry: true},
		{name: "slow 200", ctx: live, status: 200, elapsed: time.Second, want: resultSlow, wantOutcome: failure},
		{name: "refused", ctx: live, err: errors.New("connect: connection refused"), want: resultConnect, wantOutcome: failure, wantRetry: true},
		{name: "timeout", ctx: live, err: fmt.Errorf("read: %w", os.ErrDeadlineExceeded), want: resultTimeout, wantOutcome: failure, wantRetry: true},
		{name: "deadline", ctx: live, err: context.DeadlineExceeded, want: resultTimeout, wantOutcome: failure, wantRetry: true},
		{name: "too large", ctx: live, err: errTooLarge, want: resultTooLarge, wantOutcome: failure},
		{name: "client gone", ctx: cancelled, err: context.Canceled, want: resultCanceled, wantOutcome: neutral},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.result(tt.ctx, tt.status, tt.err, tt.elapsed)
			if r != tt.want || c.outcome(r) != tt.wantOutcome || c.retryable(r, tt.status) != tt.wantRetry {
				t.Errorf("classify(%d, %v) = %s, outcome %d, retry %v; want %s, %d, %v",
					tt.status, tt.err, r, c.outcome(r), c.retryable(r, tt.status), tt.want, tt.wantOutcome, tt.wantRetry)
			}
		})
	}
	ignoring := classifier{ignoreConn: true, ignoreTime: true}
	if ignoring.outcome(resultConnect) != neutral || ignoring.outcome(resultTimeout) != neutral {
		t.Error("ignore_connection_errors / ignore_timeouts do not make those neutral")
	}
}
