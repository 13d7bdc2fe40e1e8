package config

import (
	"errors"
	"fmt"
	"github.com/troupe-go/troupe/stages/when"
	"golang.org/x/net/http/httpguts"
	"maps"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/overload"
	"github.com/troupe-go/troupe/routing"
	"github.com/troupe-go/troupe/supervisor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.yaml.in/yaml/v3"
)

// parser walks the YAML node tree of one file, building a Config and
// collecting every error with its line. It never stops at the first error:
// a bad value is reported and parsing goes on with the zero value.
type parser struct {
	file     string
	reg      *Registry
	cfg      *Config
	errs     []error
	base     supervisor.Policy // the top-level supervision
	declared map[string]bool   // stage names declared, built or not

	declaredNames []string // declared's keys, sorted, for errors: a cache
	routes        int      // route entries seen, valid or not
	lastLine      int      // the file's last line: no error is reported past it

	// limit bounds stackRefs, the stage references resolved through
	// stacks, as it bounds the expansion of aliases of a document of
	// nodes nodes (see checkExpansion); stacksTooBig is set once that is
	// reported.
	nodes, limit int
	stackRefs    int
	stacksTooBig bool

	// patternLimit bounds patternBytes, the bytes of the full prefixes of
	// groups and patterns of routes, which nested groups repeat: a file
	// of fileBytes bytes may have expansionRatio times that, or
	// minPatternBytes; patternsTooBig is set once that is reported.
	fileBytes, patternLimit int
	patternBytes            int
	patternsTooBig          bool

	stackSpecs map[string][]*actors.Spec // resolved stacks, by name

	// prev is the configuration a reload replaces (ParseNext), whose
	// stages, handlers and resources are carried over where their
	// fingerprints match (carry.go); deps records what the kind being
	// built looks up with Options.Shared.
	prev *Config
	deps *deps

	// scratch computes full route patterns exactly as troupe does; table
	// and first catch bad patterns and conflicts at their lines.
	scratch *troupe.App
	table   routing.Table[int]
	first   map[string]int   // "METHOD PATTERN" → line of its first route
	methods map[string]error // checkMethod's answers

	// namedGroups are the groups with a name, each as the chain of groups
	// from the outermost to it; queueGroups the queues that name one,
	// resolved once the groups are parsed (jobs.go).
	namedGroups map[string][]*Group
	queueGroups []queueGroup
}

func newParser(file string, reg *Registry) *parser {
	return &parser{
		file: file,
		reg:  reg,
		cfg: &Config{
			File:   file,
			App:    troupe.Config{Policies: map[string]supervisor.Policy{}},
			Log:    Log{Format: "json", Level: zapcore.InfoLevel},
			Stages: map[string]*actors.Spec{},
			logs:   &logSink{},
		},
		declared:   map[string]bool{},
		stackSpecs: map[string][]*actors.Spec{},
		scratch:    troupe.New(troupe.Config{}, troupe.WithLogger(zap.NewNop())),
		first:      map[string]int{},
		methods:    map[string]error{},
	}
}

func (p *parser) parse(data []byte) (*Config, error) {
	p.lastLine = lastLine(data)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		errs := fromYAML(p.file, 1, "", err)
		// A problem at the end of the file is one line past its last.
		last := lastLine(data)
		for _, e := range errs {
			if e, ok := e.(*Error); ok {
				e.Line = min(e.Line, last)
			}
		}
		return nil, errors.Join(errs...)
	}
	nodes, err := checkExpansion(p.file, &doc)
	if err != nil {
		return nil, errors.Join(err)
	}
	p.nodes, p.limit = nodes, expansionLimit(nodes)
	p.fileBytes, p.patternLimit = len(data), max(minPatternBytes, expansionRatio*len(data))
	root := &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	top := p.fields(root, "the configuration", slices.Concat(builtinKeys, p.reg.blockOrder, p.reg.sectionOrder)...)
	// Order matters where sections refer to each other, not in the file.
	p.server(top.get("server"))
	p.admin(top.get("admin"))
	p.log(top.get("log"))
	p.tracing(top.get("tracing"))
	p.base = p.policy(top.get("supervision"), "supervision", supervisor.Policy{})
	p.cfg.App.Supervision = p.base
	for _, key := range p.reg.blockOrder {
		p.block(key, p.reg.blocks[key], top.get(key))
	}
	for _, key := range p.reg.sectionOrder {
		p.section(key, p.reg.sections[key], top.get(key))
	}
	for _, kv := range p.pairs(top.get("stages"), "stages") {
		p.stage(kv.key, kv.value)
	}
	p.stacks(top.get("stacks"))
	p.cfg.Global = p.refs(top.get("global"), "global")
	p.jobsSection(top.get("jobs"), p.cfg.Global, top.get("global")) // jobs.go: before the routes that name its queues
	p.cfg.Routes = p.routeList(top.get("routes"), scope{d: p.scratch}, "routes")
	p.cfg.Groups = p.groupList(top.get("groups"), scope{d: p.scratch}, "groups")
	p.resolveQueueGroups()                  // jobs.go: the groups a queue names are declared by now
	if p.routes == 0 && !p.patternsTooBig { // groups past the limit are not looked into
		p.errorf(root, "no routes: declare at least one under routes or groups")
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.dedup()...)
	}
	return p.cfg, nil
}

