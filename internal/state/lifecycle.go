package state

import (
	"net/http"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
)

// StartEvent puts an upcoming event in progress, started now by the mock clock, as going live
// does; the stream simulator of package live calls it. An event already in progress is
// returned unchanged, so that a simulated stream can attach to an event the fixtures describe
// as live. A finished or missed event cannot start again (409).
func (s *Store) StartEvent(uid int64, id string) (restreamapi.Event, error) {
	now := s.eventNow()
	var out restreamapi.Event
	changed := false
	err := s.write(uid, func(u *User) error {
		i := findEvent(u, id)
		if i < 0 {
			return errEventNotFound()
		}
		e := &u.Events[i]
		switch e.Status {
		case restreamapi.EventStatusUpcoming:
			e.Status = restreamapi.EventStatusInProgress
			e.StartedAt = &now
			changed = true
		case restreamapi.EventStatusInProgress:
		default:
			return apierror.New(http.StatusConflict, "event_already_finished",
				"EventAlreadyFinished: a finished or missed event cannot go live again")
		}
		out = copyEvent(e.Event)
		return nil
	})
	if err != nil {
		return restreamapi.Event{}, err
	}
	if changed {
		ev := copyEvent(out)
		s.notify(Change{Kind: EventChanged, UserID: uid, Event: &ev})
	}
	return out, nil
}

// FinishEvent ends an event in progress, finished now by the mock clock, so that it moves to
// the history. When the clock was moved back past the start, the event finishes when it
// started, which keeps finishedAt >= startedAt. An event not in progress cannot finish (409).
// A history longer than MaxPastEventsPerUser loses its oldest events.
func (s *Store) FinishEvent(uid int64, id string) (restreamapi.Event, error) {
	now := s.eventNow()
	var out restreamapi.Event
	err := s.write(uid, func(u *User) error {
		i := findEvent(u, id)
		if i < 0 {
			return errEventNotFound()
		}
		e := &u.Events[i]
		switch e.Status {
		case restreamapi.EventStatusInProgress:
		case restreamapi.EventStatusUpcoming:
			return apierror.New(http.StatusConflict, "event_not_started", "EventNotStarted: the event has not gone live")
		default:
			return apierror.New(http.StatusConflict, "event_already_finished", "EventAlreadyFinished: the event has already ended")
		}
		end := max(now, orZero(e.StartedAt))
		e.Status = restreamapi.EventStatusFinished
		e.FinishedAt = &end
		out = copyEvent(e.Event)
		dropOldestPast(u)
		return nil
	})
	if err != nil {
		return restreamapi.Event{}, err
	}
	ev := copyEvent(out)
	s.notify(Change{Kind: EventChanged, UserID: uid, Event: &ev})
	return out, nil
}

// eventNow is the mock time as an event time, kept within MinEventTime and MaxEventTime however
// far the clock was moved, so that every event the store writes can be exported and imported.
func (s *Store) eventNow() int64 {
	return min(max(s.clock.Now().Unix(), MinEventTime.Unix()), MaxEventTime.Unix())
}
