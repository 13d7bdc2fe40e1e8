package batchproxy

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/troupe-go/troupe/actors"
)

// Item is one client's item: its request body, a JSON value.
type Item struct {
	// Body is the item as the client sent it, compacted.
	Body json.RawMessage
	// ID is the item's id_field, normalised (see idOf); "" without
	// id_field.
	ID string
}

// Reply is one item's result: the status and JSON body its client gets.
type Reply struct {
	// Status is the item's HTTP status: 200, or its status_field.
	Status int
	// Body is the JSON the client gets: the result, or its body_field.
	Body json.RawMessage
}

// decodeItem reads the exchange's body as an item.
func (p *Proxy) decodeItem(ex *actors.Exchange) (Item, error) {
	var buf bytes.Buffer
	if len(bytes.TrimSpace(ex.Body)) == 0 || json.Compact(&buf, ex.Body) != nil {
		return Item{}, actors.NewError(http.StatusBadRequest, "the body must be one JSON value")
	}
	it := Item{Body: buf.Bytes()}
	if p.cfg.IDField == "" {
		return it, nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(it.Body, &fields) != nil {
		return Item{}, actors.Errorf(http.StatusBadRequest, "the body must be a JSON object with an %q field", p.cfg.IDField)
	}
	id, ok := idOf(fields[p.cfg.IDField])
	if !ok {
		return Item{}, actors.Errorf(http.StatusBadRequest, "the body needs an %q field, a string or a number", p.cfg.IDField)
	}
	it.ID = id
	return it, nil
}

// idOf normalises an id, a JSON string or number, so that equal ids
// compare equal however they were escaped: "s:" and the string, or "n:"
// and the number's text.
func idOf(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return "s:" + s, true
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if _, err := strconv.ParseFloat(string(raw), 64); err != nil {
			return "", false
		}
		return "n:" + string(raw), true
	}
	return "", false
}