// errorf records an error at n's line.
func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	line := 1
	if n != nil && n.Line > 0 {
		line = n.Line
	}
	if p.lastLine > 0 {
		line = min(line, p.lastLine) // yaml.v3 places an empty document one line past the end
	}
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Err: fmt.Errorf(format, args...)})
}

// dedup sorts the errors by line and drops repeats, which aliases cause:
// a node used twice is checked twice.
func (p *parser) dedup() []error {
	sortByLine(p.errs)
	seen := map[string]bool{}
	out := p.errs[:0]
	for _, e := range p.errs {
		if !seen[e.Error()] {
			seen[e.Error()] = true
			out = append(out, e)
		}
	}
	return out
}

// pair is one key and value of a mapping.
type pair struct{ key, value *yaml.Node }

// pairs returns the entries of mapping n in order, with merge keys (<<)
// expanded and explicit keys winning over merged ones. A null n has none.
func (p *parser) pairs(n *yaml.Node, what string) []pair {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping, got %s", what, describe(n))
		return nil
	}
	var out, merged []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			merged = append(merged, p.merge(v, what)...)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, "%s: a key must be a plain string, got %s", what, describe(k))
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			p.errorf(k, "duplicate key %q in %s (first at line %d)", k.Value, what, prev.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k, v})
	}
	for _, m := range merged {
		if _, ok := seen[m.key.Value]; !ok {
			seen[m.key.Value] = m.key
			out = append(out, m)
		}
	}
	return out
}

// merge returns the entries a merge key brings in: one mapping's, or a
// list of mappings', the earlier ones winning.
func (p *parser) merge(v *yaml.Node, what string) []pair {
	v = resolve(v)
	if v.Kind != yaml.SequenceNode {
		return p.pairs(v, what)
	}
	var out []pair
	for _, c := range v.Content {
		out = append(out, p.pairs(c, what)...)
	}
	return out
}

// fields returns the entries of mapping n whose keys are known, reporting
// the others.
func (p *parser) fields(n *yaml.Node, what string, known ...string) fieldValues {
	all := p.pairs(n, what)
	out := all[:0] // pairs' slice is n's own copy
	for _, kv := range all {
		if !slices.Contains(known, kv.key.Value) {
			p.errorf(kv.key, "unknown key %q in %s (want one of %s)", kv.key.Value, what, strings.Join(known, ", "))
			continue
		}
		out = append(out, kv)
	}
	return out
}

// fieldValues are the entries of a mapping, each key once: a handful, so
// looked up in order rather than hashed.
type fieldValues []pair

// get returns the value of key, or nil.
func (f fieldValues) get(key string) *yaml.Node {
	for _, kv := range f {
		if kv.key.Value == key {
			return kv.value
		}
	}
	return nil
}

// list returns the items of sequence n; a null n has none.
func (p *parser) list(n *yaml.Node, what string) []*yaml.Node {
	r := resolve(n)
	if isNull(r) {
		return nil
	}
	if r.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a list, got %s", what, describe(r))
		return nil
	}
	return r.Content
}

// str returns the text of scalar n; null is "". ok is false when an error
// was reported.
func (p *parser) str(n *yaml.Node, what string) (s string, ok bool) {
	r := resolve(n)
	if isNull(r) {
		return "", true
	}
	if r.Kind != yaml.ScalarNode {
		p.errorf(n, "%s must be a string, got %s", what, describe(r))
		return "", false
	}
	return r.Value, true
}

// duration returns the Go duration n holds; null is 0.
func (p *parser) duration(n *yaml.Node, what string) time.Duration {
	s, ok := p.str(n, what)
	if !ok || s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		p.errorf(n, "%s: bad duration %q: want a Go duration such as 500ms, 5s or 1m30s", what, s)
		return 0
	}
	if d < 0 {
		p.errorf(n, "%s must not be negative, got %s", what, s)
		return 0
	}
	return d
}

