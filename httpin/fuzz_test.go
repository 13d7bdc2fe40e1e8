package httpin_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// FuzzFraming writes raw bytes to a real server, its ingress behind the
// Server's guards, on a new connection, half-closes it and reads what comes
// back. The server must never panic (net/http would log it), never answer
// more than once for a request (responses ≤ the handler's calls on the
// connection + the one error net/http may write as it gives up on one),
// and always end the connection within a bound.
func FuzzFraming(f *testing.F) {
	for _, s := range []string{
		"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /sink HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
		"POST /sink HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"POST /sink HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n",
		"POST /sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
		"POST /sink HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
		"POST /sink HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nabc",
		"POST /sink HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab",
		"HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /../%2e%2e/hello?x HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /hello HTTP/2.0\r\n\r\n",
		"\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	var calls sync.Map // the client's address → *atomic.Int64, the handler's calls on its connection
	count := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n, _ := calls.LoadOrStore(r.RemoteAddr, new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
			next.ServeHTTP(w, r)
		})
	}
	core, logs := observer.New(zap.WarnLevel)
	cfg := httpin.Config{
		ReadHeaderTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 3 * time.Second,
		IdleTimeout: time.Second, BodyRateGrace: time.Second, WriteRateGrace: time.Second,
		RequestTimeout: time.Second, MaxBodyBytes: 4096,
	}
	_, addr := startAppWith(f, cfg, zap.New(core), func(app *troupe.App) {
		app.GET("/hello", func(ex *actors.Exchange) error {
			ex.Response.Status, ex.Response.Body = http.StatusOK, []byte("hello")
			return nil
		})
		app.POST("/sink", func(ex *actors.Exchange) error { // answers without echoing: a body could pass for a response
			ex.Response.Status, ex.Response.Body = http.StatusOK, []byte("ok")
			return nil
		})
	}, count)
	// Once the client has half-closed, the server reads EOF at once; the
	// longest it could still wait is WriteTimeout. 15 s leaves room for a
	// loaded machine.
	const bound = 15 * time.Second

	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(bound))
		_, _ = c.Write(raw) // the server may have hung up already
		_ = c.(*net.TCPConn).CloseWrite()
		br := bufio.NewReader(c)
		responses := 0
		for {
			// A HEAD's response can be misread, its body taken from what
			// follows: responses are undercounted then, never over.
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				break
			}
			if resp.StatusCode >= 200 { // a 100 Continue is not the answer
				responses++
			}
			_, err = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if err != nil {
				break
			}
		}
		// Read to the end of the connection, to see that it ends.
		if _, err := io.Copy(io.Discard, br); errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("the connection was still open after %s", bound)
		}
		var handled int64
		if n, ok := calls.Load(c.LocalAddr().String()); ok {
			handled = n.(*atomic.Int64).Load()
		}
		if int64(responses) > handled+1 {
			t.Fatalf("%d responses for %d requests handled", responses, handled)
		}
		if n := logs.FilterMessageSnippet("panic").Len(); n > 0 {
			t.Fatalf("the server panicked: %v", logs.FilterMessageSnippet("panic").All()[0].Message)
		}
	})
}
