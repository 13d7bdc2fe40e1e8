package troupe

import (
	"maps"
	"slices"
)

// Changes is what an Update changed. Stages include handlers, named
// "METHOD PATTERN".
type Changes struct {
	// RoutesAdded and RoutesRemoved are "METHOD PATTERN" of the routes
	// the new table has and the old one had, and not the other.
	RoutesAdded   []string `json:"routes_added,omitempty"`
	RoutesRemoved []string `json:"routes_removed,omitempty"`
	// StagesAdded and StagesRemoved name the stages only one table runs.
	StagesAdded   []string `json:"stages_added,omitempty"`
	StagesRemoved []string `json:"stages_removed,omitempty"`
	// StagesReplaced names the stages both run, the new table as a new
	// instance (its options changed): its state starts afresh.
	StagesReplaced []string `json:"stages_replaced,omitempty"`
	// StagesKept names the stages carried over as they were, with their
	// actors and state.
	StagesKept []string `json:"stages_kept,omitempty"`
	// HopsStarted and HopsRetired count the hops whose actors were
	// spawned for the new table, and those it no longer uses.
	HopsStarted int `json:"hops_started"`
	HopsRetired int `json:"hops_retired"`
	// ComponentsStarted and ComponentsStopped count the components started
	// for the new table, and those stopped once the old one has drained.
	ComponentsStarted int `json:"components_started"`
	ComponentsStopped int `json:"components_stopped"`
}

// changes compares two generations' routes and stages.
func changes(prev, next *generation) *Changes {
	ch := &Changes{}
	for _, k := range slices.Sorted(maps.Keys(next.routes)) {
		if !prev.routes[k] {
			ch.RoutesAdded = append(ch.RoutesAdded, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(prev.routes)) {
		if !next.routes[k] {
			ch.RoutesRemoved = append(ch.RoutesRemoved, k)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(next.specs)) {
		old, ok := prev.specs[name]
		switch {
		case !ok:
			ch.StagesAdded = append(ch.StagesAdded, name)
		case old != next.specs[name]:
			ch.StagesReplaced = append(ch.StagesReplaced, name)
		default:
			ch.StagesKept = append(ch.StagesKept, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(prev.specs)) {
		if _, ok := next.specs[name]; !ok {
			ch.StagesRemoved = append(ch.StagesRemoved, name)
		}
	}
	return ch
}