// count returns the non-negative integer n holds; null is 0.
func (p *parser) count(n *yaml.Node, what string) int64 {
	s, ok := p.str(n, what)
	if !ok || s == "" {
		return 0
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil {
		p.errorf(n, "%s must be a whole number, got %q", what, s)
		return 0
	}
	if v < 0 {
		p.errorf(n, "%s must not be negative, got %d", what, v)
		return 0
	}
	return v
}

// flag returns the boolean n holds (true or false); null is false.
func (p *parser) flag(n *yaml.Node, what string) bool {
	s, ok := p.str(n, what)
	if !ok || s == "" {
		return false
	}
	switch s {
	case "true":
		return true
	case "false":
		return false
	}
	p.errorf(n, "%s must be true or false, got %q", what, s)
	return false
}

// addr returns the host:port n holds, or "off" where allowed.
func (p *parser) addr(n *yaml.Node, what string, allowOff bool) string {
	s, ok := p.str(n, what)
	if !ok || s == "" || allowOff && s == "off" {
		return s
	}
	if _, _, err := net.SplitHostPort(s); err != nil {
		p.errorf(n, "%s: bad address %q: want host:port, such as \":8080\" or \"127.0.0.1:9090\"", what, s)
	}
	return s
}

func (p *parser) server(n *yaml.Node) {
	h := &p.cfg.App.HTTP
	durations := []struct {
		key string
		dst *time.Duration
	}{
		{"read_header_timeout", &h.ReadHeaderTimeout}, {"read_timeout", &h.ReadTimeout},
		{"write_timeout", &h.WriteTimeout}, {"idle_timeout", &h.IdleTimeout},
		{"request_timeout", &h.RequestTimeout}, {"shutdown_timeout", &h.ShutdownTimeout}, {"drain_delay", &h.DrainDelay}, {"stream_idle_timeout", &h.StreamIdleTimeout},
		{"body_rate_grace", &h.BodyRateGrace}, {"write_rate_grace", &h.WriteRateGrace},
	}
	f := p.fields(n, "server", "addr", "read_header_timeout", "read_timeout", "write_timeout", "idle_timeout",
		"max_header_bytes", "max_body_bytes", "max_in_flight", "request_timeout", "shutdown_timeout", "drain_delay", "stream_idle_timeout",
		"min_body_rate", "body_rate_grace", "min_write_rate", "write_rate_grace", "lenient_framing",
		"max_connections", "max_connections_per_ip", "overload", "tls", "h2c", "max_concurrent_streams")
	h.Addr = p.addr(f.get("addr"), "server.addr", false)
	for _, d := range durations {
		*d.dst = p.duration(f.get(d.key), "server."+d.key)
	}
	h.MaxHeaderBytes = int(p.count(f.get("max_header_bytes"), "server.max_header_bytes"))
	h.MaxBodyBytes = p.count(f.get("max_body_bytes"), "server.max_body_bytes")
	h.MaxInFlight = int(p.count(f.get("max_in_flight"), "server.max_in_flight"))
	h.MinBodyRate = p.count(f.get("min_body_rate"), "server.min_body_rate")
	h.MinWriteRate = p.count(f.get("min_write_rate"), "server.min_write_rate")
	h.LenientFraming = p.flag(f.get("lenient_framing"), "server.lenient_framing")
	h.MaxConnections = int(p.count(f.get("max_connections"), "server.max_connections"))
	h.MaxConnectionsPerIP = int(p.count(f.get("max_connections_per_ip"), "server.max_connections_per_ip"))
	if v := f.get("overload"); !isNull(v) {
		p.overload(v)
	}
	if v := f.get("tls"); !isNull(v) {
		p.tls(v)
	}
	h.H2C = p.flag(f.get("h2c"), "server.h2c")
	if h.H2C && h.TLS.Enabled() {
		p.errorf(f.get("h2c"), "server.h2c: cleartext HTTP/2 has no place beside server.tls, which serves HTTP/2 already")
	}
	h.MaxConcurrentStreams = int(p.count(f.get("max_concurrent_streams"), "server.max_concurrent_streams"))
}

// overload reads server.overload: the adaptive concurrency limit.
func (p *parser) overload(n *yaml.Node) {
	h := &p.cfg.App.HTTP
	o := &h.Overload
	f := p.fields(n, "server.overload", "adaptive", "min_limit", "max_limit", "initial_limit", "smoothing", "tolerance",
		"queue_target", "queue_interval", "max_queue", "max_retry_after", "probe_interval", "criticality_header", "criticality_trusted")
	if s, ok := p.str(f.get("criticality_header"), "server.overload.criticality_header"); ok && s != "" {
		if !httpguts.ValidHeaderFieldName(s) {
			p.errorf(f.get("criticality_header"), "server.overload.criticality_header: %q is not a header name", s)
		}
		h.CriticalityHeader = s
	}
	for _, item := range p.list(f.get("criticality_trusted"), "server.overload.criticality_trusted") {
		if s, ok := p.str(item, "server.overload.criticality_trusted"); ok {
			pfx, err := netip.ParsePrefix(s)
			if err != nil {
				p.errorf(item, "server.overload.criticality_trusted: %q is not a network such as 10.0.0.0/8", s)
				continue
			}
			h.CriticalityTrusted = append(h.CriticalityTrusted, pfx.Masked())
		}
	}
	if v := f.get("adaptive"); !isNull(v) {
		h.StaticLimit = !p.flag(v, "server.overload.adaptive")
	}
	o.MinLimit = int(p.count(f.get("min_limit"), "server.overload.min_limit"))
	o.MaxLimit = int(p.count(f.get("max_limit"), "server.overload.max_limit"))
	o.InitialLimit = int(p.count(f.get("initial_limit"), "server.overload.initial_limit"))
	o.MaxQueue = int(p.count(f.get("max_queue"), "server.overload.max_queue"))
	o.Smoothing = p.fraction(f.get("smoothing"), "server.overload.smoothing", 1)
	o.Tolerance = p.fraction(f.get("tolerance"), "server.overload.tolerance", 10)
	o.QueueTarget = p.duration(f.get("queue_target"), "server.overload.queue_target")
	o.QueueInterval = p.duration(f.get("queue_interval"), "server.overload.queue_interval")
	o.MaxRetryAfter = p.duration(f.get("max_retry_after"), "server.overload.max_retry_after")
	o.ProbeInterval = p.duration(f.get("probe_interval"), "server.overload.probe_interval")
	if !h.StaticLimit {
		// Judged as the ingress will use it: defaults in, MaxLimit capped by max_in_flight.
		if err := (httpin.Config{MaxInFlight: h.MaxInFlight, Overload: *o}).WithDefaults().Overload.Validate(); err != nil {
			p.errorf(n, "server.overload: %s", strings.TrimPrefix(err.Error(), "overload: "))
		}
	}
}

// fraction returns the number n holds, which must be in (0, most].
func (p *parser) fraction(n *yaml.Node, what string, most float64) float64 {
	s, ok := p.str(n, what)
	if !ok || s == "" {
		return 0
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0 && v <= most) {
		p.errorf(n, "%s must be a number above 0 and at most %g, got %q", what, most, s)
		return 0
	}
	return v
}

// criticality returns the class n names, if given: critical, default or
// sheddable.
func (p *parser) criticality(n *yaml.Node, what string) (overload.Class, bool) {
	s, ok := p.str(n, what)
	if !ok || s == "" {
		return overload.Default, false
	}
	c, err := overload.ParseClass(s)
	if err != nil {
		p.errorf(n, "%s: unknown class %q (want critical, default or sheddable)", what, s)
		return overload.Default, false
	}
	return c, true
}

func (p *parser) admin(n *yaml.Node) {
	f := p.fields(n, "admin", "addr")
	p.cfg.App.Admin.Addr = p.addr(f.get("addr"), "admin.addr", true)
}

func (p *parser) log(n *yaml.Node) {
	f := p.fields(n, "log", "format", "level")
	if s, ok := p.str(f.get("format"), "log.format"); ok && s != "" {
		if s != "json" && s != "console" {
			p.errorf(f.get("format"), "log.format: unknown format %q (want json or console)", s)
		} else {
			p.cfg.Log.Format = s
		}
	}
	if s, ok := p.str(f.get("level"), "log.level"); ok && s != "" {
		l, err := zapcore.ParseLevel(s)
		if err != nil {
			p.errorf(f.get("level"), "log.level: unknown level %q (want debug, info, warn or error)", s)
		} else {
			p.cfg.Log.Level = l
		}
	}
}

// policy returns base with the keys n gives replaced.
func (p *parser) policy(n *yaml.Node, what string, base supervisor.Policy) supervisor.Policy {
	f := p.fields(n, what, "max_restarts", "window", "backoff", "max_backoff", "critical")
	pol := base
	if v := f.get("critical"); !isNull(v) {
		pol.Critical = p.flag(v, what+".critical")
	}
	if v := f.get("max_restarts"); !isNull(v) {
		pol.MaxRestarts = int(p.count(v, what+".max_restarts"))
	}
	for key, dst := range map[string]*time.Duration{"window": &pol.Window, "backoff": &pol.Backoff, "max_backoff": &pol.MaxBackoff} {
		if v := f.get(key); !isNull(v) {
			*dst = p.duration(v, what+"."+key)
		}
	}
	return pol
}

// stageName is what a stage may be called: it appears in metrics labels and
// logs, and cannot collide with handler names, which hold a space.
var stageName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// stage declares the stage under key.
func (p *parser) stage(key, n *yaml.Node) {
	name := key.Value
	p.declared[name] = true
	what := fmt.Sprintf("stage %q", name)
	if !stageName.MatchString(name) {
		p.errorf(key, "bad stage name %q: use letters, digits, '-', '_' and '.'", name)
	}
	if r := resolve(n); isNull(r) || r.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping with a kind, got %s", what, describe(r))
		return
	}
	f := p.fields(n, what, "kind", "priority", "options", "supervision", "when", "concurrency")
	if sv := f.get("supervision"); !isNull(sv) {
		p.cfg.App.Policies[name] = p.policy(sv, what+" supervision", p.base)
	}
	kindName, ok := p.str(f.get("kind"), what+" kind")
	if !ok {
		return
	}
	if kindName == "" {
		p.errorf(key, "%s has no kind (stage kinds: %s)", what, names(p.reg.StageKinds()))
		return
	}
	k, ok := p.reg.Stage(kindName)
	if !ok {
		p.unknownKind(f.get("kind"), kindName, true)
		return
	}
	prio := k.Priority
	if pn := f.get("priority"); !isNull(pn) {
		if s, ok := p.str(pn, what+" priority"); ok {
			if pr, err := actors.ParsePriority(s); err != nil {
				p.errorf(pn, "%s: %v", what, err)
			} else {
				prio = pr
			}
		}
	}
	mark, used := len(p.cfg.components), &deps{}
	p.deps = used
	spec := p.build(k, kindName, name, f.get("options"), f.get("kind"))
	p.deps = nil
	if spec != nil {
		spec.Priority = prio
		p.concurrency(spec, f.get("concurrency"), what)
		if wn := f.get("when"); !isNull(wn) {
			var c when.Conditions
			opts := Options{file: p.file, line: wn.Line, node: resolve(wn)}
			if err := opts.Decode(&c); err != nil {
				p.errs = append(p.errs, located(p.file, wn.Line, err)...)
				return
			}
			pred, err := c.Predicate()
			if err != nil {
				p.errorf(wn, "%s when: %v", what, err)
				return
			}
			spec = when.Stage(pred, spec)
		}
		// Its supervision is the app's, which a reload does not change.
		fp := fingerprint([]string{"stage", name}, []*yaml.Node{n}, []string{"supervision"}, used.list())
		p.cfg.Stages[name] = p.carry(fp, mark, spec).(*actors.Spec)
	}
}

