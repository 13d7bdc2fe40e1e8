// Package demo holds the stage and handler kinds of the server's default
// configuration: small, self-contained kinds that show troupe at work —
// response headers, a stage that panics on demand (and is restarted), a
// JSON greeting and an echo.
//
// Each kind is one file: its options, its constructor and its stage. To add
// a kind, write such a file and add a line to Register.
package demo

import "github.com/troupe-go/troupe/config"

// Register adds the demo kinds to reg: the stage kinds header and flaky,
// and the handler kinds hello, echo, items_create and items_get (the last
// two share one in-memory store).
func Register(reg *config.Registry) {
	store := newItemStore()
	reg.RegisterHandler("items_create", itemsCreateKind(store))
	reg.RegisterHandler("items_get", itemsGetKind(store))
	reg.Register("header", headerKind())
	reg.Register("flaky", flakyKind())
	reg.RegisterHandler("hello", helloKind())
	reg.RegisterHandler("echo", echoKind())
}
