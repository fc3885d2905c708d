package state_test

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/clock"
	"github.com/restreamkit/restreamkit/internal/state"
)

// Events of the fixture user nova_plays, one per status.
const (
	nova       int64 = 2046371
	upcoming         = "10aef25c-4ca7-4f92-a47d-16d6631ebda6"
	inProgress       = "b4d2982b-4e55-4c13-b06b-71a2ae075810"
	finished         = "95ef2be4-24d2-4d9c-8ec5-420178877913"
	missed           = "fb64fdab-3908-4b58-8b7d-d75f7ad56076"
)

func newFixtureStore(t *testing.T) (*state.Store, *clock.Clock, *[]state.Change) {
	t.Helper()
	clk := clock.New()
	st, err := state.New(fixtureWorld(t), clk)
	if err != nil {
		t.Fatal(err)
	}
	var changes []state.Change
	st.OnChange(func(ch state.Change) { changes = append(changes, ch) })
	return st, clk, &changes
}

func TestStartEventPutsAnUpcomingEventInProgressNow(t *testing.T) {
	st, clk, changes := newFixtureStore(t)
	clk.Advance(3 * time.Hour)
	e, err := st.StartEvent(nova, upcoming)
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != restreamapi.EventStatusInProgress || e.StartedAt == nil || *e.StartedAt != clk.Now().Unix() || e.FinishedAt != nil {
		t.Fatalf("started event %+v, want in progress since the mock now", e)
	}
	live, err := st.InProgressEvents(nova)
	if err != nil {
		t.Fatal(err)
	}
	if !containsEvent(live, upcoming) {
		t.Error("the started event is not listed in progress")
	}
	if len(*changes) != 1 || (*changes)[0].Kind != state.EventChanged || (*changes)[0].Event.Id.String() != upcoming {
		t.Errorf("changes %+v, want one EventChanged for the event", *changes)
	}
	if err := state.Check(st.Export()); err != nil {
		t.Errorf("the world is inconsistent after StartEvent: %v", err)
	}
}

func TestFinishEventMovesALiveEventToTheHistory(t *testing.T) {
	st, clk, changes := newFixtureStore(t)
	if _, err := st.StartEvent(nova, upcoming); err != nil {
		t.Fatal(err)
	}
	clk.Advance(90 * time.Minute)
	e, err := st.FinishEvent(nova, upcoming)
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != restreamapi.EventStatusFinished || e.FinishedAt == nil || *e.FinishedAt != clk.Now().Unix() ||
		*e.FinishedAt-*e.StartedAt != 90*60 {
		t.Fatalf("finished event %+v, want finished now, 90 minutes after its start", e)
	}
	h, err := st.EventHistory(nova, 1, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Items) == 0 || h.Items[0].Id.String() != upcoming {
		t.Error("the finished event is not first in the history")
	}
	if n := len(*changes); n != 2 {
		t.Errorf("%d changes, want 2 (start and finish)", n)
	}
	if err := state.Check(st.Export()); err != nil {
		t.Errorf("the world is inconsistent after FinishEvent: %v", err)
	}
}

func TestFinishEventNeverEndsBeforeTheStartWhenTheClockWentBack(t *testing.T) {
	st, clk, _ := newFixtureStore(t)
	started, err := st.StartEvent(nova, upcoming)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(-time.Hour)
	e, err := st.FinishEvent(nova, upcoming)
	if err != nil {
		t.Fatal(err)
	}
	if *e.FinishedAt != *started.StartedAt {
		t.Errorf("finishedAt %d, want the start %d", *e.FinishedAt, *started.StartedAt)
	}
}

func TestEventLifecycleRefusesImpossibleMoves(t *testing.T) {
	tests := []struct {
		name       string
		op         func(st *state.Store) error
		wantStatus int
		wantName   string
	}{
		{"starting a finished event is a conflict", func(st *state.Store) error { _, err := st.StartEvent(nova, finished); return err },
			http.StatusConflict, "event_already_finished"},
		{"starting a missed event is a conflict", func(st *state.Store) error { _, err := st.StartEvent(nova, missed); return err },
			http.StatusConflict, "event_already_finished"},
		{"starting an unknown event is not found", func(st *state.Store) error {
			_, err := st.StartEvent(nova, "00000000-0000-0000-0000-000000000000")
			return err
		}, http.StatusNotFound, "event_not_found"},
		{"starting another user's event is not found", func(st *state.Store) error { _, err := st.StartEvent(3189024, upcoming); return err },
			http.StatusNotFound, "event_not_found"},
		{"finishing an upcoming event is a conflict", func(st *state.Store) error { _, err := st.FinishEvent(nova, upcoming); return err },
			http.StatusConflict, "event_not_started"},
		{"finishing a finished event is a conflict", func(st *state.Store) error { _, err := st.FinishEvent(nova, finished); return err },
			http.StatusConflict, "event_already_finished"},
		{"an unknown user is unauthorized", func(st *state.Store) error { _, err := st.FinishEvent(1, inProgress); return err },
			http.StatusUnauthorized, apierror.NameInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, changes := newFixtureStore(t)
			before := st.Export()
			e, ok := apierror.As(tt.op(st))
			if !ok || e.Status != tt.wantStatus || e.Name != tt.wantName {
				t.Fatalf("error %v, want %d %s", e, tt.wantStatus, tt.wantName)
			}
			if len(*changes) != 0 {
				t.Errorf("a refused move reported %d changes", len(*changes))
			}
			if after := st.Export(); !reflect.DeepEqual(before, after) {
				t.Error("a refused move changed the world")
			}
		})
	}
}

func TestStartEventLeavesAnEventInProgressAsItIs(t *testing.T) {
	st, clk, changes := newFixtureStore(t)
	before, err := st.Event(nova, inProgress)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	e, err := st.StartEvent(nova, inProgress)
	if err != nil {
		t.Fatal(err)
	}
	if *e.StartedAt != *before.StartedAt || e.Status != restreamapi.EventStatusInProgress {
		t.Errorf("event %+v, want it unchanged", e)
	}
	if len(*changes) != 0 {
		t.Errorf("%d changes reported for an event already live", len(*changes))
	}
}

func containsEvent(list []restreamapi.Event, id string) bool {
	for _, e := range list {
		if e.Id.String() == id {
			return true
		}
	}
	return false
}