// stacks declares the named stacks: lists of stages and other stacks, which
// groups, routes and other stacks name in place of their stages. A stack
// extends another by naming it first: `admin: [api, audit]`.
func (p *parser) stacks(n *yaml.Node) {
	raw := map[string]*yaml.Node{}
	var order []pair
	for _, kv := range p.pairs(n, "stacks") {
		name := kv.key.Value
		if p.declared[name] {
			p.errorf(kv.key, "stack %q has the name of a stage", name)
			continue
		}
		if !stageName.MatchString(name) {
			p.errorf(kv.key, "bad stack name %q: use letters, digits, '-', '_' and '.'", name)
			continue
		}
		raw[name] = kv.value
		order = append(order, kv)
	}
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var resolveStack func(name string, at *yaml.Node) []*actors.Spec
	resolveStack = func(name string, at *yaml.Node) []*actors.Spec {
		switch state[name] {
		case done:
			return p.stackSpecs[name]
		case visiting:
			p.errorf(at, "stack %q includes itself", name)
			return nil
		}
		state[name] = visiting
		// A stage named twice runs once (see troupe's planning), so a
		// stack holds each once: stacks that name a stack several times
		// stay as small as the stages they name.
		var out []*actors.Spec
		seen := map[*actors.Spec]bool{}
		add := func(specs []*actors.Spec) {
			for _, s := range specs {
				if !seen[s] {
					seen[s] = true
					out = append(out, s)
				}
			}
		}
		what := fmt.Sprintf("stack %q", name)
		for _, item := range p.list(raw[name], what) {
			ref, ok := p.str(item, what+" entry")
			if !ok {
				continue
			}
			if _, isStack := raw[ref]; isStack {
				add(p.throughStack(item, resolveStack(ref, item)))
				continue
			}
			add(p.refs(&yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{item}}, what))
		}
		state[name] = done
		p.stackSpecs[name] = out
		return out
	}
	for _, kv := range order {
		resolveStack(kv.key.Value, kv.key)
	}
}

