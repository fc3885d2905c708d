package state

import (
	"errors"
	"fmt"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
)

// Check reports whether a world is consistent enough to serve: unique ids, events whose status
// agrees with their timestamps, destinations that point at the user's own channels.
func Check(w World) error {
	w = deepCopy(w)
	return normalize(&w)
}

// normalize checks w and fills what may be left out (empty lists, event stream keys), so that
// every response the store builds has the shape the spec requires.
func normalize(w *World) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if w.Platforms == nil {
		w.Platforms = []restreamapi.Platform{}
	}
	if w.Servers == nil {
		w.Servers = []restreamapi.Server{}
	}
	users := map[int64]bool{}
	channels := map[int64]int64{}
	events := map[string]int64{}
	for ui := range w.Users {
		u := &w.Users[ui]
		uid := u.Profile.Id
		who := fmt.Sprintf("user %d", uid)
		switch {
		case uid <= 0:
			bad("user #%d: profile id must be positive", ui)
		case users[uid]:
			bad("%s: listed twice", who)
		}
		users[uid] = true
		if u.Profile.Username == "" {
			bad("%s: username is empty", who)
		}
		if u.StreamKey.StreamKey == "" {
			bad("%s: stream key is empty", who)
		}
		if u.Channels == nil {
			u.Channels = []Channel{}
		}
		if u.Events == nil {
			u.Events = []Event{}
		}
		if u.StorageFiles == nil {
			u.StorageFiles = []restreamapi.StorageFile{}
		}
		if u.Clips == nil {
			u.Clips = []ClipsProject{}
		}
		own := map[int64]restreamapi.Channel{}
		for _, c := range u.Channels {
			if c.Id <= 0 {
				bad("%s: channel id %d must be positive", who, c.Id)
			}
			if owner, dup := channels[c.Id]; dup {
				bad("%s: channel %d is also a channel of user %d", who, c.Id, owner)
			}
			channels[c.Id] = uid
			own[c.Id] = c.Channel
		}
		for ei := range u.Events {
			e := &u.Events[ei]
			id := e.Id.String()
			what := fmt.Sprintf("%s: event %s", who, id)
			if owner, dup := events[id]; dup {
				bad("%s is also an event of user %d", what, owner)
			}
			events[id] = uid
			if e.Source == 0 {
				e.Source = SourceEncoder
			}
			if e.Source < SourceStudio || e.Source > SourceVideo {
				bad("%s: source %d is not 1, 2 or 3", what, e.Source)
			}
			switch e.Status {
			case restreamapi.EventStatusUpcoming:
				if e.StartedAt != nil || e.FinishedAt != nil {
					bad("%s: an upcoming event has no startedAt or finishedAt", what)
				}
			case restreamapi.EventStatusInProgress:
				if e.StartedAt == nil || e.FinishedAt != nil {
					bad("%s: a live event has startedAt and no finishedAt", what)
				}
			case restreamapi.EventStatusFinished:
				if e.StartedAt == nil || e.FinishedAt == nil {
					bad("%s: a finished event has startedAt and finishedAt", what)
				}
			case restreamapi.EventStatusMissed:
			default:
				bad("%s: unknown status %q", what, e.Status)
			}
			if e.Destinations == nil {
				e.Destinations = []restreamapi.EventDestination{}
			}
			for _, d := range e.Destinations {
				c, ok := own[d.ChannelId]
				if !ok {
					bad("%s: destination channel %d is not one of the user's channels", what, d.ChannelId)
				} else if c.StreamingPlatformId != d.StreamingPlatformId {
					bad("%s: destination channel %d is on platform %d, not %d", what, d.ChannelId, c.StreamingPlatformId, d.StreamingPlatformId)
				}
			}
			if e.StreamKey.StreamKey == "" {
				e.StreamKey = eventStreamKey(u, id)
				if u.StreamKey.SrtUrl != nil {
					k := srtKeyFor(e.StreamKey.StreamKey, uid)
					e.StreamKey.SrtUrl = &k.Url
					if e.SrtKey == nil {
						e.SrtKey = &k
					}
				}
			}
			if r := e.Recordings; r != nil {
				for _, list := range []*[]restreamapi.RecordingFile{&r.PrimaryVideos, &r.SecondaryVideos, &r.Audio} {
					if *list == nil {
						*list = []restreamapi.RecordingFile{}
					}
				}
			}
			if a := e.Analytics; a != nil {
				if a.ByChannel == nil {
					a.ByChannel = map[string]restreamapi.ViewerStats{}
				}
				fixStats(&a.Total)
				for k, v := range a.ByChannel {
					fixStats(&v)
					a.ByChannel[k] = v
				}
			}
		}
		for pi := range u.Clips {
			p := &u.Clips[pi]
			if p.ClipThumbnails == nil {
				p.ClipThumbnails = []string{}
			}
			if p.Details.Clips == nil {
				p.Details.Clips = []restreamapi.Clip{}
			}
			if p.Details.PostedClips == nil {
				p.Details.PostedClips = []restreamapi.PostedClip{}
			}
		}
	}
	return errors.Join(errs...)
}

func fixStats(s *restreamapi.ViewerStats) {
	if s.ViewersPerMinute == nil {
		s.ViewersPerMinute = []restreamapi.ViewersPoint{}
	}
}
