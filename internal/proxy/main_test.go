package proxy_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind: relays, pumps, tee validators
// and upstream connections must all end with their exchange or with Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
