package validate

import "github.com/troupe-go/troupe/config"

// Register adds the stage kind validate to reg.
//
//	stages:
//	  item-body:
//	    kind: validate
//	    options:
//	      max_bytes: 65536
//	      max_depth: 32               # the default
//	      allow_duplicate_keys: false # the default: {"a":1,"a":2} is 400
//	      schema:
//	        type: object
//	        required: [name]
//	        properties:
//	          name: {type: string, minLength: 1}
func Register(reg *config.Registry) {
	reg.Register("validate", config.StageKind("checks JSON request bodies: Content-Type (415), size (413), nesting depth, syntax, UTF-8 and duplicate keys (400), "+
		"JSON Schema (422 problem+json with errors[{pointer, detail}]); keeps the decoded body for handlers. "+
		"Options: methods (default [POST, PUT, PATCH]), max_bytes (default: the route's limit), "+
		"max_depth (default 32, at most 10000), schema (inline) or schema_file (JSON or YAML), "+
		"draft (default 2020-12), assert_format (default false), allow_empty (default false), "+
		"allow_duplicate_keys (default false: an object with a key twice is 400).",
		Priority, New))
}
