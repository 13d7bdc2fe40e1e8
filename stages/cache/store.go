package cache

import (
	"container/list"
	"net/http"
	"slices"
	"time"
)

// variant is one stored response: what a primary key answers for one set
// of values of the headers its Vary names.
type variant struct {
	vary    []string // canonical request header names, sorted
	values  []string // the request's values of vary (see varyValues)
	status  int
	header  http.Header // only what the stage and those after it set
	body    []byte
	etag    string
	stored  time.Time
	expires time.Time
	// keep is when the variant is dropped: expires, or later when the
	// stage serves stale responses in place of errors (StaleIfError).
	// Zero means expires.
	keep time.Time
	// public: the response may answer requests with credentials (it said
	// public, s-maxage or must-revalidate).
	public bool
	size   int64
}

// variantOverhead approximates the bookkeeping of a variant beyond its
// bytes (struct, slice headers, list element), so that many tiny entries
// still count against the budget.
const variantOverhead = 256

// measure sets v.size: body, header names and values, vary names and
// values, plus the overhead.
func (v *variant) measure() {
	n := int64(len(v.body)) + variantOverhead
	for k, vals := range v.header {
		n += int64(len(k))
		for _, s := range vals {
			n += int64(len(s))
		}
	}
	for i := range v.vary {
		n += int64(len(v.vary[i]) + len(v.values[i]))
	}
	v.size = n
}

// matches reports whether v answers a request with header r.
func (v *variant) matches(r http.Header) bool {
	return slices.Equal(v.values, varyValues(r, v.vary))
}

// sameSelector reports whether v and w are stored for the same request
// headers, so that w replaces v.
func (v *variant) sameSelector(w *variant) bool {
	return slices.Equal(v.vary, w.vary) && slices.Equal(v.values, w.values)
}

// entry is what one primary key holds: its variants, newest first.
type entry struct {
	key      string
	variants []*variant
	size     int64 // len(key) + the variants' sizes
}

// store is an LRU of entries bounded by bytes. It is owned by one actor
// and is not safe for concurrent use.
type store struct {
	budget      int64
	used        int64
	maxVariants int
	order       *list.List // of *entry, most recently used first
	entries     map[string]*list.Element
}

func newStore(budget int64, maxVariants int) *store {
	return &store{budget: budget, maxVariants: maxVariants, order: list.New(), entries: map[string]*list.Element{}}
}

// keptUntil returns when v is dropped.
func (v *variant) keptUntil() time.Time {
	if v.keep.IsZero() {
		return v.expires
	}
	return v.keep
}

// lookup returns the newest variant under key that matches the request
// header r and is fresh at now, and marks the entry used. Variants past
// their keep time that it meets are dropped.
func (s *store) lookup(key string, r http.Header, now time.Time) *variant {
	fresh, _ := s.find(key, r, now)
	return fresh
}

// find returns the newest variant under key that matches the request
// header r and is fresh at now, or else the newest that is stale but still
// kept (for StaleIfError); a fresh find marks the entry used. Variants past
// their keep time that it meets are dropped.
func (s *store) find(key string, r http.Header, now time.Time) (fresh, stale *variant) {
	el, ok := s.entries[key]
	if !ok {
		return nil, nil
	}
	e := el.Value.(*entry)
	for i := 0; i < len(e.variants); {
		v := e.variants[i]
		if !now.Before(v.keptUntil()) {
			s.dropVariantAt(el, i)
			if len(e.variants) == 0 {
				return nil, stale // the entry went with its last variant
			}
			continue
		}
		if v.matches(r) {
			if now.Before(v.expires) {
				s.order.MoveToFront(el)
				return v, nil
			}
			if stale == nil {
				stale = v
			}
		}
		i++
	}
	return nil, stale
}

// put stores v under key, replacing a variant for the same request
// headers, and evicts least recently used entries (and then this entry's
// oldest variants) until the store is within its budget. It reports false,
// storing nothing, if v alone is over the budget.
func (s *store) put(key string, v *variant) bool {
	if v.size+int64(len(key)) > s.budget {
		return false
	}
	el, ok := s.entries[key]
	if !ok {
		e := &entry{key: key, size: int64(len(key))}
		el = s.order.PushFront(e)
		s.entries[key] = el
		s.used += e.size
	} else {
		s.order.MoveToFront(el)
	}
	e := el.Value.(*entry)
	for i, old := range e.variants {
		if old.sameSelector(v) {
			s.dropVariantAt(el, i)
			break
		}
	}
	if _, ok := s.entries[key]; !ok { // it held only the replaced variant
		return s.put(key, v)
	}
	e.variants = slices.Insert(e.variants, 0, v)
	e.size += v.size
	s.used += v.size
	for len(e.variants) > s.maxVariants {
		s.dropVariantAt(el, len(e.variants)-1)
	}
	for s.used > s.budget {
		back := s.order.Back()
		if back == el {
			s.dropVariantAt(el, len(e.variants)-1) // v fits alone, so this ends before v goes
			continue
		}
		s.removeElement(back)
	}
	return true
}

// dropVariantAt removes the i'th variant of the entry at el, and the
// entry if that was its last.
func (s *store) dropVariantAt(el *list.Element, i int) {
	e := el.Value.(*entry)
	v := e.variants[i]
	e.variants = slices.Delete(e.variants, i, i+1)
	e.size -= v.size
	s.used -= v.size
	if len(e.variants) == 0 {
		s.removeElement(el)
	}
}

// removeElement removes the entry at el with all its variants.
func (s *store) removeElement(el *list.Element) {
	e := s.order.Remove(el).(*entry)
	delete(s.entries, e.key)
	s.used -= e.size
}

// len returns the number of entries (primary keys).
func (s *store) len() int { return s.order.Len() }
