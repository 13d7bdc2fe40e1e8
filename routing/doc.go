// Package routing is the path router of the HTTP server. It maps a request
// method and an escaped request path to a value chosen by the caller.
//
// # Patterns
//
// A pattern starts with "/" and consists of segments separated by "/". A
// segment is static text, a parameter "{name}" that matches exactly one
// non-empty path segment, or a wildcard tail "{name...}" that matches the
// rest of the path (zero or more segments) and may only be the last segment.
// Names are Go identifiers. A trailing slash in a pattern is not significant,
// so "/a/" and "/a" are the same pattern. Static text may contain percent
// escapes; it is decoded when the pattern is added, so the static segment
// "a%2Fb" matches only the path segment that decodes to "a/b". Raw braces are
// only allowed around a whole segment, and empty, "." and ".." segments are
// rejected because no canonical path can contain them.
//
// # Canonical paths
//
// Every path is normalised before it is matched, and matching only ever sees
// the canonical form, so a route cannot be reached through an alternative
// spelling of its path:
//
//   - The input is the escaped path (net/url's URL.EscapedPath). The empty
//     path is "/"; any other path must start with "/".
//   - The path is split on its raw "/" characters only, and each segment is
//     percent-decoded. An invalid escape, or a decoded byte below 0x20 or equal
//     to 0x7f, makes the path bad. A decoded "%2F" stays inside its segment.
//   - Empty and "." segments are dropped and ".." removes the previous segment
//     (at the root it is dropped). This is decided on decoded segments, so
//     "%2e%2e" is "..". A trailing slash is not significant.
//   - The canonical path is "/" followed by the remaining segments joined by
//     "/", each segment minimally re-escaped: "%" becomes "%25" and "/"
//     becomes "%2F" (upper-case hex); every other byte is written as is.
//
// Matching compares decoded segments with decoded static text, and is case
// sensitive. A parameter value is its decoded segment. A wildcard value is the
// canonical remainder of the path without a leading slash, that is the
// remaining segments joined by "/" in their minimally escaped form. It is a
// suffix of Match.Path, so it never contains empty, "." or ".." elements, and a
// segment holding an encoded slash stays visibly encoded ("a%2F..%2Fb") instead
// of turning into a traversal when the value is used as a file path.
//
// # Precedence and methods
//
// At each segment a static child is tried before a parameter, and a parameter
// before a wildcard tail, with backtracking: with "/a/{x}/c" and "/a/b/d", the
// path "/a/b/c" matches "/a/{x}/c". A node reached when the path is exhausted
// is tried before an empty wildcard tail below it, so "/files" beats
// "/files/{rest...}" for the path "/files".
//
// Methods take part in the search: the first node in precedence order that
// matches the path and has a route for the request method wins, even if a
// node of higher precedence matched the path for other methods only. A node
// has a route for a method if the method was registered exactly; for HEAD, if
// GET was registered; otherwise if "*" was registered. Only when no node
// matching the path has a route for the method is the outcome
// MethodNotAllowed, and then Allow is the union of the methods of every node
// that matched the path, plus HEAD when GET is present.
package routing
