package troupe_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
)

// zeros is an endless reader of zero bytes that allocates nothing.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// sized is a stream of n zero bytes, then io.EOF; it fills trailer (if
// any) as it ends, and counts its Close calls.
type sized struct {
	left    int64
	trailer http.Header
	closed  atomic.Int32
	failAt  int64 // if > 0: fail with errBroken once left reaches it
}

var errBroken = errors.New("the source broke off")

func (s *sized) Read(p []byte) (int, error) {
	if s.failAt > 0 && s.left <= s.failAt {
		return 0, errBroken
	}
	if s.left == 0 {
		if s.trailer != nil {
			s.trailer.Set("X-Checksum", "done")
		}
		return 0, io.EOF
	}
	n := min(int64(len(p)), s.left)
	clear(p[:n])
	s.left -= n
	return int(n), nil
}

func (s *sized) Close() error {
	s.closed.Add(1)
	return nil
}

// allocated returns the bytes allocated by the process so far.
func allocated() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

const hundredMiB = 100 << 20

// A streamed response body of 100 MiB reaches the client whole, while the
// process allocates a small fraction of it: it is copied, not held.
func TestStreamedResponseKeepsMemoryBounded(t *testing.T) {
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Handle(http.MethodGet, "/big", troupe.Handler("big", func(ex *actors.Exchange) error {
			ex.Response.Header().Set("Content-Length", strconv.Itoa(hundredMiB))
			ex.RespondStream(http.StatusOK, "application/octet-stream", &sized{left: hundredMiB})
			return nil
		}))
	})
	before := allocated()
	res, err := s.client.Get(s.url + "/big")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil || n != hundredMiB || res.StatusCode != http.StatusOK {
		t.Fatalf("got %d bytes, status %d, err %v; want %d bytes, 200", n, res.StatusCode, err, hundredMiB)
	}
	if grew := allocated() - before; grew > 8<<20 {
		t.Fatalf("streaming 100 MiB allocated %d MiB; want < 8 MiB", grew>>20)
	}
}

// A route that streams its body hands the handler 100 MiB as it arrives,
// without the ingress reading it into memory first; past the limit, 413.
func TestStreamedRequestBody(t *testing.T) {
	count := troupe.Handler("count", func(ex *actors.Exchange) error {
		if ex.Body != nil {
			return fmt.Errorf("Body is set on a streaming route")
		}
		n, err := io.Copy(io.Discard, ex.BodyReader)
		if err != nil {
			return err
		}
		ex.Respond(http.StatusOK, "text/plain", []byte(strconv.FormatInt(n, 10)))
		return nil
	})
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Handle(http.MethodPost, "/upload", count).StreamBody().MaxBodyBytes(hundredMiB)
	})
	post := func(size int64, chunked bool) (int, string) {
		t.Helper()
		var body io.Reader = io.LimitReader(zeros{}, size)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.url+"/upload", body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = size
		if chunked {
			req.ContentLength = -1 // the limit is then found while reading
		}
		res, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	before := allocated()
	if status, body := post(hundredMiB, true); status != http.StatusOK || body != strconv.Itoa(hundredMiB) {
		t.Fatalf("100 MiB upload: %d %q", status, body)
	}
	if grew := allocated() - before; grew > 8<<20 {
		t.Fatalf("a 100 MiB upload allocated %d MiB; want < 8 MiB", grew>>20)
	}
	for _, chunked := range []bool{false, true} {
		status, body := post(hundredMiB+1, chunked)
		if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "larger than") {
			t.Fatalf("one byte past the limit (chunked %v): %d %q; want 413", chunked, status, body)
		}
	}
}

// Trailers the stream fills in as it ends reach the client after the body,
// announced in the Trailer header.
func TestStreamedResponseTrailers(t *testing.T) {
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Handle(http.MethodGet, "/t", troupe.Handler("t", func(ex *actors.Exchange) error {
			tr := http.Header{"X-Checksum": nil}
			ex.RespondStream(http.StatusOK, "text/plain", &sized{left: 100_000, trailer: tr})
			ex.Response.Trailer = tr
			return nil
		}))
	})
	res, err := s.client.Get(s.url + "/t")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	// Go's client moves the announced keys from the Trailer header into
	// res.Trailer, with nil values until the body has been read.
	if _, announced := res.Trailer["X-Checksum"]; !announced {
		t.Fatalf("X-Checksum was not announced in the Trailer header: %v", res.Trailer)
	}
	if n, err := io.Copy(io.Discard, res.Body); err != nil || n != 100_000 {
		t.Fatalf("body: %d bytes, %v", n, err)
	}
	if got := res.Trailer.Get("X-Checksum"); got != "done" {
		t.Fatalf("trailer X-Checksum %q; want done", got)
	}
}

