package ratelimit

import "github.com/troupe-go/troupe/actors"

// SweepStep is how many buckets each request looks at.
const SweepStep = sweepStep

// Size returns how many buckets the stage instance st (from Spec.New)
// holds.
func Size(st actors.Stage) int { return st.(*limiter).table.size() }

// Capacity returns how many buckets st has room for without growing.
func Capacity(st actors.Stage) int { return cap(st.(*limiter).table.buckets) }
