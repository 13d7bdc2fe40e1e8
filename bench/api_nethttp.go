package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.uber.org/zap"
)

// APINetHTTP is the api scenario's baseline: the same features as
// APITroupe, as plain net/http middleware from well-known libraries, the
// way a Go service commonly assembles them —
//
//   - github.com/go-chi/chi/v5 routes, and its middleware.RequestID makes
//     the request id (keeping an incoming X-Request-Id), which a one-line
//     middleware echoes on the response, as troupe does;
//   - an access-log middleware on chi's middleware.WrapResponseWriter,
//     writing the same zap fields as troupe's stages/accesslog;
//   - API-key auth: SHA-256 of the presented key compared with the
//     digest of the one key in constant time (hand-written: no library is
//     standard for this), 401 with an ApiKey challenge;
//   - github.com/go-chi/httprate, keyed on the API key header,
//     APIRate per second (a sliding-window counter rather than troupe's
//     token bucket: both never trigger here);
//   - github.com/santhosh-tekuri/jsonschema/v6 (compiled once):
//     Content-Type check, the body read under http.MaxBytesReader, decoded
//     with the library's UnmarshalJSON, validated against ItemSchema; the
//     decoded body goes to the handler in the request's context;
//   - a handler that answers 201 with an APIReply and Location.
//
// Errors are problem+json bodies shaped like troupe's. Its methods are
// safe for concurrent use; Start and Shutdown are each called once.
type APINetHTTP struct {
	created atomic.Int64
	handler http.Handler

	plainServer
}

// NewAPINetHTTP returns the peer, logging its requests to accessLog.
func NewAPINetHTTP(accessLog *zap.Logger) (*APINetHTTP, error) {
	schema, err := compileItemSchema()
	if err != nil {
		return nil, err
	}
	p := &APINetHTTP{}
	r := chi.NewRouter()
	r.Use(middleware.RequestID, echoRequestID, zapAccessLog(accessLog))
	r.With(
		requireAPIKey(APIKeyValue),
		httprate.LimitBy(APIBurst, time.Second, keyByAPIKey, httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, r, http.StatusTooManyRequests, "rate limit exceeded", nil)
		})),
		validateJSON(schema, APIMaxBodyBytes),
	).Post(APIPath, p.create)
	p.handler = r
	return p, nil
}

func compileItemSchema() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(ItemSchema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	const url = "urn:bench:item-schema"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// Handler returns the router with its middleware, without a server.
func (p *APINetHTTP) Handler() http.Handler { return p.handler }

// Hits returns how many items the handler has created.
func (p *APINetHTTP) Hits() int64 { return p.created.Load() }

// Start serves on addr ("" means 127.0.0.1 on a free port) until Shutdown.
func (p *APINetHTTP) Start(addr string) error { return p.serve(addr, p.handler) }

type itemKey struct{}

// create answers 201 with the new item's id and the name from the body
// validateJSON decoded.
func (p *APINetHTTP) create(w http.ResponseWriter, r *http.Request) {
	item, _ := r.Context().Value(itemKey{}).(map[string]any)
	name, _ := item["name"].(string)
	id := strconv.FormatInt(p.created.Add(1), 10)
	b, err := json.Marshal(APIReply{ID: id, Name: name})
	if err != nil {
		writeProblem(w, r, http.StatusInternalServerError, "internal error", nil)
		return
	}
	w.Header().Set("Location", APIPath+"/"+id)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(b)
}

// echoRequestID puts the request id chi's RequestID chose on the response.
func echoRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-ID", middleware.GetReqID(r.Context()))
		next.ServeHTTP(w, r)
	})
}

// zapAccessLog writes one line per request to log once the handler has
// returned, with the fields of troupe's stages/accesslog.
func zapAccessLog(log *zap.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			ip := ""
			if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
				ip = ap.Addr().Unmap().String()
			}
			log.Info("request",
				zap.String("request_id", middleware.GetReqID(r.Context())),
				zap.String("method", r.Method),
				zap.String("route", chi.RouteContext(r.Context()).RoutePattern()),
				zap.String("path", r.URL.Path),
				zap.Int("status", status),
				zap.Int("bytes", ww.BytesWritten()),
				zap.Duration("duration", time.Since(start)),
				zap.String("client_ip", ip),
				zap.String("user_agent", r.UserAgent()),
			)
		})
	}
}

// requireAPIKey lets through requests whose APIKeyHeader is key, comparing
// SHA-256 digests in constant time, and answers 401 otherwise.
func requireAPIKey(key string) func(http.Handler) http.Handler {
	want := sha256.Sum256([]byte(key))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got := r.Header.Get(APIKeyHeader)
			if got == "" {
				unauthorized(w, r, "an API key is required")
				return
			}
			d := sha256.Sum256([]byte(got))
			if subtle.ConstantTimeCompare(d[:], want[:]) != 1 {
				unauthorized(w, r, "the API key is not valid")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func unauthorized(w http.ResponseWriter, r *http.Request, detail string) {
	w.Header().Set("WWW-Authenticate", `ApiKey realm="bench"`)
	writeProblem(w, r, http.StatusUnauthorized, detail, nil)
}

// keyByAPIKey is httprate's key: the API key, which requireAPIKey checked.
func keyByAPIKey(r *http.Request) (string, error) { return r.Header.Get(APIKeyHeader), nil }

// validateJSON checks POST bodies: application/json (415), at most
// maxBytes (413), one JSON value (400), matching schema (422 with the
// failing fields). It passes the decoded body on in the context.
func validateJSON(schema *jsonschema.Schema, maxBytes int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
			if !strings.EqualFold(strings.TrimSpace(mt), "application/json") {
				w.Header().Set("Accept", "application/json")
				writeProblem(w, r, http.StatusUnsupportedMediaType, "the request body must be application/json", nil)
				return
			}
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBytes))
			if err != nil {
				if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
					writeProblem(w, r, http.StatusRequestEntityTooLarge, "the request body is too large", nil)
					return
				}
				writeProblem(w, r, http.StatusBadRequest, "the request body could not be read", nil)
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
			if err != nil {
				writeProblem(w, r, http.StatusBadRequest, "the request body is not valid JSON", nil)
				return
			}
			if err := schema.Validate(doc); err != nil {
				writeProblem(w, r, http.StatusUnprocessableEntity, "the request body does not match the schema", fieldErrors(err))
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), itemKey{}, doc)))
		})
	}
}

type fieldError struct {
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
}

// fieldErrors lists the leaf failures of a jsonschema validation error.
func fieldErrors(err error) []fieldError {
	ve, ok := errors.AsType[*jsonschema.ValidationError](err)
	if !ok {
		return []fieldError{{Detail: err.Error()}}
	}
	var out []fieldError
	for _, u := range ve.BasicOutput().Errors {
		if u.Error != nil && len(u.Errors) == 0 {
			out = append(out, fieldError{Pointer: u.InstanceLocation, Detail: u.Error.String()})
		}
	}
	return out
}

// problem is an RFC 9457 body shaped like troupe's.
type problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []fieldError `json:"errors,omitempty"`
}

func writeProblem(w http.ResponseWriter, r *http.Request, status int, detail string, errs []fieldError) {
	b, _ := json.Marshal(problem{
		Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail,
		Instance: r.URL.Path, RequestID: middleware.GetReqID(r.Context()), Errors: errs,
	})
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