// A stream that breaks off mid-body must not look like a whole body to
// the client: the connection is cut, and the client's read fails.
func TestBrokenStreamAbortsTheResponse(t *testing.T) {
	src := &sized{left: 1 << 20, failAt: 1 << 19}
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Handle(http.MethodGet, "/broken", troupe.Handler("broken", func(ex *actors.Exchange) error {
			ex.RespondStream(http.StatusOK, "application/octet-stream", src)
			return nil
		}))
	})
	res, err := s.client.Get(s.url + "/broken")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err == nil {
		t.Fatalf("read %d bytes of a broken stream without an error", n)
	}
	if src.closed.Load() != 1 {
		t.Fatalf("the stream was closed %d times; want 1", src.closed.Load())
	}
}

// A streamed answer nobody will write — the deadline passed first, or the
// request was a HEAD — is closed, so what it holds is freed.
func TestUnwrittenStreamsAreClosed(t *testing.T) {
	late := &sized{left: 10}
	head := &sized{left: 10}
	release := make(chan struct{})
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Handle(http.MethodGet, "/late", troupe.Handler("late", func(ex *actors.Exchange) error {
			<-release
			ex.RespondStream(http.StatusOK, "text/plain", late)
			return nil
		})).Timeout(50 * time.Millisecond)
		app.Handle(http.MethodGet, "/head", troupe.Handler("head", func(ex *actors.Exchange) error {
			ex.RespondStream(http.StatusOK, "text/plain", head)
			return nil
		}))
	})
	if r := s.do(t, http.MethodGet, "/late", ""); r.status != http.StatusGatewayTimeout {
		t.Fatalf("late: %d; want 504", r.status)
	}
	close(release)
	if r := s.do(t, http.MethodHead, "/head", ""); r.status != http.StatusOK || r.body != "" {
		t.Fatalf("HEAD: %d %q; want 200 and no body", r.status, r.body)
	}
	if head.closed.Load() != 1 {
		t.Fatalf("HEAD's stream closed %d times; want 1", head.closed.Load())
	}
	// The late handler answers after the 504: its stream is closed by the
	// pipeline when the answer is dropped. Shutting the app down waits for
	// the handler.
	if err := s.app.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if late.closed.Load() != 1 {
		t.Fatalf("the late stream was closed %d times; want 1", late.closed.Load())
	}
}

// Once the ingress has answered (here 504 at the deadline) while the
// handler is still reading a streamed body, the handler's read fails: it
// never ends in a clean io.EOF with part of the body missing, which an
// upload handler would take for the whole file.
func TestStreamedBodyCutByTheAnswerIsAnError(t *testing.T) {
	result := make(chan error, 1)
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Handle(http.MethodPost, "/upload", troupe.Handler("upload", func(ex *actors.Exchange) error {
			_, err := io.Copy(io.Discard, ex.BodyReader)
			result <- err
			return err
		})).StreamBody().Timeout(50 * time.Millisecond)
	})
	body, feed := io.Pipe()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.url+"/upload", body)
	req.ContentLength = -1
	go func() { _, _ = feed.Write(make([]byte, 1000)) }() // then nothing, until the answer
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("status %d; want 504", res.StatusCode)
	}
	// The rest of the body arrives after the answer: the server must not
	// hand it to the handler as if nothing were missing.
	go func() {
		_, _ = feed.Write(make([]byte, 100_000))
		_ = feed.Close()
	}()
	select {
	case err := <-result:
		if err == nil {
			t.Fatal("the handler read the body to a clean end after the 504; want an error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the handler's read of the body has not ended 5 s after the answer")
	}
}

// The largest body limit there is means no limit, not an overflow: a
// chunked body goes through whole, read in full or streamed.
func TestMaxInt64BodyLimit(t *testing.T) {
	count := func(ex *actors.Exchange) error {
		var n int64
		var err error
		if ex.BodyReader != nil {
			n, err = io.Copy(io.Discard, ex.BodyReader)
		} else {
			n = int64(len(ex.Body))
		}
		if err != nil {
			return err
		}
		ex.Respond(http.StatusOK, "text/plain", []byte(strconv.FormatInt(n, 10)))
		return nil
	}
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Handle(http.MethodPost, "/read", troupe.Handler("read", count)).MaxBodyBytes(math.MaxInt64)
		app.Handle(http.MethodPost, "/stream", troupe.Handler("stream", count)).MaxBodyBytes(math.MaxInt64).StreamBody()
	})
	for _, path := range []string{"/read", "/stream"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.url+path, io.LimitReader(zeros{}, 5000))
		req.ContentLength = -1
		res, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || string(b) != "5000" {
			t.Errorf("%s: %d %q; want 200 5000", path, res.StatusCode, b)
		}
	}
}
