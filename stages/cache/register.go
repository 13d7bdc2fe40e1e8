package cache

import "github.com/troupe-go/troupe/config"

// Register adds the stage kind cache to reg.
//
//	stages:
//	  cache:
//	    kind: cache
//	    options: {ttl: 30s, max_bytes: 67108864, partitions: 8}
func Register(reg *config.Registry) {
	reg.Register("cache", config.StageKind("GET/HEAD response cache (X-Cache HIT/MISS/BYPASS/STALE, Age, ETag, 304 for If-None-Match), "+
		"honouring Cache-Control and Vary; held by partitioned actors, LRU by bytes. "+
		"Options: ttl (default 1m; a response's s-maxage/max-age may shorten it), "+
		"max_bytes (whole cache, split over partitions; default 33554432), "+
		"max_entry_bytes (default 1048576), partitions (default 4), "+
		"max_variants (per key, by Vary; default 8), statuses (default [200]), "+
		"stale_if_error (how long past its freshness a response answers in place of a 500/502/503/504, "+
		"such as an open breaker's; default 0, off).", Priority, New))
}
