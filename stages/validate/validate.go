// Package validate is the stage that checks JSON request bodies before a
// handler sees them, and keeps the decoded body for the handler:
//
//	item, err := validate.New("item-body", validate.Config{Schema: map[string]any{
//		"type":     "object",
//		"required": []any{"name"},
//	}})
//	if err != nil { … }
//	app.POST("/items", create).With(item)
//
// For requests whose method is in Config.Methods and that have a body, in
// this order:
//
//   - the Content-Type must be application/json or a +json type such as
//     application/merge-patch+json (parameters are ignored), else 415 with
//     an Accept header;
//   - the body must be at most Config.MaxBytes, else 413 (the route's own
//     body limit is enforced before any stage runs);
//   - one pass over the bytes, before anything is decoded and stopping at
//     the first fault, checks that the body is one valid JSON value (else
//     400 saying what encoding/json finds wrong and at which byte); that
//     arrays and objects nest at most Config.MaxDepth deep (default 32;
//     else 400); that every string and key is valid UTF-8 and has no \u
//     escape of half a UTF-16 surrogate pair (RFC 8259 §8.1, RFC 7493
//     §2.1); and, unless Config.AllowDuplicateKeys is set, that no object
//     has a key twice, keys compared as decoded, so "a" and "\u0061" are
//     one key, while "a" and "A" are two. Those last three are answered 400
//     with a problem+json body whose detail gives the byte offset and whose
//     "errors" member the JSON Pointer of the value (of the object, for a
//     bad key): {"pointer": "/price", "detail": "duplicate key"};
//   - it must match the schema, if one is configured, else 422 with a
//     problem+json body whose "errors" member lists each failure as
//     {"pointer": "/items/0/name", "detail": "…"}.
//
// So a body that passes means the same to every parser that matches keys
// exactly, as RFC 8259 has it: a handler may store or forward it as sent.
// (The schema sees the decoded body; were duplicate keys let through, it
// would check the last value of a key while a parser that keeps the first
// saw another.) One difference remains: encoding/json fills a struct field
// from a key that matches its name in any case, so "price" and "Price" both
// set a field Price, the last one winning. A handler that decodes the raw
// body into a struct should read From instead, or the schema should list
// its properties with "additionalProperties": false.
//
// The pass allocates nothing (its state is pooled); it compares the keys
// of an object of up to 16 keys one by one, and a wider object's through a
// set of their hashes, so that its cost stays linear in the body.
//
// A request without a body passes untouched, unless a schema is configured
// and Config.AllowEmpty is not set: then it is 400. Handlers read the
// decoded body with From; numbers are json.Number, so none loses
// precision.
package validate

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/troupe-go/troupe/actors"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// DefaultMaxDepth is the nesting limit when Config.MaxDepth is zero.
const DefaultMaxDepth = 32

// Config configures a validate stage. The zero value checks the
// Content-Type, syntax, depth, UTF-8 and keys of POST, PUT and PATCH
// bodies, with no schema.
type Config struct {
	// Methods are the request methods whose bodies are checked. Defaults
	// to POST, PUT and PATCH.
	Methods []string `yaml:"methods"`
	// MaxBytes, when positive, bounds the body below the route's limit
	// (413). Zero: the route's limit only.
	MaxBytes int64 `yaml:"max_bytes"`
	// MaxDepth bounds how deep arrays and objects nest (400). Defaults to
	// DefaultMaxDepth (32); at most MaxDepthLimit (10,000).
	MaxDepth int `yaml:"max_depth"`
	// Schema is a JSON Schema given inline: a value as encoding/json or a
	// YAML decoder produces it (maps, slices, strings, numbers, booleans).
	// At most one of Schema and SchemaFile may be set.
	Schema any `yaml:"schema"`
	// SchemaFile is the path of a JSON Schema file, JSON or (by its .yaml
	// or .yml extension) YAML; a relative path is relative to the working
	// directory. Its relative $refs resolve against it.
	SchemaFile string `yaml:"schema_file"`
	// Draft is the JSON Schema draft of a schema without $schema: one of
	// "2020-12", "2019-09", "7", "6", "4". Defaults to "2020-12".
	Draft string `yaml:"draft"`
	// AssertFormat makes "format" an assertion (an "email" that is not one
	// fails) rather than the annotation draft 2020-12 makes it.
	AssertFormat bool `yaml:"assert_format"`
	// AllowEmpty lets requests without a body through a stage that has a
	// schema. Without a schema they always pass.
	AllowEmpty bool `yaml:"allow_empty"`
	// AllowDuplicateKeys lets through objects that have a key twice. By
	// default they are refused (400): the decoded body keeps the last
	// value of a key, which is what the schema checks, but a handler that
	// stores the body as sent hands both to whoever reads it later, and
	// parsers that keep the first value see one that was never checked.
	AllowDuplicateKeys bool `yaml:"allow_duplicate_keys"`
}

