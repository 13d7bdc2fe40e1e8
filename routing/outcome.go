package routing

import "strconv"

// Outcome is the result category of a Table lookup.
type Outcome int

const (
	// Found means a route matched the path and the method.
	Found Outcome = iota
	// NotFound means no route matched the path.
	NotFound
	// MethodNotAllowed means some route matched the path, but none for the
	// method; Match.Allow lists the allowed methods.
	MethodNotAllowed
	// BadPath means the path could not be normalised: it does not start with
	// "/", holds an invalid percent escape, or decodes to a control character.
	// The server answers 400.
	BadPath
)

// String returns the name of the outcome, such as "MethodNotAllowed".
func (o Outcome) String() string {
	switch o {
	case Found:
		return "Found"
	case NotFound:
		return "NotFound"
	case MethodNotAllowed:
		return "MethodNotAllowed"
	case BadPath:
		return "BadPath"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}
