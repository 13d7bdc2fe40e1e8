package batching

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// describeJSONError says what is wrong with a body that did not decode, in
// the JSON terms the client wrote it in rather than in Go's: "features:
// got a string, want an array", not "cannot unmarshal string into Go
// struct field Features.features of type []float64". Byte numbers count
// from 1.
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		where := "the body"
		if typeErr.Field != "" {
			where = typeErr.Field
		}
		got := typeErr.Value
		if got == "bool" {
			got = "boolean"
		}
		return fmt.Sprintf("%s: got %s %s, want %s", where, article(got), got, jsonKind(typeErr.Type))
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Sprintf("not valid JSON at byte %d: %v", syntaxErr.Offset, syntaxErr)
	}
	return err.Error()
}

// jsonKind names the JSON value that decodes into t, with its article.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another value"
}

// article is "an" before a JSON value name that starts with a vowel
// ("an array", "an object"), "a" before the others.
func article(value string) string {
	if value != "" && (value[0] == 'a' || value[0] == 'o' || value[0] == 'i' || value[0] == 'e' || value[0] == 'u') {
		return "an"
	}
	return "a"
}
