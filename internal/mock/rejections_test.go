package mock_test

import (
	"testing"

	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/mock"
)

// TestEveryRefusalIsDocumentedForEveryOperation sends every kind of request the gate refuses
// (headers or body over the limit, a body the operation does not take, malformed parameters,
// missing or narrow tokens, injected 429 and 503) to every operation of the Restream API and of
// the control API, and checks each answer against the operation's spec.
func TestEveryRefusalIsDocumentedForEveryOperation(t *testing.T) {
	const maxBody = 4096
	h := newHarness(t, mock.Options{MaxBodyBytes: maxBody})
	conformance.Rejections(t, h.target(), conformance.Limits{MaxBodyBytes: maxBody, MaxHeaderBytes: mock.DefaultMaxHeaderBytes})
}
