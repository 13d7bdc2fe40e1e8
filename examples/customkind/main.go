// Command customkind runs a server declared in YAML that uses a stage kind
// of its own. main.go registers two kinds beside troupe's catalogue:
// api_version, a stage that sets the API-Version response header, and
// text, a handler that answers a fixed text; troupe.yaml names them. A bad
// option is refused, like any configuration error, at its FILE:LINE. Run it
// with `go run ./examples/customkind` (or `-config yours.yaml`) and try
//
//	curl -i localhost:8080/v2/hello   # API-Version: v2, and the security headers
//	curl -i localhost:8080/hello      # the security headers only
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os/signal"
	"regexp"
	"syscall"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/stages"
)

//go:embed troupe.yaml
var embedded []byte

func main() {
	path := flag.String("config", "", "a configuration file to run instead of the embedded troupe.yaml")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cfg, err := load(*path)
	if err == nil {
		err = cfg.Build().Run(ctx)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// load parses the configuration file at path, or the embedded troupe.yaml
// when path is "". Every problem comes back as FILE:LINE: reason.
func load(path string) (*config.Config, error) {
	if path == "" {
		return config.Parse("troupe.yaml", embedded, registry())
	}
	return config.Load(path, registry())
}

// registry returns the kinds a configuration may name: the catalogue's and
// this program's own.
func registry() *config.Registry {
	reg := &config.Registry{}
	stages.Register(reg) // cors, rate_limit, security_headers, …
	reg.Register("api_version", config.StageKind("sets the API-Version response header. Options: version (required: v and a number, like v2).",
		apiVersionPriority, newAPIVersion))
	reg.RegisterHandler("text", config.StageKind("answers 200 with a fixed text. Options: body.", actors.Terminating, newText))
	return reg
}

// versionOptions are api_version's options. An option the struct lacks is
// refused at its line by the configuration.
type versionOptions struct {
	Version string `yaml:"version"`
}

var versionPattern = regexp.MustCompile(`^v[0-9]+$`)

// apiVersionPriority is the priority of an api_version stage, unless the
// configuration gives it another.
const apiVersionPriority = actors.Global

// newAPIVersion builds an api_version stage named name: stateless, run on
// the request's own goroutine. It has the shape of the catalogue's
// constructors, so Go code can call it as well as the configuration.
func newAPIVersion(name string, o versionOptions) (*actors.Spec, error) {
	if !versionPattern.MatchString(o.Version) {
		return nil, fmt.Errorf("api_version: version %q: want v and a number, like v2", o.Version)
	}
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: apiVersionPriority, Stage: actors.StageFunc(func(ex *actors.Exchange) error {
		ex.Response.Header().Set("API-Version", o.Version)
		return nil
	})}, nil
}

// textOptions are text's options.
type textOptions struct {
	Body string `yaml:"body"`
}

// newText builds a text handler named name.
func newText(name string, o textOptions) (*actors.Spec, error) {
	body := []byte(o.Body)
	return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: actors.Terminating, Stage: actors.StageFunc(func(ex *actors.Exchange) error {
		ex.Respond(http.StatusOK, "text/plain; charset=utf-8", body)
		return nil
	})}, nil
}
