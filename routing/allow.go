package routing

import (
	"slices"
	"strings"
)

// formatAllow turns the methods of the nodes that matched a path into an
// Allow header value: deduplicated, with HEAD added when GET is present,
// without "*", sorted and joined by ", ".
func formatAllow(methods []string) string {
	if slices.Contains(methods, "GET") {
		methods = append(methods, "HEAD")
	}
	methods = slices.DeleteFunc(methods, func(m string) bool { return m == "*" })
	slices.Sort(methods)
	return strings.Join(slices.Compact(methods), ", ")
}
