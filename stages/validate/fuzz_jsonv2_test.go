//go:build goexperiment.jsonv2

package validate_test

import "encoding/json/jsontext"

// With GOEXPERIMENT=jsonv2, FuzzJSON also holds the stage to jsontext's
// verdict, which by default refuses duplicate names, invalid UTF-8 and
// unpaired surrogates (RFC 7493) as the stage does.
func init() {
	strictReference = func(body []byte) bool { return jsontext.Value(body).IsValid() }
}
