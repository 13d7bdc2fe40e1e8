package tracing

import (
	"net"
	"net/http"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Attribute keys of troupe's own.
const (
	// HopStagesKey names the stages of a hop, in order.
	HopStagesKey = attribute.Key("troupe.hop.stages")
	// HopKindKey is a hop's kind: "stateless" or "stateful".
	HopKindKey = attribute.Key("troupe.hop.kind")
	// HopQueueWaitKey is how long, in seconds, the exchange waited for a
	// stateful stage's actor or for a stage's concurrency slot.
	HopQueueWaitKey = attribute.Key("troupe.hop.queue_wait")
	// StageKey names the stage an event is about.
	StageKey = attribute.Key("troupe.stage")
	// BatchSizeKey is the number of items in a batch.
	BatchSizeKey = attribute.Key("troupe.batch.size")
	// BatchKeyKey is the key the items of a batch were submitted under.
	BatchKeyKey = attribute.Key("troupe.batch.key")
)

// RestartEvent is the name of the event a hop's span gets when one of its
// stages panics (its actor is then restarted).
const RestartEvent = "restart"

// methodName returns method as the semantic conventions name it: one of
// HTTP's methods, or "_OTHER".
func methodName(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "_OTHER"
}

// serverAttributes returns the semantic-convention attributes of r's
// server span known before its route is.
func serverAttributes(r *http.Request) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 10)
	method := methodName(r.Method)
	attrs = append(attrs, semconv.HTTPRequestMethodKey.String(method))
	if method != r.Method {
		attrs = append(attrs, semconv.HTTPRequestMethodOriginal(r.Method))
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	attrs = append(attrs, semconv.URLScheme(scheme), semconv.URLPath(r.URL.Path))
	if host, port := splitHostPort(r.Host); host != "" {
		attrs = append(attrs, semconv.ServerAddress(host))
		if port > 0 {
			attrs = append(attrs, semconv.ServerPort(port))
		}
	}
	if host, _ := splitHostPort(r.RemoteAddr); host != "" {
		attrs = append(attrs, semconv.ClientAddress(host))
	}
	if ua := r.UserAgent(); ua != "" {
		attrs = append(attrs, semconv.UserAgentOriginal(ua))
	}
	if r.ProtoMajor > 0 {
		v := strconv.Itoa(r.ProtoMajor)
		if r.ProtoMajor == 1 {
			v += "." + strconv.Itoa(r.ProtoMinor)
		}
		attrs = append(attrs, semconv.NetworkProtocolVersion(v))
	}
	return attrs
}

// splitHostPort splits "host:port", "[v6]:port" or a bare host; port is 0
// if there is none or it is not a number.
func splitHostPort(hp string) (string, int) {
	host, p, err := net.SplitHostPort(hp)
	if err != nil {
		return strings.Trim(hp, "[]"), 0
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return host, 0
	}
	return host, port
}