// Key is where the stage keeps the decoded body of a request it checked;
// From reads it.
var Key = actors.NewKey[any]("validate.body")

// From returns the request body the validate stage decoded (a value of
// map[string]any, []any, string, json.Number, bool or nil), and whether
// the stage decoded one.
func From(ex *actors.Exchange) (any, bool) { return Key.Get(ex) }

// validator is the stage. It is immutable and safe for concurrent use.
type validator struct {
	methods    []string
	maxBytes   int64
	maxDepth   int
	schema     *jsonschema.Schema // nil: syntax checks only
	allowEmpty bool
	dupes      bool             // refuse duplicate keys
	printer    *message.Printer // renders schema errors, in English
}

var _ actors.Stage = (*validator)(nil)

// Priority is the priority of a validate stage: actors.Preprocessing,
// after the authentication stages, so that anonymous clients do not get
// to make the server decode their bodies.
const Priority = actors.Preprocessing

// New returns the Spec of a validate stage named name: stateless, of
// priority Priority. It fails for a bad option or a schema that does not
// compile. The schema is compiled here, once.
func New(name string, cfg Config) (*actors.Spec, error) {
	v, err := newValidator(cfg)
	if err != nil {
		return nil, err
	}
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: Priority, Stage: v}, nil
}

// newValidator returns the stage cfg describes, or an error for a bad
// option or a schema that does not compile.
func newValidator(cfg Config) (*validator, error) {
	v := &validator{methods: cfg.Methods, maxBytes: cfg.MaxBytes, maxDepth: cfg.MaxDepth, allowEmpty: cfg.AllowEmpty,
		dupes: !cfg.AllowDuplicateKeys, printer: message.NewPrinter(language.English)}
	if len(v.methods) == 0 {
		v.methods = []string{http.MethodPost, http.MethodPut, http.MethodPatch}
	}
	if v.maxDepth == 0 {
		v.maxDepth = DefaultMaxDepth
	}
	switch {
	case v.maxBytes < 0:
		return nil, fmt.Errorf("validate: max_bytes must not be negative, got %d", v.maxBytes)
	case v.maxDepth < 0:
		return nil, fmt.Errorf("validate: max_depth must not be negative, got %d", v.maxDepth)
	case v.maxDepth > MaxDepthLimit:
		return nil, fmt.Errorf("validate: max_depth must be at most %d, got %d", MaxDepthLimit, v.maxDepth)
	case slices.Contains(v.methods, ""):
		return nil, fmt.Errorf("validate: methods must not hold an empty method")
	}
	sch, err := compile(cfg)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	v.schema = sch
	return v, nil
}

// Process checks the body, keeps the decoded value, or ends the exchange
// with 400, 413, 415 or 422.
func (v *validator) Process(ex *actors.Exchange) error {
	if !slices.Contains(v.methods, ex.Request.Method) {
		return nil
	}
	if len(ex.Body) == 0 {
		if v.schema != nil && !v.allowEmpty {
			return actors.NewError(http.StatusBadRequest, "the request needs a JSON body")
		}
		return nil
	}
	if !isJSON(ex.Request.Header.Get("Content-Type")) {
		ex.Response.Header().Set("Accept", "application/json")
		return actors.NewError(http.StatusUnsupportedMediaType, "the request body must be application/json")
	}
	if v.maxBytes > 0 && int64(len(ex.Body)) > v.maxBytes {
		return actors.Errorf(http.StatusRequestEntityTooLarge, "the request body is larger than %d bytes", v.maxBytes)
	}
	if f := check(ex.Body, v.maxDepth, v.dupes); f.kind != faultNone {
		return v.reject(ex, f)
	}
	doc, err := decode(ex.Body)
	if err != nil {
		return err
	}
	if v.schema != nil {
		if err := v.schema.Validate(doc); err != nil {
			ex.Respond(http.StatusUnprocessableEntity, actors.ProblemContentType,
				problemBody(ex, http.StatusUnprocessableEntity, "the request body does not match the schema", fieldErrors(err, v.printer)))
			return nil
		}
	}
	Key.Set(ex, doc)
	return nil
}
