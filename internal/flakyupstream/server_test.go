package flakyupstream

import (
	"context"
	"io"
	"net/http"
	"testing"
)

func TestServer(t *testing.T) {
	h := newHandler(t, Settings{}, 0)
	s := NewServer(h, nil)
	if _, err := s.DialContext(t.Context(), "tcp", "x:80"); err == nil {
		t.Error("DialContext before Start = nil error")
	}
	if err := s.Start(nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(nil); err == nil {
		t.Error("a second Start = nil error")
	}
	tr := &http.Transport{DialContext: s.DialContext}
	res, err := (&http.Client{Transport: tr}).Get("http://anything/hello")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	tr.CloseIdleConnections()
	if res.StatusCode != 200 || h.Calls() != 1 {
		t.Errorf("GET through DialContext = %d %s, calls %d", res.StatusCode, b, h.Calls())
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Error(err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Errorf("a second Stop = %v", err)
	}
}
