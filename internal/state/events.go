package state

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/randid"
)

func errEventNotFound() *apierror.Error { return notFound("EventNotFound", "event_not_found") }

func findEvent(u *User, id string) int {
	for i := range u.Events {
		if u.Events[i].Id.String() == id {
			return i
		}
	}
	return -1
}

// copyEvent returns an event that shares no memory with the stored one.
func copyEvent(e restreamapi.Event) restreamapi.Event {
	e.Destinations = slices.Clone(e.Destinations)
	if e.Destinations == nil {
		e.Destinations = []restreamapi.EventDestination{}
	}
	return e
}

// listEvents returns copies of the user's events that pass keep, ordered by order.
func (s *Store) listEvents(uid int64, keep func(*Event) bool, less func(a, b *Event) int) ([]restreamapi.Event, error) {
	var out []restreamapi.Event
	err := s.read(uid, func(u *User) error {
		var picked []*Event
		for i := range u.Events {
			if keep(&u.Events[i]) {
				picked = append(picked, &u.Events[i])
			}
		}
		slices.SortStableFunc(picked, less)
		out = make([]restreamapi.Event, len(picked))
		for i, e := range picked {
			out[i] = copyEvent(e.Event)
		}
		return nil
	})
	return out, err
}

func orZero(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// UpcomingEvents lists events that have not started: scheduled ones first by start time, then
// unscheduled ones newest first. source and scheduled filter when not nil.
func (s *Store) UpcomingEvents(uid int64, source *int, scheduled *bool) ([]restreamapi.Event, error) {
	return s.listEvents(uid, func(e *Event) bool {
		if e.Status != restreamapi.EventStatusUpcoming {
			return false
		}
		if source != nil && e.Source != *source {
			return false
		}
		if scheduled != nil && *scheduled && e.ScheduledFor == nil {
			return false
		}
		return true
	}, func(a, b *Event) int {
		switch {
		case a.ScheduledFor != nil && b.ScheduledFor != nil:
			return cmp.Compare(*a.ScheduledFor, *b.ScheduledFor)
		case a.ScheduledFor != nil:
			return -1
		case b.ScheduledFor != nil:
			return 1
		}
		return 0
	})
}

// InProgressEvents lists live events, most recently started first.
func (s *Store) InProgressEvents(uid int64) ([]restreamapi.Event, error) {
	return s.listEvents(uid, func(e *Event) bool { return e.Status == restreamapi.EventStatusInProgress },
		func(a, b *Event) int { return cmp.Compare(orZero(b.StartedAt), orZero(a.StartedAt)) })
}

func isPast(e *Event) bool {
	return e.Status == restreamapi.EventStatusFinished || e.Status == restreamapi.EventStatusMissed
}

// newestPastFirst orders past events, newest first.
func newestPastFirst(a, b *Event) int { return cmp.Compare(historyTime(b), historyTime(a)) }

// EventHistory returns one page of finished and missed events, newest first, and the page count.
// page and limit must be positive; any such page is served, a page past the end being empty.
func (s *Store) EventHistory(uid int64, page, limit int) (restreamapi.EventHistory, error) {
	if page < 1 || limit < 1 {
		return restreamapi.EventHistory{}, apierror.Newf(http.StatusBadRequest, apierror.NameInvalidQueryParams,
			"Invalid query params: page (%d) and limit (%d) must be at least 1", page, limit)
	}
	all, err := s.listEvents(uid, isPast, newestPastFirst)
	if err != nil {
		return restreamapi.EventHistory{}, err
	}
	// The page count is computed without adding to limit, and the offset only for a page that
	// exists, so that no client number can overflow.
	pages := len(all) / limit
	if len(all)%limit != 0 {
		pages++
	}
	h := restreamapi.EventHistory{Items: []restreamapi.Event{},
		Pagination: restreamapi.PagePagination{Page: page, Limit: limit, PagesTotal: pages}}
	if page <= pages {
		start := (page - 1) * limit
		h.Items = all[start : start+min(limit, len(all)-start)]
	}
	return h, nil
}

// historyTime orders past events: when they finished, or were due for missed ones.
func historyTime(e *Event) int64 {
	if e.FinishedAt != nil {
		return *e.FinishedAt
	}
	if e.ScheduledFor != nil {
		return *e.ScheduledFor
	}
	return orZero(e.StartedAt)
}

// withEvent runs fn on one of the user's events under the read lock.
func (s *Store) withEvent(uid int64, id string, fn func(e *Event) error) error {
	return s.read(uid, func(u *User) error {
		i := findEvent(u, id)
		if i < 0 {
			return errEventNotFound()
		}
		return fn(&u.Events[i])
	})
}

// Event returns one of the user's events.
func (s *Store) Event(uid int64, id string) (restreamapi.Event, error) {
	var out restreamapi.Event
	err := s.withEvent(uid, id, func(e *Event) error { out = copyEvent(e.Event); return nil })
	return out, err
}

// EventSource returns the source of one of the user's events (SourceStudio, SourceEncoder...).
func (s *Store) EventSource(uid int64, id string) (int, error) {
	var src int
	err := s.withEvent(uid, id, func(e *Event) error { src = e.Source; return nil })
	return src, err
}

// EventStreamKey returns the RTMP key and SRT URL of an event.
func (s *Store) EventStreamKey(uid int64, id string) (restreamapi.StreamKey, error) {
	var out restreamapi.StreamKey
	err := s.withEvent(uid, id, func(e *Event) error { out = e.StreamKey; return nil })
	return out, err
}

// EventSrtKey returns the SRT credentials of an event, or 403 when the user's plan has no SRT.
func (s *Store) EventSrtKey(uid int64, id string) (restreamapi.SrtStreamKey, error) {
	var out restreamapi.SrtStreamKey
	err := s.withEvent(uid, id, func(e *Event) error {
		if e.SrtKey == nil {
			// SRT is available on Business and Enterprise plans only.
			return apierror.New(http.StatusForbidden, "srt_not_available", "SrtNotAvailable")
		}
		out = *e.SrtKey
		return nil
	})
	return out, err
}

// CreateEvent creates an upcoming event with no destinations and returns its id. scheduledFor
// must be within MinEventTime and MaxEventTime, and the user below MaxOpenEventsPerUser.
func (s *Store) CreateEvent(uid int64, req restreamapi.EventCreate) (string, error) {
	if req.ScheduledFor != nil && !eventTimeOK(req.ScheduledFor.Unix()) {
		return "", apierror.Newf(http.StatusBadRequest, apierror.NameInvalidBodyParams,
			"Invalid body params: scheduledFor must be from %s to %s", MinEventTime.Format(time.RFC3339), MaxEventTime.Format(time.RFC3339))
	}
	id := uuid.MustParse(s.ids.Load().UUID())
	var created restreamapi.Event
	err := s.write(uid, func(u *User) error {
		if open := len(u.Events) - countEvents(u, isPast); open >= MaxOpenEventsPerUser {
			return errLimit("event_limit_reached", "EventLimitReached: a user may have at most %d upcoming and live events", MaxOpenEventsPerUser)
		}
		e := Event{Event: restreamapi.Event{Id: id, Status: restreamapi.EventStatusUpcoming,
			Destinations: []restreamapi.EventDestination{}}}
		if req.Title != nil {
			e.Title = *req.Title
		}
		if req.Description != nil {
			e.Description = *req.Description
		}
		if req.ScheduledFor != nil {
			t := req.ScheduledFor.Unix()
			e.ScheduledFor = &t
		}
		f := false
		e.IsRecordOnly = &f
		instant := req.ScheduledFor == nil
		e.IsInstant = &instant
		e.Source = SourceEncoder
		if req.StreamType == restreamapi.Studio {
			e.Source = SourceStudio
		}
		e.StreamKey = eventStreamKey(u, s.ids.Load())
		if u.StreamKey.SrtUrl != nil {
			k := srtKeyFor(e.StreamKey.StreamKey, uid)
			e.SrtKey = &k
			e.StreamKey.SrtUrl = &k.Url
		}
		u.Events = append(u.Events, e)
		created = copyEvent(e.Event)
		return nil
	})
	if err != nil {
		return "", err
	}
	s.notify(Change{Kind: EventChanged, UserID: uid, Event: &created})
	return id.String(), nil
}

// eventStreamKey makes the RTMP key of a new event, in the shape of the user's own key, from
// ids: the store's source for events it creates, a random one for fixture events without a key.
func eventStreamKey(u *User, ids *randid.Source) restreamapi.StreamKey {
	var b [12]byte
	ids.Read(b[:])
	return restreamapi.StreamKey{StreamKey: fmt.Sprintf("re_%d_event%s", u.Profile.Id, hex.EncodeToString(b[:]))}
}

func srtKeyFor(streamKey string, uid int64) restreamapi.SrtStreamKey {
	streamID := "srt_" + strings.TrimPrefix(streamKey, "re_")
	return restreamapi.SrtStreamKey{StreamId: streamID, PassPhrase: streamKey,
		Url: "srt://live.restream.io:2010?streamid=" + streamID + "&passphrase=" + streamKey}
}

// AddEventDestination adds one of the user's manually configured channels to an event.
func (s *Store) AddEventDestination(uid int64, eventID string, req restreamapi.EventDestinationCreate) (string, error) {
	orientation := string(restreamapi.Horizontal)
	if req.StreamingOrientation != nil {
		orientation = string(*req.StreamingOrientation)
	}
	destID := s.ids.Load().UUID()
	var changed restreamapi.Event
	err := s.write(uid, func(u *User) error {
		i := findEvent(u, eventID)
		if i < 0 {
			return errEventNotFound()
		}
		e := &u.Events[i]
		c := findChannel(u, req.ChannelId)
		if c < 0 {
			// 404 as for a channel in the path: one status per name, since clients key on the name.
			return apierror.Newf(http.StatusNotFound, "channel_not_found",
				"ChannelNotFound: channelId %d is not one of your channels", req.ChannelId)
		}
		ch := u.Channels[c].Channel
		if !IsManualPlatform(ch.StreamingPlatformId) {
			// Only manually configured destinations can be added to events yet.
			return apierror.New(http.StatusBadRequest, "platform_not_supported", "PlatformNotSupported")
		}
		if e.Status == restreamapi.EventStatusFinished || e.Status == restreamapi.EventStatusMissed {
			return apierror.New(http.StatusConflict, "event_already_finished", "EventAlreadyFinished")
		}
		for _, d := range e.Destinations {
			if d.ChannelId == ch.Id {
				return apierror.New(http.StatusConflict, "destination_already_exists", "DestinationAlreadyExists")
			}
		}
		e.Destinations = append(e.Destinations, restreamapi.EventDestination{ChannelId: ch.Id,
			StreamingPlatformId: ch.StreamingPlatformId, ExternalUrl: nil})
		if e.Orientations == nil {
			e.Orientations = map[int64]DestinationSettings{}
		}
		e.Orientations[ch.Id] = DestinationSettings{ID: destID, Orientation: orientation}
		changed = copyEvent(e.Event)
		return nil
	})
	if err != nil {
		return "", err
	}
	s.notify(Change{Kind: EventChanged, UserID: uid, Event: &changed})
	return destID, nil
}

// countEvents counts the user's events that pass keep.
func countEvents(u *User, keep func(*Event) bool) int {
	n := 0
	for i := range u.Events {
		if keep(&u.Events[i]) {
			n++
		}
	}
	return n
}

// dropOldestPast removes the oldest past events beyond MaxPastEventsPerUser: the history of a
// user whose simulated streams keep ending stays bounded.
func dropOldestPast(u *User) {
	excess := countEvents(u, isPast) - MaxPastEventsPerUser
	if excess <= 0 {
		return
	}
	var past []*Event
	for i := range u.Events {
		if isPast(&u.Events[i]) {
			past = append(past, &u.Events[i])
		}
	}
	slices.SortStableFunc(past, newestPastFirst)
	drop := map[string]bool{}
	for _, e := range past[len(past)-excess:] {
		drop[e.Id.String()] = true
	}
	u.Events = slices.DeleteFunc(u.Events, func(e Event) bool { return drop[e.Id.String()] })
}