// throughStack returns specs, the stages of a stack named at item,
// counting them against the expansion limit: past it, it reports the
// configuration once and returns none.
func (p *parser) throughStack(item *yaml.Node, specs []*actors.Spec) []*actors.Spec {
	p.stackRefs += len(specs)
	if p.stackRefs <= p.limit {
		return specs
	}
	if !p.stacksTooBig {
		p.stacksTooBig = true
		p.errorf(item, "the configuration expands past %d stage references through stacks: %s", p.limit, expansionRule(p.nodes))
	}
	return nil
}

// unknownKind reports a kind name that is not registered as the kind
// wanted, saying so when it is registered as the other.
func (p *parser) unknownKind(n *yaml.Node, name string, stage bool) {
	_, isStage := p.reg.Stage(name)
	_, isHandler := p.reg.Handler(name)
	switch {
	case stage && isHandler:
		p.errorf(n, "%q is a handler kind, not a stage kind: name it in a route's handler key", name)
	case stage:
		p.errorf(n, "unknown stage kind %q (stage kinds: %s)", name, names(p.reg.StageKinds()))
	case isStage:
		p.errorf(n, "%q is a stage kind, not a handler kind: declare it under stages and list it in the route's stages", name)
	default:
		p.errorf(n, "unknown handler kind %q (handler kinds: %s)", name, names(p.reg.HandlerKinds()))
	}
}

