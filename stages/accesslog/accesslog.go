// Package accesslog is the stage that writes one log line per request,
// when the response is final:
//
//	{"level":"info","ts":…,"msg":"request","request_id":"…","method":"GET","route":"/items/{id}",
//	 "path":"/items/7","status":200,"bytes":512,"duration":0.0012,"client_ip":"203.0.113.9","user_agent":"curl/8.5.0"}
//
//	spec, err := accesslog.New("access-log", accesslog.Config{Logger: logger})
//	if err != nil { … }
//	app.Use(spec)
//
// It is first (Priority, Global): its after-phase runs last on the way out, so it
// sees the status and the body (bytes, after compression) the client
// gets, and the duration from the ingress's admission (Exchange.Start). A
// request whose later stage fails or panics is logged like any other
// (with its 4xx or 5xx), because failed exchanges go back through the
// after-phases of the stages that let them through. The client address
// is clientip.From: put the clientip stage before this one to log the
// address behind trusted proxies.
//
// The query string is not logged (it may hold tokens). Strings the client
// chose (method, path, user agent, request id) cannot break or forge a
// line: zap's JSON encoder escapes quotes and control characters, and the
// stage first rewrites anything that is not printable (controls, DEL, C1
// controls, U+2028 and U+2029, bidirectional overrides, invalid UTF-8) and
// backslashes as Go escapes (\n, \u2028, \xff, \\), so that the values
// stay on one line even once decoded.
//
// Requests the ingress answers before any stage runs (400, 404, 405, 413,
// 503 at the in-flight limit) are not logged; the ingress's metrics count
// them. An exchange the ingress gave up on (504 at the deadline, or the
// client gone) is logged once the pipeline has finished with it, if the
// pipeline runs its after-phases, with "abandoned":true, the status the
// client got (504) or 499 when the client left first, and bytes 0 (the
// pipeline's body was never sent).
//
// A request that is traced (the app has a TracerProvider and head
// sampling kept it) has "trace_id" and "span_id" too: its server span's.
//
// A streamed response (Exchange.RespondStream: the proxy's, for one) is
// logged when the ingress has finished copying it and closes the stream,
// with the bytes it copied and the duration to then, and "streamed":true;
// "cut":true says the stream broke off before its end.
package accesslog

import (
	"net/http"
	"os"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/clientip"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// stage logs in its after-phase. It is safe for concurrent use.
type stage struct {
	log *zap.Logger
}

var _ actors.AfterStage = stage{}

// Priority is the priority of an access-log stage: actors.Global, so that
// it sees the response the client gets.
const Priority = actors.Global

// Config configures an access-log stage. It has no YAML options: the
// configuration gives the stage the app's logger.
type Config struct {
	// Logger receives the lines, at Info level with the message "request".
	// Nil: JSON lines on the process's standard error, unsampled, named
	// "access" (a logger that leaves Info out logs nothing).
	Logger *zap.Logger `yaml:"-"`
}

// New returns the Spec of an access-log stage named name: stateless, of
// priority Priority. It never fails; the error is there for the shape
// every stage package's New shares.
func New(name string, cfg Config) (*actors.Spec, error) {
	log := cfg.Logger
	if log == nil {
		log = stderrLogger(zapcore.Lock(os.Stderr))
	}
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: Priority, Stage: stage{log: log}}, nil
}

// stderrLogger returns the logger of a stage given none: JSON lines on w,
// at Info, unsampled (an access log must not drop lines), named "access".
func stderrLogger(w zapcore.WriteSyncer) *zap.Logger {
	return zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), w, zap.InfoLevel)).Named("access")
}

// Process does nothing: the stage logs on the way out.
func (stage) Process(*actors.Exchange) error { return nil }

// After writes the request's line, or for a streamed response arranges
// for it to be written once the stream is closed.
func (s stage) After(ex *actors.Exchange) {
	if !s.log.Core().Enabled(zap.InfoLevel) {
		return
	}
	status, size, abandoned := ex.Response.Status, len(ex.Response.Body), false
	switch {
	case ex.Expired():
		// The deadline passed first: the ingress answered 504 itself.
		status, size, abandoned = http.StatusGatewayTimeout, 0, true
	case ex.ClientGone():
		status, size, abandoned = 499, 0, true // the client went away
	case status == 0:
		status = http.StatusOK
	}
	fields := s.fields(ex, status)
	if !abandoned && ex.Response.Streaming() {
		// The body has not been copied yet: log once it has been.
		start := ex.Start
		ex.Response.Stream = &countedStream{ReadCloser: ex.Response.Stream, done: func(n int64, cut bool) {
			fields = append(fields, zap.Int64("bytes", n), since(start), zap.Bool("streamed", true))
			if cut {
				fields = append(fields, zap.Bool("cut", true))
			}
			s.log.Info("request", fields...)
		}}
		return
	}
	if abandoned {
		fields = append(fields, zap.Int("bytes", size), since(ex.Start), zap.Bool("abandoned", true))
		s.log.Info("request", fields...)
		return
	}
	// Logged once written: a client that stops reading, or leaves, cuts the
	// write short, and the line says so, with the bytes that went out.
	start := ex.Start
	ex.Response.OnWritten(func(n int64, err error) {
		fields = append(fields, zap.Int64("bytes", n), since(start))
		if err != nil {
			fields = append(fields, zap.Bool("cut", true))
		}
		s.log.Info("request", fields...)
	})
}

// fields returns the line's fields that are known once the status is.
func (stage) fields(ex *actors.Exchange, status int) []zap.Field {
	r := ex.Request
	ip := ""
	if a := clientip.From(ex); a.IsValid() {
		ip = a.String()
	}
	fields := append(make([]zap.Field, 0, 14),
		zap.String("request_id", clean(ex.RequestID)),
		zap.String("method", clean(r.Method)),
		zap.String("route", clean(ex.Route)),
		zap.String("path", clean(r.URL.Path)),
		zap.Int("status", status),
		zap.String("client_ip", ip),
		zap.String("user_agent", clean(r.UserAgent())),
	)
	return appendTrace(fields, ex)
}

// since is the duration field: the time from the ingress's admission.
func since(start time.Time) zap.Field {
	var took time.Duration
	if !start.IsZero() {
		took = time.Since(start)
	}
	return zap.Duration("duration", took)
}
