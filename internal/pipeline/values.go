package pipeline

// Key names one typed per-request value. Declare keys as package-level
// variables and share them between the stage that sets a value and the
// stages that read it:
//
//	var userKey = actors.NewKey[*User]("user")
//	userKey.Set(ex, u)          // in an auth stage
//	u, ok := userKey.Get(ex)    // in a handler
type Key[T any] struct {
	id *keyID
}

type keyID struct{ name string }

type value struct {
	key *keyID
	val any
}

// NewKey returns a new key; name is only for debugging.
func NewKey[T any](name string) Key[T] { return Key[T]{id: &keyID{name: name}} }

// Name returns the name the key was created with.
func (k Key[T]) Name() string { return k.id.name }

// Set stores v in ex under k, replacing any earlier value.
func (k Key[T]) Set(ex *Exchange, v T) {
	for i := range ex.values {
		if ex.values[i].key == k.id {
			ex.values[i].val = v
			return
		}
	}
	ex.values = append(ex.values, value{key: k.id, val: v})
}

// Get returns the value stored in ex under k, and whether there was one.
func (k Key[T]) Get(ex *Exchange) (T, bool) {
	for i := range ex.values {
		if ex.values[i].key == k.id {
			v, ok := ex.values[i].val.(T)
			return v, ok
		}
	}
	var zero T
	return zero, false
}
