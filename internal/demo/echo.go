package demo

import (
	"net/http"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// echoKind is the handler kind "echo": a stateless handler answering 200 with
// the request's body and Content-Type (application/octet-stream if it has
// none). It takes no options.
//
//	routes:
//	  - {method: POST, path: /echo, handler: echo, max_body_bytes: 65536}
func echoKind() config.Kind {
	return config.Kind{
		Doc: "answers 200 with the request's body and content type. No options.",
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var none struct{}
			if err := opts.Decode(&none); err != nil {
				return nil, err
			}
			return troupe.Handler(name, echo), nil
		},
	}
}

// echo answers with the request's body and content type.
func echo(ex *actors.Exchange) error {
	ct := ex.Request.Header.Get("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	ex.Respond(http.StatusOK, ct, ex.Body)
	return nil
}
