package troupe

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/routing"
)

// planner turns declared routes into itineraries of hops, sharing hops
// between routes where their stages are the same.
type planner struct {
	app   *App
	specs map[string]*actors.Spec  // by name: one name, one spec
	hops  map[string]*pipeline.Hop // by the names of their stages
	order []*pipeline.Hop
	prev  map[string]*pipeline.Hop // the running generation's hops, to carry over (see carried)
}

// rejectionsName names the handler of the itinerary that answers the
// requests the ingress turns away itself; it cannot be a route's name,
// which is "METHOD /pattern".
const rejectionsName = "ingress rejections"

// plan returns the route table for the app's routes, and the itinerary the
// ingress answers its own rejections through (the global stages and a
// handler that fails with the rejection), with every hop registered with
// the tree but not yet spawned.
func (a *App) plan() (*routing.Table[*httpin.Route], *pipeline.Itinerary, []*pipeline.Hop, error) {
	p := &planner{app: a, specs: map[string]*actors.Spec{}, hops: map[string]*pipeline.Hop{}, prev: a.live.hopsByKey()}
	table := &routing.Table[*httpin.Route]{}
	var errs []error
	for _, r := range a.routes {
		it, err := p.itinerary(r)
		if err == nil {
			err = table.Add(r.method, r.pattern, &httpin.Route{
				Pattern: r.pattern, Itinerary: it, Timeout: r.timeout, MaxBodyBytes: r.bodyLimit, StreamBody: r.stream,
				Class: r.criticality(),
			})
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("route %s %s: %w", r.method, r.pattern, err))
		}
	}
	errs = append(errs, p.planQueues()...)
	if len(a.routes) == 0 {
		errs = append(errs, errors.New("troupe: no routes"))
	}
	rejections, err := p.itinerary(&Route{group: a.root, handler: a.live.rejectionSpec()})
	if err != nil {
		errs = append(errs, fmt.Errorf("the ingress's rejections: %w", err))
	}
	return table, rejections, p.order, errors.Join(errs...)
}

// plannedStages returns the route's stages in execution order: global, groups
// from the outermost, the route's own, stably sorted by priority, each
// stage once (a stage a route inherits and names again runs once); then the
// handler.
func (r *Route) plannedStages() []*actors.Spec {
	all := append(r.group.chain(), r.stages...)
	seen := map[*actors.Spec]bool{}
	out := make([]*actors.Spec, 0, len(all)+1)
	for _, s := range all {
		if s != nil && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(x, y *actors.Spec) int { return cmp.Compare(x.Priority, y.Priority) })
	return append(out, r.handler)
}

func (p *planner) itinerary(r *Route) (*pipeline.Itinerary, error) {
	if r.handler == nil {
		return nil, errors.New("no handler")
	}
	if r.timeout < 0 || r.bodyLimit < 0 {
		return nil, fmt.Errorf("timeout (%s) and body limit (%d) must not be negative", r.timeout, r.bodyLimit)
	}
	if wt := p.app.cfg.HTTP.WithDefaults().WriteTimeout; r.timeout >= wt {
		return nil, fmt.Errorf("timeout (%s) must be below the server's write_timeout (%s): past it the connection is cut, and the 504 could not be written", r.timeout, wt)
	}
	specs := r.plannedStages()
	for _, s := range specs {
		if err := p.register(s); err != nil {
			return nil, err
		}
	}
	var hops []*pipeline.Hop
	for i := 0; i < len(specs); {
		j := i + 1
		if specs[i].Kind == actors.Stateless {
			for j < len(specs) && specs[j].Kind == actors.Stateless {
				j++
			}
		}
		h, err := p.hop(specs[i:j])
		if err != nil {
			return nil, err
		}
		hops = append(hops, h)
		i = j
	}
	return pipeline.NewItinerary(hops...), nil
}

// register checks a spec and that no other spec has its name. (hop
// registers it with the supervision tree.)
func (p *planner) register(s *actors.Spec) error {
	if prev, ok := p.specs[s.Name]; ok {
		if prev != s {
			return fmt.Errorf("two different stages are named %q", s.Name)
		}
		return nil
	}
	if err := s.Validate(); err != nil {
		return err
	}
	p.specs[s.Name] = s
	return nil
}

func (p *planner) hop(specs []*actors.Spec) (*pipeline.Hop, error) {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	key := strings.Join(names, "\x00")
	if h, ok := p.hops[key]; ok {
		return h, nil
	}
	if h := carried(p.prev[key], specs); h != nil { // the running generation's, with its actors
		p.hops[key] = h
		p.order = append(p.order, h)
		return h, nil
	}
	gates := make([]*pipeline.Gate, len(specs))
	for i, s := range specs {
		gates[i] = p.app.tree.Stage(s.Name, p.app.policy(s.Name)).Gate()
	}
	h, err := pipeline.NewHop(specs, gates)
	if err != nil {
		return nil, err
	}
	p.hops[key] = h
	p.order = append(p.order, h)
	return h, nil
}

// validatePolicies checks the supervision settings.
func (a *App) validatePolicies() error {
	var errs []error
	if err := a.cfg.Supervision.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("supervision: %w", err))
	}
	for name, pol := range a.cfg.Policies {
		if err := pol.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("supervision of %q: %w", name, err))
		}
	}
	return errors.Join(errs...)
}
