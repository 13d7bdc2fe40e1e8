package httpin

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync/atomic"
)

// RequestIDHeader is the header that carries the request id, in and out.
const RequestIDHeader = "X-Request-ID"

// requestIDKey is RequestIDHeader in canonical form, for setting it in a
// header map directly (Header.Get canonicalises; a map key does not).
var requestIDKey = http.CanonicalHeaderKey(RequestIDHeader)

// requestIDs makes request ids: a random per-process prefix and a counter,
// unique within the process and across restarts, and cheap.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return &requestIDs{prefix: hex.EncodeToString(b[:]) + "-"}
}

func (g *requestIDs) next() string {
	var buf [32]byte
	b := append(buf[:0], g.prefix...)
	b = strconv.AppendUint(b, g.n.Add(1), 36)
	return string(b)
}

// validRequestID reports whether a client-sent id may be kept: 1 to 128
// characters from a safe set, so that it can go into logs and headers as
// it is.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}
