package httpin

import "net/http"

// framingGuard is the http.Handler that closes the connection after every
// request whose framing a front proxy could have read differently: one
// that came with a Transfer-Encoding (net/http has already dropped a
// Content-Length beside it, as RFC 9112 §6.3 says, but §6.1 wants the
// connection closed then too), and every HTTP/1.0 request, since net/http
// drops a Transfer-Encoding on HTTP/1.0 without a trace and frames the
// body by Content-Length, or as empty. Closing the connection means bytes
// framed one way by the proxy and another by the server are never read as
// a next request. Server puts it in front of its handler unless
// Config.LenientFraming is set.
type framingGuard struct {
	next http.Handler
}

// ServeHTTP implements http.Handler.
func (f framingGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 1 && (len(r.TransferEncoding) > 0 || r.ProtoMinor == 0) {
		closeAfter(w)
	}
	f.next.ServeHTTP(w, r)
}

// closeAfter makes w close its connection after the response.
func closeAfter(w http.ResponseWriter) {
	if gw, ok := w.(*guardWriter); ok {
		gw.closeConn.Store(true) // set as the header goes: the handler cannot drop it
		return
	}
	w.Header().Set("Connection", "close")
}
