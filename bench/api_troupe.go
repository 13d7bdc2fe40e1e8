package bench

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/accesslog"
	"github.com/troupe-go/troupe/stages/auth"
	"github.com/troupe-go/troupe/stages/ratelimit"
	"github.com/troupe-go/troupe/stages/validate"
	"go.uber.org/zap"
)

// APITroupe is the api scenario's troupe peer: a troupe app whose route
// POST /items runs the catalogue's stages, as cmd/server/default.yaml's
// /api example does —
//
//   - the request id: the ingress's own (a valid incoming X-Request-ID is
//     kept, else one is made; it is on every response and log line);
//   - accesslog.New (Global): one JSON line per request, in its after-phase;
//   - auth.APIKey (Auth): the one key, SHA-256 digests compared in constant
//     time; sets the principal;
//   - ratelimit.New (Auth, Stateful: token buckets owned by partitioned
//     actors), keyed on the principal's subject, APIRate/APIBurst;
//   - validate.New (Preprocessing): Content-Type, depth (max 8) and syntax
//     checks, then ItemSchema;
//   - a troupe.Handler that answers 201 with an APIReply and Location.
//
// The stateless stages run on the request's goroutine; the rate limit's
// actor is handed the exchange and hands it back.
// Serve it with Start or mount it with Handler, once. Its methods are safe
// for concurrent use.
type APITroupe struct {
	created atomic.Int64
	app     *troupe.App
}

// NewAPITroupe returns the peer, logging its requests to accessLog and its
// own problems to log.
func NewAPITroupe(log, accessLog *zap.Logger) (*APITroupe, error) {
	access, err := accesslog.New("access-log", accesslog.Config{Logger: accessLog})
	if err != nil {
		return nil, err
	}
	apiKey, err := auth.APIKey("api-key", auth.APIKeyConfig{
		Header: APIKeyHeader,
		Keys:   map[string]auth.APIKeyEntry{APIKeyName: {Key: APIKeyValue}},
	})
	if err != nil {
		return nil, err
	}
	limit, err := ratelimit.New("rate-limit", ratelimit.Config{Rate: APIRate, Burst: APIBurst, Key: "subject"})
	if err != nil {
		return nil, err
	}
	schema, err := validate.New("item-schema", validate.Config{MaxDepth: 8, Schema: itemSchemaDoc()})
	if err != nil {
		return nil, err
	}
	p := &APITroupe{}
	p.app = troupe.New(troupe.Config{
		HTTP:  serverConfig("127.0.0.1:0"),
		Admin: troupe.AdminConfig{Addr: "off"},
	}, troupe.WithLogger(log))
	p.app.Use(access)
	p.app.Handle(http.MethodPost, APIPath, troupe.Handler("items-create", p.create)).
		With(apiKey, limit, schema).
		MaxBodyBytes(APIMaxBodyBytes)
	return p, nil
}

// create answers 201 with the new item's id and the name from the body
// the validate stage decoded.
func (p *APITroupe) create(ex *actors.Exchange) error {
	doc, _ := validate.From(ex)
	item, _ := doc.(map[string]any)
	name, _ := item["name"].(string)
	id := strconv.FormatInt(p.created.Add(1), 10)
	ex.Response.Header().Set("Location", APIPath+"/"+id)
	return ex.JSON(http.StatusCreated, APIReply{ID: id, Name: name})
}

// Handler builds the app and returns its http.Handler, for serving
// without a listener; Close stops it.
func (p *APITroupe) Handler() (http.Handler, error) { return p.app.Handler() }

// Close stops an app built by Handler.
func (p *APITroupe) Close() { _ = p.app.Close(context.Background()) }

// Hits returns how many items the handler has created.
func (p *APITroupe) Hits() int64 { return p.created.Load() }

// Start builds the app and serves on 127.0.0.1, on a free port, until
// Shutdown. addr is ignored: the app is configured when it is made.
func (p *APITroupe) Start(string) error { return p.app.Start() }

// Addr returns the address the peer serves on, once started.
func (p *APITroupe) Addr() net.Addr { return p.app.Addr() }

// Shutdown stops the app gracefully.
func (p *APITroupe) Shutdown(ctx context.Context) error { return p.app.Shutdown(ctx) }
