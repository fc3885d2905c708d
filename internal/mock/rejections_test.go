package mock_test

import (
	"testing"

	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/guard"
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

// TestEveryRefusalOfTheGuardedControlAPIIsDocumented does the same with the control guard in the
// way: every control operation also meets a rebinding page's Host, a cross-origin browser write
// and a missing or wrong control token, and each refusal must be one its spec documents.
func TestEveryRefusalOfTheGuardedControlAPIIsDocumented(t *testing.T) {
	const maxBody, tok = 4096, "ctl-4b1d9e0c7a2f"
	h := newHarness(t, mock.Options{MaxBodyBytes: maxBody, Control: guard.Options{Token: tok}})
	tg := h.target()
	tg.ControlToken = tok
	conformance.Rejections(t, tg, conformance.Limits{MaxBodyBytes: maxBody, MaxHeaderBytes: mock.DefaultMaxHeaderBytes, ControlGuard: true})
}
