package httpin_test

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/troupe-go/troupe/httpin"
)

// exchange writes raw to a new connection to addr and reads responses until
// the connection closes or wait passes; it returns the responses (bodies
// read) and whether the connection closed.
func exchange(t *testing.T, addr, raw string, wait time.Duration) (resps []*http.Response, closed bool) {
	t.Helper()
	c := dial(t, addr)
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	br := bufio.NewReader(c)
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return resps, !errors.Is(err, os.ErrDeadlineExceeded)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resps = append(resps, resp)
		if err != nil {
			return resps, !errors.Is(err, os.ErrDeadlineExceeded)
		}
	}
}

// smuggled is a request a front proxy framing by the other header would
// take for part of the first request's body.
const smuggled = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"

var framingCases = []struct {
	name, raw string
	status    int // of the first response
}{
	{
		name:   "Content-Length and chunked",
		raw:    "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + smuggled,
		status: http.StatusOK,
	},
	{
		name:   "Content-Length and obs-folded chunked",
		raw:    "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding:\r\n chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + smuggled,
		status: http.StatusOK,
	},
	{
		name:   "HTTP/1.0 keep-alive with chunked",
		raw:    "POST /echo HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n" + smuggled,
		status: http.StatusOK, // net/http ignores the Transfer-Encoding and reads no body
	},
	{
		name:   "HTTP/1.0 keep-alive with Content-Length and chunked",
		raw:    "POST /echo HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
		status: http.StatusOK, // framed by Content-Length: "0\r\n\r\n"
	},
}

// A request whose framing a front proxy could read differently gets its
// response, and then the connection closes: the request after it on the
// connection, which a proxy framing by the other header would have taken
// for body, is never answered.
func TestFramingClosesConnection(t *testing.T) {
	_, addr := startApp(t, httpin.Config{IdleTimeout: time.Minute}, nil)
	for _, tt := range framingCases {
		t.Run(tt.name, func(t *testing.T) {
			// The server closes at once; 10 s is for a loaded machine. An
			// open connection would wait for IdleTimeout, a minute.
			resps, closed := exchange(t, addr, tt.raw, 10*time.Second)
			if len(resps) != 1 || !closed {
				t.Fatalf("got %d responses, closed=%v; want 1 and the connection closed", len(resps), closed)
			}
			if resps[0].StatusCode != tt.status || !resps[0].Close {
				t.Errorf("got %d, Close=%v; want %d with Connection: close", resps[0].StatusCode, resps[0].Close, tt.status)
			}
		})
	}
}

// With LenientFraming, net/http's own handling stands: the connection stays
// open, and the request after is answered, as is one more sent after it.
// This is what the guard prevents.
func TestLenientFramingKeepsConnection(t *testing.T) {
	_, addr := startApp(t, httpin.Config{LenientFraming: true, IdleTimeout: time.Minute}, nil)
	for _, tt := range framingCases {
		t.Run(tt.name, func(t *testing.T) {
			if n := answered(t, addr, tt.raw, 2); n != 3 {
				t.Errorf("%d of 3 requests answered, want the smuggled one and the next too", n)
			}
		})
	}
}

// A request without a Transfer-Encoding keeps its connection.
func TestFramingKeepsPlainConnection(t *testing.T) {
	_, addr := startApp(t, httpin.Config{IdleTimeout: time.Minute}, nil)
	if n := answered(t, addr, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"+smuggled, 2); n != 3 {
		t.Errorf("%d of 3 requests answered, want all: the connection kept", n)
	}
}

// answered writes raw, holding n requests, to a new connection to addr,
// reads their n responses, then sends one more request and reads its
// response; it returns how many responses it read before the connection
// failed.
func answered(t *testing.T, addr, raw string, n int) int {
	t.Helper()
	c := dial(t, addr)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second)) // all on loopback: a bound for a loaded machine
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for i := range n + 1 {
		if i == n {
			if _, err := io.WriteString(c, smuggled); err != nil {
				return i
			}
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return i
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return i
		}
	}
	return n + 1
}
