package ratelimit

import "github.com/troupe-go/troupe/config"

// Register adds the stage kind rate_limit to reg: a Stateful stage of
// priority auth whose options are the yaml keys of Config.
//
//	stages:
//	  per-client:
//	    kind: rate_limit
//	    options: {rate: 10, burst: 20, key: subject}
//	  per-partner:
//	    kind: rate_limit
//	    options: {limit: 1000, period: 1h, key: "header:X-Partner-ID", idle_ttl: 10m}
func Register(reg *config.Registry) {
	reg.Register("rate_limit", config.StageKind("token bucket per key; 429 with Retry-After when empty, RateLimit-Limit/-Remaining/-Reset (draft-ietf-httpapi-ratelimit-headers-06) "+
		"on every response; buckets owned by partitioned actors. Options: rate (requests per second) or limit and period (default 1s), "+
		"burst (default limit, or rate rounded up), key (ip | subject | header:NAME; default ip), partitions (default 2 × GOMAXPROCS), "+
		"idle_ttl (forget idle buckets sooner; default: once full again), max_keys (default 1048576).", Priority, New))
}
