package batchproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
)

// call is the proxy's BatchFunc: one POST of the batch to the upstream,
// whose answer is split into one result per item.
func (p *Proxy) call(ctx context.Context, items []batching.Item[Item]) ([]batching.Result[Reply], error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.Upstream, bytes.NewReader(p.body(items)))
	if err != nil {
		return nil, upstreamError(http.StatusBadGateway, "the upstream request could not be made", fmt.Errorf("%w: %w", ErrUnreachable, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	for k, v := range p.cfg.Headers {
		req.Header.Set(k, v)
	}
	res, err := p.client.Do(req)
	if err != nil {
		return nil, transportError(ctx, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, p.cfg.MaxResponseBytes+1))
	switch {
	case err != nil:
		return nil, transportError(ctx, err)
	case res.StatusCode < 200 || res.StatusCode > 299:
		return nil, statusError(res)
	case int64(len(body)) > p.cfg.MaxResponseBytes:
		return nil, malformed(fmt.Sprintf("the upstream's answer is larger than %d bytes", p.cfg.MaxResponseBytes))
	}
	return p.results(items, body)
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

// transportError is the error of a call that got no complete answer: 504
// if it ran out of time, 502 otherwise. A batch whose every client has
// gone fails with the context's error, which nobody reads.
func transportError(ctx context.Context, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return upstreamError(http.StatusGatewayTimeout, "the upstream did not answer in time", fmt.Errorf("%w: %w", ErrUpstreamTimeout, err))
	case errors.Is(ctx.Err(), context.Canceled):
		return ctx.Err()
	}
	return upstreamError(http.StatusBadGateway, "the upstream could not be reached", fmt.Errorf("%w: %w", ErrUnreachable, err))
}

// statusError is the error of a batch the upstream answered with an error
// status: 503 with its Retry-After for 429 and 503, 504 for 504, else 502.
func statusError(res *http.Response) error {
	cause := fmt.Errorf("%w: %s", ErrUpstreamStatus, res.Status)
	switch res.StatusCode {
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
	return upstreamError(http.StatusBadGateway, fmt.Sprintf("the upstream answered %d", res.StatusCode), cause)
}

func upstreamError(status int, detail string, cause error) *actors.Error {
	return &actors.Error{Status: status, Detail: detail, Err: cause}
}

func malformed(detail string) error {
	return upstreamError(http.StatusBadGateway, detail, ErrMalformed)
}
