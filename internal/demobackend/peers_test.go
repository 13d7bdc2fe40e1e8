package demobackend_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/troupe-go/troupe/internal/demobackend"
)

// The channel batcher answers every caller its own score, in fewer calls
// than items, and Close sends what waits.
func TestChannelBatcher(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newModel(t, demobackend.Config{Concurrency: 1})
		c := demobackend.NewChannelBatcher(m, 8, 1)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				s, err := c.Submit(context.Background(), demobackend.Features{ID: "x", Features: []float64{float64(i)}})
				if err != nil || s.Score != float64(i*i) {
					t.Errorf("Submit(%d) = %+v, %v; want %d", i, s, err, i*i)
				}
			})
		}
		wg.Wait()
		if m.Calls() >= 20 {
			t.Errorf("%d calls for 20 items", m.Calls())
		}
		c.Close()
		c.Close()
		if _, err := c.Submit(context.Background(), demobackend.Features{ID: "x", Features: []float64{1}}); !errors.Is(err, demobackend.ErrClosed) {
			t.Errorf("Submit after Close = %v, want ErrClosed", err)
		}
	})
}

// The net/http peers answer like the troupe route.
func TestPeerHandlers(t *testing.T) {
	m := newModel(t, demobackend.Config{CallCost: time.Microsecond})
	c := demobackend.NewChannelBatcher(m, 8, 4)
	defer c.Close()
	for name, h := range map[string]http.Handler{"per-request": demobackend.PerRequestHandler(m), "channel": c.Handler()} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			tests := []struct {
				give       string
				wantStatus int
				wantBody   string
			}{
				{give: `{"id":"a1","features":[0.5,1.5]}`, wantStatus: 200, wantBody: `{"id":"a1","score":2.5}`},
				{give: `{"id":"a1"}`, wantStatus: 422},
				{give: `{`, wantStatus: 400},
			}
			for _, tt := range tests {
				res, err := srv.Client().Post(srv.URL, "application/json", strings.NewReader(tt.give))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != tt.wantStatus || tt.wantBody != "" && strings.TrimSpace(string(b)) != tt.wantBody {
					t.Errorf("POST %s = %d %s, want %d %s", tt.give, res.StatusCode, b, tt.wantStatus, tt.wantBody)
				}
			}
			srv.Client().CloseIdleConnections()
		})
	}
}
