package ratelimit

import (
	"net/http"
	"strconv"
)

// The response header fields of draft-ietf-httpapi-ratelimit-headers-06
// (December 2022), the last revision with one field per figure (-07 and
// later fold them into structured RateLimit and RateLimit-Policy fields).
// Written in canonical form, as http.Header keeps them.
const (
	// HeaderLimit is the quota: the bucket's size, Config.Burst.
	HeaderLimit = "Ratelimit-Limit"
	// HeaderRemaining is how many more requests the key may make now.
	HeaderRemaining = "Ratelimit-Remaining"
	// HeaderReset is how many seconds (rounded up) until the bucket is
	// full again, so that Remaining is back at Limit; 0 when it is full.
	// A client out of quota needs to wait only Retry-After, until one
	// token is back.
	HeaderReset = "Ratelimit-Reset"
)

// setHeaders writes d's figures to h.
func (s *shared) setHeaders(h http.Header, d decision) {
	v := []string{strconv.FormatInt(d.remaining, 10), strconv.FormatInt(ceilSeconds(d.reset), 10)} // one allocation for both
	h[HeaderLimit] = s.limit
	h[HeaderRemaining] = v[0:1:1]
	h[HeaderReset] = v[1:2:2]
}

// ceilSeconds returns ns in whole seconds, rounded up; 0 for ns ≤ 0.
func ceilSeconds(ns int64) int64 {
	if ns <= 0 {
		return 0
	}
	return (ns-1)/1e9 + 1
}
