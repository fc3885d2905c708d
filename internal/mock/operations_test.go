package mock_test

import (
	"testing"

	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/mock"
)

// Fixture ids of nova_plays and techtalks_daily the tests use.
const (
	novaTwitch     = conformance.NovaTwitch
	novaCustomRTMP = conformance.NovaCustomRTMP
	novaTelegram   = conformance.NovaTelegram
	techtalksYT    = conformance.TechtalksYouTube
)

var (
	novaLive         = conformance.NovaLive
	novaFinished1    = conformance.NovaFinished1
	techtalksFinish1 = conformance.TechtalksFinished1
)

// TestEveryOperationAnswersItsHappyPath calls every operation of the spec through the generated
// client; the harness checks every response against the spec.
func TestEveryOperationAnswersItsHappyPath(t *testing.T) {
	h := newHarness(t, mock.Options{})
	conformance.HappyPaths(t, h.target())
}

// TestEveryExampleIsAnsweredAsDocumented replays every example of examples/operations and
// compares the answers with the documented ones.
func TestEveryExampleIsAnsweredAsDocumented(t *testing.T) {
	h := newHarness(t, mock.Options{})
	conformance.ReplayExamples(t, h.target())
}
