package config

import (
	"fmt"
	"maps"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"unicode"

	"github.com/troupe-go/troupe"
)

// ParseNext parses data as Parse does, as the configuration that is to
// replace prev on a running app (see Apply): every stage, handler and
// shared resource (an upstream) whose configuration is the same as in prev
// is prev's very value, so that the app carries it over with its actors,
// components and state. The same means: the same kind and name, and the
// same YAML as written (aliases expanded; formatting, comments and lines
// do not count, the order of keys does) for its whole stage entry but
// supervision, or, for a handler, its route's method and full pattern,
// handler, options and concurrency; and the same holds for every shared
// resource it names. Everything is still built and checked anew, so a
// file with errors is refused as Parse refuses it. A file an option names
// (a JWKS, a schema) is read again only if the options change.
func ParseNext(filename string, data []byte, reg *Registry, prev *Config) (*Config, error) {
	if reg == nil {
		reg = &Registry{}
	}
	p := newParser(filename, reg)
	p.prev = prev
	c, err := p.parse(data)
	if c != nil {
		c.replaces = prev
	}
	return c, err
}

// LoadNext reads and parses the configuration file at path; see ParseNext.
func LoadNext(path string, reg *Registry, prev *Config) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseNext(path, data, reg, prev)
}

// var _ checks that routes can be declared on an Update's Router.
var _ declarer = (*troupe.Router)(nil)

// Apply makes app, built from an earlier configuration and running, serve
// c's global stages, groups, routes, components and stages' admin routes,
// through app.Update: without dropping a request, carrying over what c
// took from the configuration app runs (ParseNext). Settings that need a
// restart (NeedsRestart) are not applied. On error, app serves as before.
func (c *Config) Apply(app *troupe.App) (*troupe.Changes, error) {
	if c.logs != nil {
		c.logs.set(app.Logger().Core())
	}
	ch, err := app.Update(func(r *troupe.Router) error {
		r.Reset()
		r.Use(c.Global...)
		r.Add(c.components...)
		declare(r, c.Groups, c.Routes)
		routes := c.adminRoutes()
		if c.replaces != nil {
			for pattern := range c.replaces.adminRoutes() {
				if _, ok := routes[pattern]; !ok {
					r.RemoveAdmin(pattern)
				}
			}
		}
		for _, pattern := range slices.Sorted(maps.Keys(routes)) {
			r.AdminHandle(pattern, routes[pattern])
		}
		return nil
	})
	if err == nil {
		c.replaces = nil // not kept: each configuration would hold every earlier one
	}
	return ch, err
}

// adminRoutes returns the admin routes of the configuration's stages (see
// AdminRouter), by pattern.
func (c *Config) adminRoutes() map[string]http.Handler {
	out := map[string]http.Handler{}
	for _, name := range slices.Sorted(maps.Keys(c.Stages)) {
		if ar, ok := c.Stages[name].Stage.(AdminRouter); ok {
			maps.Copy(out, ar.AdminRoutes())
		}
	}
	return out
}

// NeedsRestart returns the settings of c that differ from prev's and that
// a running server takes only when it restarts, by their keys
// ("server.addr", "log.level", "supervision", "supervision of NAME"):
// everything under server (the listener, its limits and timeouts, the
// ingress's defaults and its adaptive limit), admin, log, the top-level
// supervision and the supervision of a stage or route. Stages, stacks,
// shared resources (upstreams), global stages, groups and routes —
// including a route's timeout, body limit and criticality — are applied.
func (c *Config) NeedsRestart(prev *Config) []string {
	var out []string
	cv, pv := reflect.ValueOf(c.App.HTTP), reflect.ValueOf(prev.App.HTTP)
	for i := range cv.NumField() {
		f := cv.Type().Field(i)
		if !f.IsExported() || reflect.DeepEqual(cv.Field(i).Interface(), pv.Field(i).Interface()) {
			continue
		}
		out = append(out, serverKey(f.Name))
	}
	if c.App.Admin != prev.App.Admin {
		out = append(out, "admin.addr")
	}
	if c.Log.Format != prev.Log.Format {
		out = append(out, "log.format")
	}
	if c.Log.Level != prev.Log.Level {
		out = append(out, "log.level")
	}
	if c.App.Supervision != prev.App.Supervision {
		out = append(out, "supervision")
	}
	names := map[string]bool{}
	for n := range c.App.Policies {
		names[n] = true
	}
	for n := range prev.App.Policies {
		names[n] = true
	}
	for _, n := range slices.Sorted(maps.Keys(names)) {
		cp, cok := c.App.Policies[n]
		pp, pok := prev.App.Policies[n]
		if cok != pok || cp != pp {
			out = append(out, "supervision of "+n)
		}
	}
	return out
}

// serverKey returns the configuration key of an httpin.Config field.
func serverKey(field string) string {
	switch field {
	case "StaticLimit":
		return "server.overload.adaptive"
	case "CriticalityHeader", "CriticalityTrusted":
		return "server.overload." + snake(field)
	}
	return "server." + snake(field)
}

// snake turns a Go field name into its snake_case key: MaxInFlight →
// max_in_flight.
func snake(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])) {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
