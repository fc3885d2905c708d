package mock_test

import (
	"testing"

	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/mock"
)

// TestTheLiveSuitesPassForEveryFixtureUser runs the suites restream-check runs against any API
// (reads with the account's token, reads without a token, the channel round trip) for each
// fixture user: the rich account, one with other data, and one with almost nothing, whose
// missing ids must make skips, not failures. The harness checks every answer against the spec.
func TestTheLiveSuitesPassForEveryFixtureUser(t *testing.T) {
	for _, user := range []int64{nova, techtalks, quiet} {
		t.Run(conformance.UserName(user), func(t *testing.T) {
			h := newHarness(t, mock.Options{})
			tg := h.target()
			token := h.token(user)
			t.Run("reads", func(t *testing.T) { conformance.Reads(t, tg, token) })
			t.Run("no token", func(t *testing.T) { conformance.NoToken(t, tg) })
			t.Run("writes", func(t *testing.T) { conformance.Writes(t, tg, token) })
		})
	}
}