// build calls kind k's constructor. Its errors are placed at the options'
// line unless they carry one; at is where the kind is named.
func (p *parser) build(k Kind, kindName, name string, optsNode, at *yaml.Node) *actors.Spec {
	opts := p.options(optsNode, at)
	spec, err := k.New(name, opts)
	if err != nil {
		p.newFailed(opts, err)
		return nil
	}
	if spec == nil {
		p.errorf(at, "kind %q built no stage", kindName)
		return nil
	}
	spec.Name = name
	if err := spec.Validate(); err != nil {
		p.errorf(at, "kind %q built an invalid stage: %v", kindName, err)
		return nil
	}
	return spec
}

// newFailed records the error of a kind's or section's New, at the
// options' line unless it carries one, less what was reported already.
func (p *parser) newFailed(opts Options, err error) {
	for _, e := range located(p.file, opts.line, err) {
		if !errors.Is(e, errReported) {
			p.errs = append(p.errs, e)
		}
	}
}

// options returns the Options of a kind or section entry: those of
// optsNode, or none at the line of at when optsNode is missing.
func (p *parser) options(optsNode, at *yaml.Node) Options {
	opts := Options{file: p.file, line: at.Line, logs: p.cfg.logs, cfg: p.cfg, deps: p.deps}
	if optsNode != nil {
		opts.line = optsNode.Line
		if !isNull(optsNode) {
			opts.node = resolve(optsNode)
		}
	}
	return opts
}

// refs resolves a list of stage names.
func (p *parser) refs(n *yaml.Node, what string) []*actors.Spec {
	var out []*actors.Spec
	for _, item := range p.list(n, what) {
		name, ok := p.str(item, what+" entry")
		if !ok {
			continue
		}
		if s, ok := p.cfg.Stages[name]; ok {
			out = append(out, s)
			continue
		}
		if s, ok := p.stackSpecs[name]; ok {
			out = append(out, p.throughStack(item, s)...)
			continue
		}
		if p.declared[name] {
			continue // declared with errors, reported there
		}
		if len(p.declaredNames) != len(p.declared) {
			p.declaredNames = slices.Sorted(maps.Keys(p.declared))
		}
		p.errorf(item, "unknown stage %q in %s (declared stages: %s)", name, what, someNames(p.declaredNames))
	}
	return out
}

// scope is where groups and routes are declared: the throwaway app or one
// of its groups, the length of the group's full prefix, and the groups
// from the outermost to it.
type scope struct {
	d      declarer
	prefix int
	chain  []*Group
}

