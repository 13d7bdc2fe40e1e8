package main

import (
	"net/http"
	"os"
	"sync"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// jobLogKind is the handler kind job_log: it appends each request's body
// and a newline to a file, one write per execution, and answers 200 with
// the body. As a queue's handler it is the idempotent handler that counts
// its executions: a job run twice is two lines of the same payload. The
// crash test (crash_test.go) reads it.
func jobLogKind() config.Kind {
	return config.Kind{
		Doc: "appends each request's body and a newline to a file, one write per request, and answers 200 with the body. Options: file (required).",
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var o struct {
				File string `yaml:"file"`
			}
			if err := opts.Decode(&o); err != nil {
				return nil, err
			}
			if o.File == "" {
				return nil, opts.Errorf("job_log: file is required")
			}
			var (
				once sync.Once
				f    *os.File
				err  error
			)
			return troupe.Handler(name, func(ex *actors.Exchange) error {
				once.Do(func() { f, err = os.OpenFile(o.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644) })
				if err != nil {
					return err
				}
				// One write with O_APPEND: lines of concurrent executions
				// never interleave.
				if _, err := f.Write(append(append([]byte(nil), ex.Body...), '\n')); err != nil {
					return err
				}
				ex.Respond(http.StatusOK, "text/plain", ex.Body)
				return nil
			}), nil
		},
	}
}
