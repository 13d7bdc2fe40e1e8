// Package breakerlease shares a circuit breaker between the members of a
// cluster without a network round trip per call.
//
// Each breaker has one owner somewhere in the cluster (a grain, in package
// cluster) that keeps its state as a Breaker: closed, open or half-open,
// with the outcomes of calls counted from every member. A member does not
// ask the owner for every call: it holds a lease of admission (a Member)
// for a lease period, and reports what came of the calls it admitted with
// its next renewal. The owner trips on the counts summed over all members.
//
// What a lease says, by state:
//   - closed: admit, for the lease period, until this member has seen its
//     share of the failures still needed to trip (⌈left / members⌉, at
//     least one); then report at once, and wait for the answer before
//     admitting more. So a failing upstream trips the cluster's breaker
//     after about its configured number of failures in all, not that many
//     per member.
//   - open: refuse until the open timeout ends, without a call.
//   - half-open: one member at a time holds the probes (HalfOpenRequests);
//     the others refuse until their lease ends, then ask again.
//
// Staleness: a lease lasts one lease period from the moment it was asked
// for, and a member with traffic renews it in the background from half
// that period. So every member learns of a trip, and of a close, within
// one lease period of the owner's decision (and of a trip sooner when its
// failure share runs out).
//
// When the owner cannot be reached, Member.Admit says Lost, and the caller
// decides (its on_cluster_loss: its own local breaker, or refuse). The
// owner is asked again after a back-off, so that a lost owner costs one
// timed-out call per back-off, not one per request.
//
// This package has no Proto.Actor and no network: the call to the owner is
// a Transport, and the time is a parameter, so tests inject a clock.
package breakerlease