// patternRoom counts n more bytes of full prefixes and patterns, which
// nested groups repeat: it reports false, and the configuration at at
// once, when they pass the file's limit.
func (p *parser) patternRoom(at *yaml.Node, n int) bool {
	p.patternBytes += n
	if p.patternBytes <= p.patternLimit {
		return true
	}
	if !p.patternsTooBig {
		p.patternsTooBig = true
		p.errorf(at, "the configuration's group prefixes and route patterns, joined, pass %d bytes: a file of %d bytes may have %d times that, or %d, whichever is more",
			p.patternLimit, p.fileBytes, expansionRatio, minPatternBytes)
	}
	return false
}

func (p *parser) groupList(n *yaml.Node, in scope, what string) []*Group {
	var out []*Group
	for _, item := range p.list(n, what) {
		if g := p.group(item, in); g != nil {
			out = append(out, g)
		}
	}
	return out
}

func (p *parser) group(n *yaml.Node, in scope) *Group {
	if r := resolve(n); r.Kind != yaml.MappingNode {
		p.errorf(n, "a group must be a mapping with a prefix, got %s", describe(r))
		return nil
	}
	f := p.fields(n, "a group", "name", "prefix", "stages", "groups", "routes", "criticality")
	g := &Group{Line: n.Line}
	prefix, ok := p.str(f.get("prefix"), "group prefix")
	switch {
	case !ok:
	case prefix == "":
		p.errorf(n, "a group needs a prefix")
	case !strings.HasPrefix(prefix, "/"):
		p.errorf(f.get("prefix"), "group prefix %q must start with \"/\"", prefix)
	}
	g.Prefix = prefix
	full := in.prefix + len(prefix)
	if !p.patternRoom(n, full) {
		return nil
	}
	what := "group " + prefix
	g.Stages = p.refs(f.get("stages"), what+" stages")
	if c, ok := p.criticality(f.get("criticality"), what+" criticality"); ok {
		g.Criticality = &c
	}
	chain := append(slices.Clip(in.chain), g)
	if name, ok := p.str(f.get("name"), what+" name"); ok && name != "" {
		switch {
		case !stageName.MatchString(name):
			p.errorf(f.get("name"), "%s: a group's name is letters, digits, '-', '_', '.', got %q", what, name)
		case p.namedGroups[name] != nil:
			p.errorf(f.get("name"), "%s: group name %q is taken by the group at line %d", what, name, p.namedGroups[name][len(p.namedGroups[name])-1].Line)
		default:
			if p.namedGroups == nil {
				p.namedGroups = map[string][]*Group{}
			}
			p.namedGroups[name] = chain
			g.Name = name
		}
	}
	sub := scope{d: in.d.Group(prefix), prefix: full, chain: chain}
	g.Routes = p.routeList(f.get("routes"), sub, what+" routes")
	g.Groups = p.groupList(f.get("groups"), sub, what+" groups")
	return g
}

func (p *parser) routeList(n *yaml.Node, in scope, what string) []*Route {
	var out []*Route
	for _, item := range p.list(n, what) {
		if r := p.route(item, in); r != nil {
			out = append(out, r)
		}
	}
	return out
}

