package state

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
)

// errChannelNotFound is the 404 of a channel the user does not have.
func errChannelNotFound() *apierror.Error { return notFound("ChannelNotFound", "channel_not_found") }

func findChannel(u *User, id int64) int {
	for i := range u.Channels {
		if u.Channels[i].Id == id {
			return i
		}
	}
	return -1
}

// Channels returns the user's channels in the order they were added.
func (s *Store) Channels(uid int64) ([]restreamapi.Channel, error) {
	var out []restreamapi.Channel
	err := s.read(uid, func(u *User) error {
		out = make([]restreamapi.Channel, len(u.Channels))
		for i := range u.Channels {
			out[i] = u.Channels[i].Channel
		}
		return nil
	})
	return out, err
}

// Channel returns one of the user's channels.
func (s *Store) Channel(uid, id int64) (restreamapi.Channel, error) {
	var out restreamapi.Channel
	err := s.read(uid, func(u *User) error {
		i := findChannel(u, id)
		if i < 0 {
			return errChannelNotFound()
		}
		out = u.Channels[i].Channel
		return nil
	})
	return out, err
}

// SetChannelActive enables or disables a channel.
func (s *Store) SetChannelActive(uid, id int64, active bool) error {
	var before, after restreamapi.Channel
	err := s.write(uid, func(u *User) error {
		i := findChannel(u, id)
		if i < 0 {
			return errChannelNotFound()
		}
		before = u.Channels[i].Channel
		u.Channels[i].Active = active
		after = u.Channels[i].Channel
		return nil
	})
	if err == nil && before.Active != after.Active {
		s.notify(Change{Kind: ChannelUpdated, UserID: uid, Channel: &after, Before: &before})
	}
	return err
}

// ChannelMeta returns the title and description used for a channel.
func (s *Store) ChannelMeta(uid, id int64) (restreamapi.ChannelMeta, error) {
	var out restreamapi.ChannelMeta
	err := s.read(uid, func(u *User) error {
		i := findChannel(u, id)
		if i < 0 {
			return errChannelNotFound()
		}
		out = u.Channels[i].Meta
		if out.Description != nil {
			d := *out.Description
			out.Description = &d
		}
		return nil
	})
	return out, err
}

// SetChannelMeta sets a channel's title and, when description is not nil, its description.
func (s *Store) SetChannelMeta(uid, id int64, title string, description *string) error {
	return s.write(uid, func(u *User) error {
		i := findChannel(u, id)
		if i < 0 {
			return errChannelNotFound()
		}
		u.Channels[i].Meta.Title = title
		if description != nil {
			d := *description
			u.Channels[i].Meta.Description = &d
		}
		return nil
	})
}

// manualPlatform says which fields a manually configured destination needs. The documentation is
// ambiguous for the one-field platforms; the choice made here is listed in the README.
type manualPlatform struct {
	name       string
	needURL    bool
	needKey    bool
	schemes    []string // accepted streamUrl schemes
	allowsAuth bool     // rtmpUsername/rtmpPassword
}

var manualPlatforms = map[int]manualPlatform{
	29: {name: "Custom RTMP", needURL: true, schemes: []string{"rtmp", "rtmps"}, allowsAuth: true},
	37: {name: "Facebook Group", needKey: true},
	49: {name: "Steam", needURL: true, needKey: true, schemes: []string{"rtmp", "rtmps"}},
	60: {name: "Nimo", needURL: true, needKey: true, schemes: []string{"rtmp", "rtmps"}},
	61: {name: "Naver", needURL: true, needKey: true, schemes: []string{"rtmp", "rtmps"}},
	68: {name: "Mixcloud", needKey: true},
	72: {name: "Telegram", needURL: true, needKey: true, schemes: []string{"rtmp", "rtmps"}},
	73: {name: "Instagram", needKey: true},
	74: {name: "Amazon Live", needURL: true, needKey: true, schemes: []string{"rtmp", "rtmps"}},
	78: {name: "Custom SRT", needURL: true, schemes: []string{"srt"}},
	79: {name: "Substack", needKey: true},
	80: {name: "Mux", needKey: true},
	81: {name: "Custom WHIP", needURL: true, schemes: []string{"https", "http"}},
	82: {name: "Custom HLS Push", needURL: true, schemes: []string{"https", "http"}},
}

// IsManualPlatform reports whether channels of the platform are manually configured destinations,
// the only ones an event destination can use.
func IsManualPlatform(id int) bool {
	_, ok := manualPlatforms[id]
	return ok
}

