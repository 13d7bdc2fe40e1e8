package overload

import "fmt"

// Class is a request's priority under overload. Sheddable requests are
// refused first, Critical ones last.
//
// The zero value is Default, so a caller that never sets a class gets the
// ordinary treatment: neither protected nor sacrificed. Values outside the
// three constants are treated as Default too.
type Class uint8

const (
	// Default is ordinary traffic, and the zero value of Class.
	Default Class = iota
	// Critical is traffic that must get through when anything does (health
	// checks, payments, the control plane): it is served from the queue
	// before any other class and may take a full queue's place from a
	// lower class.
	Critical
	// Sheddable is traffic that can be lost first (prefetch, analytics,
	// retries of idempotent reads): during a standing queue it is never
	// queued, only admitted when a slot is free at once.
	Sheddable
)

// NumClasses is the number of classes; Class values 0 to NumClasses-1 index
// the per-class arrays of Stats.
const NumClasses = 3

var classNames = [NumClasses]string{Default: "default", Critical: "critical", Sheddable: "sheddable"}

// String returns the class's lowercase name: "critical", "default" or
// "sheddable".
func (c Class) String() string {
	return classNames[c.index()]
}

// index returns the array index of c, mapping unknown values to Default.
func (c Class) index() int {
	if int(c) >= NumClasses {
		return int(Default)
	}
	return int(c)
}

// rank orders classes for service: higher is served first and refused last.
func (c Class) rank() int {
	switch c.norm() {
	case Critical:
		return 2
	case Sheddable:
		return 0
	}
	return 1
}

// norm returns c, or Default for an unknown value.
func (c Class) norm() Class { return Class(c.index()) }

// ParseClass returns the class named s, one of "critical", "default" or
// "sheddable" (lowercase, as String writes them).
func ParseClass(s string) (Class, error) {
	for i, n := range classNames {
		if s == n {
			return Class(i), nil
		}
	}
	return Default, fmt.Errorf("overload: unknown class %q (want critical, default or sheddable)", s)
}

// MarshalText implements encoding.TextMarshaler with the class's name.
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseClass.
func (c *Class) UnmarshalText(b []byte) error {
	v, err := ParseClass(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}
