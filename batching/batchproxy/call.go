package batchproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	"github.com/troupe-go/troupe/upstream"
)

// call is the proxy's BatchFunc: one POST of the batch through the
// upstream, whose answer is split into one result per item. A call the
// upstream refuses or that gets no answer fails with the upstream's
// *actors.Error (503 with Retry-After for an open breaker or a full
// bulkhead, 502, 504), which every item of the batch is answered with.
func (p *Proxy) call(ctx context.Context, items []batching.Item[Item]) ([]batching.Result[Reply], error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	h := make(http.Header, len(p.cfg.Headers)+2)
	for k, v := range p.cfg.Headers {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	res, err := p.up.Do(ctx, &upstream.Request{
		Method:   http.MethodPost,
		Path:     p.to.path,
		RawQuery: p.to.rawQuery,
		Header:   h,
		Body:     p.body(items),
	})
	if err != nil {
		return nil, err
	}
	if res.Status < 200 || res.Status > 299 {
		return nil, statusError(res)
	}
	return p.results(items, res.Body)
}

// body encodes the batch: the items' bodies in a JSON array, wrapped in
// an object under ItemsField if set.
func (p *Proxy) body(items []batching.Item[Item]) []byte {
	var buf bytes.Buffer
	if p.cfg.ItemsField != "" {
		field, _ := json.Marshal(p.cfg.ItemsField) // a string always encodes
		buf.WriteByte('{')
		buf.Write(field)
		buf.WriteByte(':')
	}
	buf.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(it.Value.Body)
	}
	buf.WriteByte(']')
	if p.cfg.ItemsField != "" {
		buf.WriteByte('}')
	}
	return buf.Bytes()
}

// statusError is the error of a batch the upstream answered with an error
// status: 503 with its Retry-After for 429 and 503, 504 for 504, else 502.
func statusError(res *upstream.Response) error {
	cause := fmt.Errorf("%w: %d %s", ErrUpstreamStatus, res.Status, http.StatusText(res.Status))
	switch res.Status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		e := upstreamError(http.StatusServiceUnavailable, "the upstream is overloaded; try again later", cause)
		e.RetryAfter = time.Second
		if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s > 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return e
	case http.StatusGatewayTimeout:
		return upstreamError(http.StatusGatewayTimeout, "the upstream timed out", cause)
	}
	return upstreamError(http.StatusBadGateway, fmt.Sprintf("the upstream answered %d", res.Status), cause)
}

func upstreamError(status int, detail string, cause error) *actors.Error {
	return &actors.Error{Status: status, Detail: detail, Err: cause}
}

func malformed(detail string) error {
	return upstreamError(http.StatusBadGateway, detail, ErrMalformed)
}
