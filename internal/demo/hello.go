package demo

import (
	"net/http"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// helloOptions are the options of a hello handler.
type helloOptions struct {
	// Message is the greeting. Defaults to "hello".
	Message string `yaml:"message"`
}

// helloBody is what a hello handler answers.
type helloBody struct {
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

// helloKind is the handler kind "hello": a stateless handler answering 200 with
// {"message": MESSAGE, "request_id": ID}.
//
//	routes:
//	  - {method: GET, path: /hello, handler: hello, options: {message: hi}}
func helloKind() config.Kind {
	return config.Kind{
		Doc: `answers 200 {"message": …, "request_id": …}. Options: message (default hello).`,
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			o := helloOptions{Message: "hello"}
			if err := opts.Decode(&o); err != nil {
				return nil, err
			}
			return troupe.Handler(name, func(ex *actors.Exchange) error {
				return ex.JSON(http.StatusOK, helloBody{Message: o.Message, RequestID: ex.RequestID})
			}), nil
		},
	}
}
