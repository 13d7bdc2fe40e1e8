package bench

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"
)

// The traced peer serves what the taught one does, and its spans reach
// the collector by the time Shutdown returns.
func TestTracedPeerExports(t *testing.T) {
	p, err := NewTraced(5, zap.NewNop(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(""); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	res, err := (&http.Client{Transport: tr}).Get("http://" + p.Addr().String() + Path)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	tr.CloseIdleConnections()
	if res.StatusCode != http.StatusOK || len(body) == 0 {
		t.Errorf("GET %s = %d %q", Path, res.StatusCode, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if p.Exports() == 0 {
		t.Error("no export reached the collector")
	}
}
