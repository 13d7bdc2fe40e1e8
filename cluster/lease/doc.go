// Package lease shares a token bucket between the members of a cluster
// without a network round trip per request.
//
// Each bucket has one owner somewhere in the cluster (a grain, in package
// cluster) that keeps it as a Bucket. A member does not ask the owner for
// every request: it takes a lease, a share of the bucket's tokens, and
// spends it locally (Pool.Take). Before the share runs out it asks for
// more in the background; tokens still unspent when the lease expires go
// back to the bucket with the next call. The bucket never grants a token
// it does not have, so the cluster as a whole admits no more than the
// bucket's rate and burst allow; what leases cost is that tokens held by
// one member are not available to another until spent or given back.
//
// Sizes (see Pool): a lease asks for ⌈Burst / (2 × members)⌉ tokens, and
// the next is asked for in the background once a member holds half that.
// So a member makes about one call per lease-size requests for a key,
// and all members together hold at most about three quarters of a burst.
//
// When the owner cannot be reached, a Pool decides by Config.OnLoss:
// FailOpen limits on this member alone (each member admitting up to the
// whole rate), FailClosed refuses. It asks the owner again after
// Config.Backoff, so that a lost owner costs one timed-out call per key
// and back-off, not one per request.
//
// This package has no Proto.Actor and no network: the call to the owner is
// a Transport.
package lease
