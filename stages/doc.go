// Package stages holds troupe's catalogue of built-in stages, one
// sub-package per concern (auth, cors, ratelimit, cache, …), and Register,
// which makes all of them available to the YAML configuration by name.
package stages
