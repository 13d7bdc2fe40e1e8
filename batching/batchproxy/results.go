package batchproxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/troupe-go/troupe/batching"
)

// results splits the upstream's answer into one result per item: by
// position, or by id with IDField.
func (p *Proxy) results(items []batching.Item[Item], body []byte) ([]batching.Result[Reply], error) {
	list, err := p.list(body)
	if err != nil {
		return nil, err
	}
	out := make([]batching.Result[Reply], len(items))
	if p.cfg.IDField == "" {
		if len(list) != len(items) {
			return nil, malformed(fmt.Sprintf("the upstream answered %d results for %d items", len(list), len(items)))
		}
		for i, raw := range list {
			out[i].Value, out[i].Err = p.reply(raw)
		}
		return out, nil
	}
	waiting := map[string][]int{} // id → the items with that id, not yet answered, in order
	for i, it := range items {
		waiting[it.Value.ID] = append(waiting[it.Value.ID], i)
	}
	answered := make([]bool, len(items))
	for _, raw := range list {
		var fields map[string]json.RawMessage
		if json.Unmarshal(raw, &fields) != nil {
			return nil, malformed("a result of the upstream is not a JSON object")
		}
		id, ok := idOf(fields[p.cfg.IDField])
		if !ok {
			return nil, malformed(fmt.Sprintf("a result of the upstream has no %q field", p.cfg.IDField))
		}
		if len(waiting[id]) == 0 {
			continue // an id nobody asked for, or a duplicate: ignored
		}
		i := waiting[id][0]
		waiting[id] = waiting[id][1:]
		answered[i] = true
		out[i].Value, out[i].Err = p.reply(raw)
	}
	for i, ok := range answered {
		if !ok {
			out[i].Err = upstreamError(http.StatusBadGateway, "the upstream sent no result for this item", ErrNoResult)
		}
	}
	return out, nil
}

// list returns the results array of the upstream's answer.
func (p *Proxy) list(body []byte) ([]json.RawMessage, error) {
	if p.cfg.ResultsField != "" {
		var obj map[string]json.RawMessage
		if json.Unmarshal(body, &obj) != nil {
			return nil, malformed("the upstream's answer is not a JSON object")
		}
		raw, ok := obj[p.cfg.ResultsField]
		if !ok {
			return nil, malformed(fmt.Sprintf("the upstream's answer has no %q field", p.cfg.ResultsField))
		}
		body = raw
	}
	var list []json.RawMessage
	if json.Unmarshal(body, &list) != nil {
		return nil, malformed("the upstream's answer is not a JSON array of results")
	}
	return list, nil
}

// reply maps one result to what its client gets: its status (StatusField)
// and body (BodyField, or the whole result).
func (p *Proxy) reply(raw json.RawMessage) (Reply, error) {
	r := Reply{Status: http.StatusOK, Body: compact(raw)}
	if p.cfg.StatusField == "" && p.cfg.BodyField == "" {
		return r, nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return Reply{}, upstreamError(http.StatusBadGateway, "the upstream's result for this item is not a JSON object", ErrMalformed)
	}
	if f := p.cfg.StatusField; f != "" {
		if s, ok := fields[f]; ok {
			n, err := strconv.Atoi(string(bytes.TrimSpace(s)))
			if err != nil || n < 200 || n > 599 {
				return Reply{}, upstreamError(http.StatusBadGateway, fmt.Sprintf("the upstream's result for this item has an invalid %q", f), ErrMalformed)
			}
			r.Status = n
		}
	}
	if f := p.cfg.BodyField; f != "" {
		if b, ok := fields[f]; ok {
			r.Body = compact(b)
		}
	}
	if r.Status == http.StatusNoContent || r.Status == http.StatusNotModified {
		r.Body = nil // a status that carries no body
	}
	return r, nil
}

// compact returns raw without insignificant space (raw is valid JSON, as
// part of a document that parsed).
func compact(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return raw
	}
	return buf.Bytes()
}
