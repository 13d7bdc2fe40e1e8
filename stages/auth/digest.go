package auth

import (
	"crypto/sha256"
	"crypto/subtle"
)

// digests is a set of SHA-256 digests of secrets, matched in constant time:
// a presented secret is hashed and compared with every stored digest, with
// no early exit, so neither the time taken nor the order of the set tells
// which digest matched, how far a wrong secret got, or how long the stored
// secrets are.
type digests struct {
	sums [][sha256.Size]byte
	// compare compares two digests, 1 for equal; subtle.ConstantTimeCompare
	// unless a test counts the comparisons.
	compare func(x, y []byte) int
}

// newDigests returns the digests of secrets, in order.
func newDigests(secrets []string) digests {
	d := digests{sums: make([][sha256.Size]byte, len(secrets)), compare: subtle.ConstantTimeCompare}
	for i, s := range secrets {
		d.sums[i] = sha256.Sum256([]byte(s))
	}
	return d
}

// match returns the index of the digest of secret, or -1.
func (d digests) match(secret string) int {
	sum := sha256.Sum256([]byte(secret))
	found := -1
	for i := range d.sums {
		found = subtle.ConstantTimeSelect(d.compare(sum[:], d.sums[i][:]), i, found)
	}
	return found
}
