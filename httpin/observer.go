package httpin

import "time"

// Rejection is why the ingress answered a request without running its
// pipeline, or stopped waiting for it.
type Rejection string

// The reasons a request is rejected, as counted in metrics.
const (
	RejectOverload   Rejection = "overload"           // past the in-flight limit, or refused by the adaptive limit: 503 (504 for a deadline it cannot meet)
	RejectBadPath    Rejection = "bad_path"           // 400
	RejectNotFound   Rejection = "not_found"          // 404
	RejectMethod     Rejection = "method_not_allowed" // 405
	RejectBodyTooBig Rejection = "body_too_large"     // 413
	RejectBadBody    Rejection = "bad_body"           // 400: the body could not be read
	RejectStageDown  Rejection = "stage_down"         // 503: a stage of the route is down
	RejectDeadline   Rejection = "deadline"           // 504
	RejectClientGone Rejection = "client_gone"        // the client went away first
)

// Rejections lists every Rejection, in the order above.
var Rejections = []Rejection{
	RejectOverload, RejectBadPath, RejectNotFound, RejectMethod, RejectBodyTooBig,
	RejectBadBody, RejectStageDown, RejectDeadline, RejectClientGone,
}

// Observer is told about every request the ingress finishes. It must be
// safe for concurrent use and fast: it runs on the request path.
type Observer interface {
	// Observe records a finished request: its route pattern ("" when no
	// route matched), method (as the client sent it), status (499 when
	// the client went away) and duration.
	Observe(route, method string, status int, d time.Duration)
	// Rejected records a rejection.
	Rejected(reason Rejection)
}

type nopObserver struct{}

func (nopObserver) Observe(string, string, int, time.Duration) {}
func (nopObserver) Rejected(Rejection)                         {}

// ConnRejections lists every ConnRejection.
var ConnRejections = []ConnRejection{ConnOverCap, ConnOverIPCap}

// ConnRejection is the cap a listener's connection was past, when
// LimitListener closed it at once.
type ConnRejection string

// The caps a connection can be past, as counted in metrics.
const (
	ConnOverCap   ConnRejection = "max_connections"        // ConnLimits.Max
	ConnOverIPCap ConnRejection = "max_connections_per_ip" // ConnLimits.PerIP
)

// ConnObserver is told about every connection a listener closes at once
// for being past a cap. An Observer given to Server that also implements
// ConnObserver is told about the Server's listener. It must be safe for
// concurrent use.
type ConnObserver interface {
	// ConnRejected records a connection closed at once.
	ConnRejected(reason ConnRejection)
}

func (nopObserver) ConnRejected(ConnRejection) {}