// AddChannel adds a manually configured destination and returns it as the 201 body.
func (s *Store) AddChannel(uid int64, req restreamapi.ChannelCreate) (restreamapi.ChannelCreated, error) {
	pid := int(req.PlatformId)
	mp, ok := manualPlatforms[pid]
	if !ok {
		return restreamapi.ChannelCreated{}, apierror.Newf(http.StatusBadRequest, "platform_not_supported",
			"PlatformNotSupported: platform %d cannot be added manually", pid)
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return strings.TrimSpace(*p)
	}
	streamURL, streamKey := str(req.StreamUrl), str(req.StreamKey)
	if mp.needURL && streamURL == "" {
		return restreamapi.ChannelCreated{}, apierror.Newf(http.StatusBadRequest, "invalid_url",
			"InvalidUrl: streamUrl is required for %s", mp.name)
	}
	if streamURL != "" {
		if err := checkStreamURL(streamURL, mp); err != nil {
			return restreamapi.ChannelCreated{}, err
		}
	}
	if mp.needKey && streamKey == "" {
		return restreamapi.ChannelCreated{}, apierror.Newf(http.StatusBadRequest, "invalid_stream_key",
			"InvalidStreamKey: streamKey is required for %s", mp.name)
	}
	if strings.ContainsAny(streamKey, " \t\r\n/") {
		return restreamapi.ChannelCreated{}, apierror.New(http.StatusBadRequest, "invalid_stream_key",
			"InvalidStreamKey: streamKey must not contain spaces or slashes")
	}
	if !mp.allowsAuth && (req.RtmpUsername != nil || req.RtmpPassword != nil) {
		return restreamapi.ChannelCreated{}, apierror.Newf(http.StatusBadRequest, apierror.NameInvalidBodyParams,
			"Invalid body params: rtmpUsername and rtmpPassword are only for Custom RTMP")
	}
	if req.InstagramUsername != nil && pid != 73 {
		return restreamapi.ChannelCreated{}, apierror.Newf(http.StatusBadRequest, apierror.NameInvalidBodyParams,
			"Invalid body params: instagramUsername is only for Instagram")
	}
	name := str(req.DisplayName)
	identifier := ""
	if pid == 73 { // Instagram ignores displayName and shows the account
		name = str(req.InstagramUsername)
		identifier = name
		if name == "" {
			name = mp.name
		}
	}
	if name == "" {
		name = mp.name
	}
	var ch restreamapi.Channel
	err := s.write(uid, func(u *User) error {
		if len(u.Channels) >= MaxChannelsPerUser {
			return errLimit("channel_limit_reached", "ChannelLimitReached: a user may have at most %d channels", MaxChannelsPerUser)
		}
		id, err := s.newChannelID()
		if err != nil {
			return err
		}
		if identifier == "" {
			identifier = "manual-" + strconv.FormatInt(id, 10)
		}
		ch = restreamapi.Channel{Id: id, StreamingPlatformId: pid, EmbedUrl: "", Url: streamURL,
			Identifier: identifier, DisplayName: name, Active: true}
		u.Channels = append(u.Channels, Channel{Channel: ch, Meta: restreamapi.ChannelMeta{Title: ""},
			StreamURL: streamURL, StreamKey: streamKey})
		return nil
	})
	if err != nil {
		return restreamapi.ChannelCreated{}, err
	}
	s.notify(Change{Kind: ChannelAdded, UserID: uid, Channel: &ch})
	return restreamapi.ChannelCreated{Id: ch.Id, PlatformId: pid, ChannelUrl: streamURL, DisplayName: name}, nil
}

func checkStreamURL(raw string, mp manualPlatform) error {
	u, err := url.Parse(raw)
	bad := err != nil || u.Host == "" || strings.ContainsAny(raw, " \t\r\n")
	if !bad && len(mp.schemes) > 0 {
		bad = true
		for _, sch := range mp.schemes {
			if strings.EqualFold(u.Scheme, sch) {
				bad = false
			}
		}
	}
	if bad {
		return apierror.Newf(http.StatusBadRequest, "invalid_url", "InvalidUrl: streamUrl must be a %s URL with a host",
			strings.Join(mp.schemes, " or "))
	}
	return nil
}

// DeleteChannel removes a channel, and removes it from the destinations of events not yet finished.
func (s *Store) DeleteChannel(uid, id int64) error {
	var removed restreamapi.Channel
	var changed []restreamapi.Event
	err := s.write(uid, func(u *User) error {
		i := findChannel(u, id)
		if i < 0 {
			return errChannelNotFound()
		}
		removed = u.Channels[i].Channel
		u.Channels = append(u.Channels[:i], u.Channels[i+1:]...)
		for e := range u.Events {
			ev := &u.Events[e]
			if ev.Status != restreamapi.EventStatusUpcoming && ev.Status != restreamapi.EventStatusInProgress {
				continue
			}
			kept := ev.Destinations[:0]
			for _, d := range ev.Destinations {
				if d.ChannelId != id {
					kept = append(kept, d)
				}
			}
			if len(kept) != len(ev.Destinations) {
				ev.Destinations = kept
				delete(ev.Orientations, id)
				changed = append(changed, copyEvent(ev.Event))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.notify(Change{Kind: ChannelRemoved, UserID: uid, Channel: &removed})
	for i := range changed {
		s.notify(Change{Kind: EventChanged, UserID: uid, Event: &changed[i]})
	}
	return nil
}