func (p *parser) route(n *yaml.Node, in scope) *Route {
	p.routes++
	if r := resolve(n); r.Kind != yaml.MappingNode {
		p.errorf(n, "a route must be a mapping with method, path and handler, got %s", describe(r))
		return nil
	}
	f := p.fields(n, "a route", "method", "path", "handler", "options", "stages", "timeout", "max_body_bytes", "stream_body", "supervision", "concurrency", "criticality", "enqueue")
	r := &Route{Line: n.Line}
	method, mok := p.str(f.get("method"), "route method")
	switch {
	case !mok:
	case method == "":
		p.errorf(n, "route has no method")
		mok = false
	default:
		if err := p.checkMethod(method); err != nil {
			p.errorf(f.get("method"), "%s", strings.TrimPrefix(err.Error(), "routing: "))
			mok = false
		}
	}
	path, pok := p.str(f.get("path"), "route path")
	switch {
	case !pok:
	case path == "":
		p.errorf(n, "route has no path")
		pok = false
	case !strings.HasPrefix(path, "/"):
		p.errorf(f.get("path"), "route path %q must start with \"/\"", path)
		pok = false
	}
	r.Method, r.Path = method, path
	what, name := "route", method+" "
	if mok && pok {
		if !p.patternRoom(f.get("path"), in.prefix+len(path)) {
			return nil
		}
		r.Pattern = in.d.Handle(method, path, nil).Pattern()
		name = method + " " + r.Pattern
		what = "route " + name
		p.addPattern(f.get("path"), name)
	}
	// The names of keys in errors are built only for keys given.
	if v := f.get("stages"); v != nil {
		r.Stages = p.refs(v, what+" stages")
	}
	if v := f.get("timeout"); v != nil {
		r.Timeout = p.duration(v, what+" timeout")
		if wt := p.cfg.App.HTTP.WithDefaults().WriteTimeout; r.Timeout >= wt {
			p.errorf(v, "%s timeout (%s) must be below server.write_timeout (%s): past it the connection is cut, and the 504 could not be written", what, r.Timeout, wt)
		}
	}
	if v := f.get("max_body_bytes"); v != nil {
		r.MaxBodyBytes = p.count(v, what+" max_body_bytes")
	}
	if v := f.get("stream_body"); v != nil {
		r.StreamBody = p.flag(v, what+" stream_body")
	}
	if c, ok := p.criticality(f.get("criticality"), what+" criticality"); ok {
		r.Criticality = &c
	}
	if sv := f.get("supervision"); !isNull(sv) {
		p.cfg.App.Policies[name] = p.policy(sv, what+" supervision", p.base)
	}
	if v := f.get("enqueue"); v != nil {
		p.enqueueRoute(r, v, f.get("handler"), what) // jobs.go
		return r
	}
	kindName, ok := "", true
	if v := f.get("handler"); v != nil {
		kindName, ok = p.str(v, what+" handler")
	}
	if !ok {
		return r
	}
	if kindName == "" {
		p.errorf(n, "%s has no handler (handler kinds: %s)", what, names(p.reg.HandlerKinds()))
		return r
	}
	k, ok := p.reg.Handler(kindName)
	if !ok {
		p.unknownKind(f.get("handler"), kindName, false)
		return r
	}
	mark, used := len(p.cfg.components), &deps{}
	p.deps = used
	spec := p.build(k, kindName, name, f.get("options"), f.get("handler"))
	p.deps = nil
	if spec != nil {
		spec.Priority = actors.Terminating
		p.concurrency(spec, f.get("concurrency"), what+" handler")
		fp := fingerprint([]string{"handler", name, kindName}, []*yaml.Node{f.get("options"), f.get("concurrency")}, nil, used.list())
		r.Handler = p.carry(fp, mark, spec).(*actors.Spec)
	}
	return r
}

// concurrency sets spec's concurrency cap from n, if given: how many
// requests run the stage at once, the others waiting for a slot briefly
// (see actors.Spec.Concurrency). Only a stateless stage has one.
func (p *parser) concurrency(spec *actors.Spec, n *yaml.Node, what string) {
	if isNull(n) {
		return
	}
	c := p.count(n, what+" concurrency")
	if spec.Kind == actors.Stateful {
		p.errorf(n, "%s concurrency: the stage is stateful, and its actor runs one request at a time already", what)
		return
	}
	spec.Concurrency = int(c)
}

// addPattern adds a route's pattern to the throwaway table, reporting bad
// patterns and conflicts with earlier routes at the path's line. name is
// "METHOD PATTERN".
func (p *parser) addPattern(at *yaml.Node, name string) {
	if line, dup := p.first[name]; dup {
		p.errorf(at, "duplicate route %s (first declared at line %d)", name, line)
		return
	}
	method, pattern, _ := strings.Cut(name, " ")
	if err := p.table.Add(method, pattern, at.Line); err != nil {
		p.errorf(at, "%s", strings.TrimPrefix(err.Error(), "routing: "))
		return
	}
	p.first[name] = at.Line
}

// checkMethod returns routing's error for a route's method, remembering
// the answer for each method.
func (p *parser) checkMethod(method string) error {
	err, ok := p.methods[method]
	if !ok {
		err = (&routing.Table[int]{}).Add(method, "/", 0)
		p.methods[method] = err
	}
	return err
}

// describe names what n is, for errors.
func describe(n *yaml.Node) string {
	switch {
	case isNull(n):
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}

// maxListed bounds the names an error lists from a file, which may declare
// many: errors must not grow as the square of the file.
const maxListed = 10

// someNames lists up to maxListed of names, sorted, for errors, saying how
// many there are when there are more.
func someNames(list []string) string {
	if len(list) <= maxListed {
		return names(list)
	}
	return fmt.Sprintf("%s, … (%d in all)", strings.Join(list[:maxListed], ", "), len(list))
}

// names lists names for errors.
func names(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}
