package cors_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The server and browser tests start apps and HTTP servers: none of their
// goroutines may outlive the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
