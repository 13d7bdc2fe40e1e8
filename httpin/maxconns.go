package httpin

// DefaultMaxConnections returns the default cap on a listener's
// connections, from the process's limit on open files n (RLIMIT_NOFILE):
// n less a reserve of n/4, but at least min(256, n/2), kept for the admin
// listener, upstream connections, log and other files. n is taken as at
// most 1<<20; when it is unknown, the cap is 4096.
func DefaultMaxConnections() int { return maxConnectionsFor(openFileLimit()) }

// maxConnectionsFor is DefaultMaxConnections for a limit of n open files.
func maxConnectionsFor(n uint64) int {
	if n == 0 {
		return 4096
	}
	files := int(min(n, 1<<20))
	return max(files-max(files/4, min(256, files/2)), 1)
}
