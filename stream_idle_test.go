package troupe_test

import (
	"bufio"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
)

// A streamed response that stops giving data is cut off after the stream
// idle timeout, so that it cannot hold its connection and goroutine for
// good; one that keeps giving data outlives the request's deadline.
func TestStreamIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) })
	cfg := troupe.Config{HTTP: httpin.Config{StreamIdleTimeout: idle}}
	s := start(t, cfg, func(app *troupe.App) {
		app.GET("/events", func(ex *actors.Exchange) error {
			pr, pw := io.Pipe()
			go func() { // owned by the pipe: it ends when the ingress closes the stream
				defer pw.Close()
				if _, err := pw.Write([]byte("data: first\n\n")); err != nil {
					return
				}
				select {
				case <-stall: // then nothing, until the test ends
				case <-ex.Request.Context().Done():
				}
			}()
			ex.RespondStream(http.StatusOK, "text/event-stream", pr)
			return nil
		}).Timeout(100 * time.Millisecond) // the deadline bounds the wait for the header only
	})
	res, err := s.client.Get(s.url + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	br := bufio.NewReader(res.Body)
	if line, err := br.ReadString('\n'); err != nil || line != "data: first\n" {
		t.Fatalf("first event = %q, %v", line, err)
	}
	begin := time.Now()
	rest, err := io.ReadAll(br)
	took := time.Since(begin)
	if err == nil {
		t.Errorf("the stalled stream ended cleanly (%q): a client would take it for whole", rest)
	}
	// Cut at the idle timeout, not at the deadline (100 ms, before it) nor
	// never: a second past it is room for a loaded machine.
	if took < idle/2 || took > idle+time.Second {
		t.Errorf("the stalled stream was cut after %s, want about %s", took, idle)
	}
}
