package live

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/troupe-go/troupe/internal/adminjson"
)

// Source returns the server's state now, and false once the server it
// describes has stopped: an event stream then ends.
type Source func() (Snapshot, bool)

// Interval is how often GET /api/events pushes a snapshot.
const Interval = time.Second

// writeTimeout bounds the writing of one event: a client that stops
// reading loses its stream instead of holding the handler.
const writeTimeout = 10 * time.Second

// Handler serves the live page and its JSON API from a Source. Its
// methods are safe for concurrent use. An event stream ends when its
// client leaves, when the Source reports the server stopped, or at Close.
type Handler struct {
	src       Source
	closed    chan struct{}
	closeOnce sync.Once
}

// New returns a handler over src.
func New(src Source) *Handler {
	return &Handler{src: src, closed: make(chan struct{})}
}

// Close ends every event stream at once, and refuses new ones (503). Call
// it when the listener serving h shuts down (http.Server's
// RegisterOnShutdown): http.Server.Shutdown does not end a handler that
// never returns by itself. It is safe to call twice.
func (h *Handler) Close() { h.closeOnce.Do(func() { close(h.closed) }) }

// Mount adds the page and the API to mux:
//
//   - GET / : the live page (HTML); its stylesheet and script under
//     /assets/.
//   - GET /api/state : the whole Snapshot as JSON.
//   - GET /api/events : server-sent events, one "state" message (data: the
//     Snapshot as JSON) at once and then every Interval.
//
// Any other path under /api/ is 404, and a method other than those listed
// 405 with Allow, both as application/problem+json.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("/{$}", h.page)
	mux.Handle("/assets/", assets())
	mux.HandleFunc("/api/", h.api)
}

// api routes /api/ itself, so that its errors are problem documents
// rather than net/http's plain text.
func (h *Handler) api(w http.ResponseWriter, r *http.Request) {
	var serve http.HandlerFunc
	allow := "GET, HEAD"
	switch r.URL.Path {
	case "/api/state":
		serve = h.state
	case "/api/events":
		serve, allow = h.events, "GET"
	default:
		adminjson.Problem(w, r, http.StatusNotFound, "no such API: the live API is GET /api/state and GET /api/events")
		return
	}
	if r.Method != http.MethodGet && !(r.Method == http.MethodHead && allow == "GET, HEAD") {
		adminjson.MethodNotAllowed(w, r, allow)
		return
	}
	serve(w, r)
}

// state answers the whole snapshot.
func (h *Handler) state(w http.ResponseWriter, r *http.Request) {
	snap, _ := h.src()
	w.Header().Set("Cache-Control", "no-store")
	adminjson.Write(w, http.StatusOK, snap)
}

// events streams snapshots until the client leaves, the server stops or h
// closes. It runs on the request's own goroutine and starts none.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	select {
	case <-h.closed:
		w.Header().Set("Retry-After", "1")
		adminjson.Problem(w, r, http.StatusServiceUnavailable, "the admin listener is shutting down")
		return
	default:
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	// The browser reconnects after a second if the stream breaks.
	if !h.send(w, rc, []byte("retry: 1000\n\n")) {
		return
	}
	tick := time.NewTicker(Interval)
	defer tick.Stop()
	for {
		snap, ok := h.src()
		if !ok {
			return
		}
		body, err := json.Marshal(snap)
		if err != nil {
			return // unreachable: a Snapshot is plain data
		}
		msg := make([]byte, 0, len(body)+24)
		msg = append(append(append(msg, "event: state\ndata: "...), body...), "\n\n"...)
		if !h.send(w, rc, msg) {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-h.closed:
			return
		case <-tick.C:
		}
	}
}

// send writes one event and flushes it, within writeTimeout; it reports
// whether the client took it.
func (h *Handler) send(w http.ResponseWriter, rc *http.ResponseController, msg []byte) bool {
	_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout)) // not every ResponseWriter has deadlines
	if _, err := w.Write(msg); err != nil {
		return false
	}
	return rc.Flush() == nil
}

// page serves the live page.
func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		adminjson.MethodNotAllowed(w, r, "GET, HEAD")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(indexHTML)
}
