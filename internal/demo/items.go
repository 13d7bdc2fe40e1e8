package demo

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// itemStore holds the demo's items in memory. POST /api/items and
// GET /api/items/{id} are two routes, so two handler actors: they share
// this store, the one place in the demo where state is behind a lock
// rather than in an actor. It keeps at most maxItems; past that, creating
// answers 507.
type itemStore struct {
	mu    sync.Mutex
	next  int
	items map[string]json.RawMessage
}

const maxItems = 10000

func newItemStore() *itemStore { return &itemStore{items: map[string]json.RawMessage{}} }

// item is what the demo API answers: the stored fields plus the id.
type item struct {
	ID   string          `json:"id"`
	Item json.RawMessage `json:"item"`
}

// itemsCreateKind is the handler kind "items_create": stores the request's
// JSON body (validate it first with a validate stage) and answers 201 with
// {"id": …, "item": …} and a Location header.
func itemsCreateKind(store *itemStore) config.Kind {
	return config.Kind{
		Doc: "demo: stores the JSON body, answers 201 {id, item} with Location. No options.",
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var none struct{}
			if err := opts.Decode(&none); err != nil {
				return nil, err
			}
			return troupe.Handler(name, func(ex *actors.Exchange) error {
				if !json.Valid(ex.Body) {
					return actors.NewError(http.StatusBadRequest, "the body is not JSON")
				}
				store.mu.Lock()
				if len(store.items) >= maxItems {
					store.mu.Unlock()
					return actors.NewError(http.StatusInsufficientStorage, "the demo store is full")
				}
				store.next++
				id := strconv.Itoa(store.next)
				store.items[id] = append(json.RawMessage(nil), ex.Body...)
				store.mu.Unlock()
				ex.Response.Header().Set("Location", ex.Path+"/"+id)
				return ex.JSON(http.StatusCreated, item{ID: id, Item: ex.Body})
			}), nil
		},
	}
}

// itemsGetKind is the handler kind "items_get": answers the item whose id
// is the path parameter "id" (Cache-Control: public, max-age=30), or 404.
func itemsGetKind(store *itemStore) config.Kind {
	return config.Kind{
		Doc: "demo: answers the stored item {id, item} for the path parameter id, or 404. No options.",
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			var none struct{}
			if err := opts.Decode(&none); err != nil {
				return nil, err
			}
			return troupe.Handler(name, func(ex *actors.Exchange) error {
				id := ex.Params.Get("id")
				store.mu.Lock()
				body, ok := store.items[id]
				store.mu.Unlock()
				if !ok {
					return actors.Errorf(http.StatusNotFound, "no item %q", id)
				}
				// Items are the same for every API key: a shared cache may
				// keep them although the request was authenticated.
				ex.Response.Header().Set("Cache-Control", "public, max-age=30")
				return ex.JSON(http.StatusOK, item{ID: id, Item: body})
			}), nil
		},
	}
}
