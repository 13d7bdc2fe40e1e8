package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/message"
)

// drafts are the values of Config.Draft.
var drafts = map[string]*jsonschema.Draft{
	"":        jsonschema.Draft2020,
	"2020-12": jsonschema.Draft2020,
	"2019-09": jsonschema.Draft2019,
	"7":       jsonschema.Draft7,
	"6":       jsonschema.Draft6,
	"4":       jsonschema.Draft4,
}

// inlineURL names an inline schema for the compiler (and in its errors).
const inlineURL = "urn:troupe:validate:inline-schema"

// compile compiles the schema cfg gives, or returns nil if it gives none.
func compile(cfg Config) (*jsonschema.Schema, error) {
	draft, ok := drafts[cfg.Draft]
	if !ok {
		return nil, fmt.Errorf("draft %q is not one of 2020-12, 2019-09, 7, 6, 4", cfg.Draft)
	}
	var (
		doc any
		loc string
		err error
	)
	switch {
	case cfg.Schema != nil && cfg.SchemaFile != "":
		return nil, errors.New("schema and schema_file are exclusive")
	case cfg.Schema != nil:
		doc, err = normalise(cfg.Schema)
		loc = inlineURL
	case cfg.SchemaFile != "":
		doc, loc, err = load(cfg.SchemaFile)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(draft)
	if cfg.AssertFormat {
		c.AssertFormat()
	}
	if err := c.AddResource(loc, doc); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	sch, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	return sch, nil
}

// normalise turns v, a schema as Go or YAML values, into what jsonschema
// compiles: JSON's own types, with json.Number for numbers. It goes
// through JSON, which also rejects what JSON cannot hold (a YAML mapping
// with non-string keys).
func normalise(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("schema is not JSON: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("schema is not JSON: %w", err)
	}
	return doc, nil
}

// load reads the schema file at path, JSON or YAML by its extension, and
// returns it with its file URL.
func load(path string) (doc any, loc string, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, "", fmt.Errorf("schema_file: %w", err)
	}
	b, err := os.ReadFile(abs)
	if err != nil {
		return nil, "", fmt.Errorf("schema_file: %w", err)
	}
	switch strings.ToLower(filepath.Ext(abs)) {
	case ".yaml", ".yml":
		var v any
		if err := yaml.Unmarshal(b, &v); err != nil {
			return nil, "", fmt.Errorf("schema_file %s: %w", path, err)
		}
		doc, err = normalise(v)
	default:
		doc, err = jsonschema.UnmarshalJSON(bytes.NewReader(b))
	}
	if err != nil {
		return nil, "", fmt.Errorf("schema_file %s: %w", path, err)
	}
	return doc, (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), nil
}

// maxFieldErrors bounds the errors a 422 lists: a large body can fail in
// as many places as it has values.
const maxFieldErrors = 100

// fieldErrors flattens a validation error into its leaves, one FieldError
// each, sorted by pointer: the causes of anyOf, allOf, $ref and the like
// are what a client can act on. A missing required property is reported
// at the property's own pointer.
func fieldErrors(err error, p *message.Printer) []FieldError {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []FieldError{{Pointer: "", Detail: "the body does not match the schema"}}
	}
	var out []FieldError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		if req, ok := e.ErrorKind.(*kind.Required); ok {
			for _, name := range req.Missing {
				out = append(out, FieldError{Pointer: pointer(append(slices.Clip(e.InstanceLocation), name)), Detail: "is required"})
			}
			return
		}
		out = append(out, FieldError{Pointer: pointer(e.InstanceLocation), Detail: e.ErrorKind.LocalizedString(p)})
	}
	walk(ve)
	slices.SortStableFunc(out, func(a, b FieldError) int { return strings.Compare(a.Pointer, b.Pointer) })
	out = slices.Compact(out)
	if len(out) > maxFieldErrors {
		out = out[:maxFieldErrors]
	}
	return out
}

// pointer renders a location as a JSON Pointer (RFC 6901).
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1"))
	}
	return b.String()
}
