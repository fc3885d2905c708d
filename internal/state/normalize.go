package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/jsontext"
	"github.com/restreamkit/restreamkit/internal/randid"
)

// Check reports whether a world is consistent enough to serve: unique ids, events whose status
// agrees with their timestamps, destinations that point at the user's own channels.
func Check(w World) error {
	_, err := prepare(w)
	return err
}

// prepare returns a normalized deep copy of w, or what is wrong with it. The copy travels
// through JSON like snapshots do, so a value that cannot be encoded (an e-mail address that
// is not one) is refused here rather than when the world is next copied.
func prepare(w World) (World, error) {
	data, err := json.Marshal(w)
	if err != nil {
		return World{}, encodingProblem(w, err)
	}
	var out World
	if err := json.Unmarshal(data, &out); err != nil {
		return World{}, fmt.Errorf("the world does not read back: %w", err)
	}
	return out, normalize(&out)
}

// encodingProblem names the part of w that cannot be encoded.
func encodingProblem(w World, err error) error {
	for ui, u := range w.Users {
		if _, err := json.Marshal(u.Profile); err != nil {
			return fmt.Errorf("/users/%d/profile: %w", ui, err)
		}
		if _, err := json.Marshal(u); err != nil {
			return fmt.Errorf("/users/%d: %w", ui, err)
		}
	}
	return err
}

// maxReported is how many problems an error about a world lists; the rest are counted, so
// that a large bad document cannot make a large error message.
const maxReported = 20

// problems collects what is wrong with a world, each prefixed with the JSON pointer of the
// value at fault.
type problems struct {
	list []error
	more int
}

func (p *problems) add(pointer, format string, args ...any) {
	if len(p.list) == maxReported {
		p.more++
		return
	}
	p.list = append(p.list, fmt.Errorf("%s: %s", pointer, fmt.Sprintf(format, args...)))
}

// capped reports a list longer than its cap.
func (p *problems) capped(pointer string, n, max int, what string) {
	if n > max {
		p.add(pointer, "%d %s, more than the %d allowed", n, what, max)
	}
}

// eventTime reports an event time outside MinEventTime..MaxEventTime.
func (p *problems) eventTime(pointer string, t *int64) {
	if t != nil && !eventTimeOK(*t) {
		p.add(pointer, "%d is not a Unix time from %s to %s", *t, MinEventTime.Format(time.RFC3339), MaxEventTime.Format(time.RFC3339))
	}
}

// isoTime reports a time that is not within years 0 to 9999 once in UTC.
func (p *problems) isoTime(pointer string, t time.Time) {
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		p.add(pointer, "%s is not within years 0000 to 9999 in UTC", t.Format(time.RFC3339))
	}
}

func (p *problems) err() error {
	if p.more > 0 {
		p.list = append(p.list, fmt.Errorf("and %d more problems", p.more))
	}
	return errors.Join(p.list...)
}

// normalize checks w and fills what may be left out (empty lists, event stream keys), so that
// every response the store builds has the shape the spec requires. Every problem is named by
// the JSON pointer of the value at fault.
func normalize(w *World) error {
	var bad problems
	if w.Platforms == nil {
		w.Platforms = []restreamapi.Platform{}
	}
	if w.Servers == nil {
		w.Servers = []restreamapi.Server{}
	}
	bad.capped("/platforms", len(w.Platforms), MaxPublicEntries, "platforms")
	bad.capped("/servers", len(w.Servers), MaxPublicEntries, "servers")
	bad.capped("/users", len(w.Users), MaxUsers, "users")
	if len(w.Users) > MaxUsers {
		return bad.err() // the rest is not worth checking
	}
	users := map[int64]bool{}
	channels := map[int64]int64{}
	events := map[string]int64{}
	for ui := range w.Users {
		u := &w.Users[ui]
		uid := u.Profile.Id
		at := fmt.Sprintf("/users/%d", ui)
		switch {
		case uid <= 0 || uid > MaxID:
			bad.add(at+"/profile/id", "user id %d is not between 1 and %d", uid, MaxID)
		case users[uid]:
			bad.add(at+"/profile/id", "user %d is listed twice", uid)
		}
		users[uid] = true
		if u.Profile.Username == "" {
			bad.add(at+"/profile/username", "the username of user %d is empty", uid)
		}
		if u.StreamKey.StreamKey == "" {
			bad.add(at+"/streamKey/streamKey", "the stream key of user %d is empty", uid)
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
		bad.capped(at+"/channels", len(u.Channels), MaxChannelsPerUser, "channels")
		bad.capped(at+"/storageFiles", len(u.StorageFiles), MaxStorageFilesPerUser, "storage files")
		bad.capped(at+"/clipsProjects", len(u.Clips), MaxClipsProjectsPerUser, "clip projects")
		normalizeStudio(&bad, at+"/studio", &u.Studio)
		own := map[int64]restreamapi.Channel{}
		for ci, c := range u.Channels {
			if c.Id <= 0 || c.Id > MaxImportedChannelID {
				bad.add(fmt.Sprintf("%s/channels/%d/id", at, ci), "channel id %d is not between 1 and %d (new ids need room up to %d)",
					c.Id, MaxImportedChannelID, MaxID)
			}
			if owner, dup := channels[c.Id]; dup {
				bad.add(fmt.Sprintf("%s/channels/%d/id", at, ci), "channel %d of user %d is also a channel of user %d", c.Id, uid, owner)
			}
			channels[c.Id] = uid
			own[c.Id] = c.Channel
		}
		open, past := 0, 0
		for ei := range u.Events {
			e := &u.Events[ei]
			id := e.Id.String()
			ep := fmt.Sprintf("%s/events/%d", at, ei)
			if owner, dup := events[id]; dup {
				bad.add(ep+"/id", "event %s of user %d is also an event of user %d", id, uid, owner)
			}
			events[id] = uid
			if e.Source == 0 {
				e.Source = SourceEncoder
			}
			if e.Source < SourceStudio || e.Source > SourceVideo {
				bad.add(ep+"/source", "source %d is not 1, 2 or 3", e.Source)
			}
			bad.eventTime(ep+"/scheduledFor", e.ScheduledFor)
			bad.eventTime(ep+"/startedAt", e.StartedAt)
			bad.eventTime(ep+"/finishedAt", e.FinishedAt)
			switch e.Status {
			case restreamapi.EventStatusUpcoming:
				open++
				if e.StartedAt != nil || e.FinishedAt != nil {
					bad.add(ep+"/status", "an upcoming event has no startedAt or finishedAt")
				}
			case restreamapi.EventStatusInProgress:
				open++
				if e.StartedAt == nil || e.FinishedAt != nil {
					bad.add(ep+"/status", "a live event has startedAt and no finishedAt")
				}
			case restreamapi.EventStatusFinished:
				past++
				if e.StartedAt == nil || e.FinishedAt == nil {
					bad.add(ep+"/status", "a finished event has startedAt and finishedAt")
				}
			case restreamapi.EventStatusMissed:
				past++
			default:
				bad.add(ep+"/status", "unknown status %q", e.Status)
			}
			if e.Destinations == nil {
				e.Destinations = []restreamapi.EventDestination{}
			}
			seen := map[int64]bool{}
			for di, d := range e.Destinations {
				dp := fmt.Sprintf("%s/destinations/%d/channelId", ep, di)
				c, ok := own[d.ChannelId]
				switch {
				case !ok:
					bad.add(dp, "channel %d is not one of the user's channels", d.ChannelId)
				case c.StreamingPlatformId != d.StreamingPlatformId:
					bad.add(dp, "channel %d is on platform %d, not %d", d.ChannelId, c.StreamingPlatformId, d.StreamingPlatformId)
				case seen[d.ChannelId]:
					bad.add(dp, "channel %d is a destination of the event twice", d.ChannelId)
				}
				seen[d.ChannelId] = true
			}
			bad.capped(ep+"/chat", len(e.Chat), MaxChatMessagesPerEvent, "chat messages")
			bad.capped(ep+"/transcriptions", len(e.Transcriptions), MaxRecordingsPerEvent, "transcriptions")
			if e.StreamKey.StreamKey == "" {
				e.StreamKey = eventStreamKey(u, randid.NewSource(0))
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
				bad.capped(ep+"/recordings", len(r.PrimaryVideos)+len(r.SecondaryVideos)+len(r.Audio), MaxRecordingsPerEvent, "recorded files")
			}
			if a := e.Analytics; a != nil {
				if a.ByChannel == nil {
					a.ByChannel = map[string]restreamapi.ViewerStats{}
				}
				bad.capped(ep+"/analytics/byChannel", len(a.ByChannel), MaxChannelsPerUser, "channels")
				fixStats(&a.Total)
				bad.capped(ep+"/analytics/total/viewersPerMinute", len(a.Total.ViewersPerMinute), MaxAnalyticsPoints, "points")
				for k, v := range a.ByChannel {
					fixStats(&v)
					a.ByChannel[k] = v
					bad.capped(ep+"/analytics/byChannel/"+jsontext.EscapePointerToken(k)+"/viewersPerMinute", len(v.ViewersPerMinute), MaxAnalyticsPoints, "points")
				}
			}
		}
		if open > MaxOpenEventsPerUser {
			bad.add(at+"/events", "%d upcoming and live events, more than the %d allowed", open, MaxOpenEventsPerUser)
		}
		if past > MaxPastEventsPerUser {
			bad.add(at+"/events", "%d finished and missed events, more than the %d allowed", past, MaxPastEventsPerUser)
		}
		for pi := range u.Clips {
			p := &u.Clips[pi]
			pp := fmt.Sprintf("%s/clipsProjects/%d", at, pi)
			if p.ClipThumbnails == nil {
				p.ClipThumbnails = []string{}
			}
			if p.Details.Clips == nil {
				p.Details.Clips = []restreamapi.Clip{}
			}
			if p.Details.PostedClips == nil {
				p.Details.PostedClips = []restreamapi.PostedClip{}
			}
			// Clip times become cursors, which are UTC ISO 8601 times with four-digit years.
			bad.isoTime(pp+"/createdAt", p.CreatedAt)
			for ci, c := range p.Details.Clips {
				bad.isoTime(fmt.Sprintf("%s/details/clips/%d/createdAt", pp, ci), c.CreatedAt)
			}
			for ci, c := range p.Details.PostedClips {
				bad.isoTime(fmt.Sprintf("%s/details/postedClips/%d/createdAt", pp, ci), c.CreatedAt)
			}
			bad.capped(pp+"/clipThumbnails", len(p.ClipThumbnails), MaxClipsPerProject, "thumbnails")
			bad.capped(pp+"/details/clips", len(p.Details.Clips), MaxClipsPerProject, "clips")
			bad.capped(pp+"/details/postedClips", len(p.Details.PostedClips), MaxClipsPerProject, "posted clips")
		}
	}
	return bad.err()
}

func fixStats(s *restreamapi.ViewerStats) {
	if s.ViewersPerMinute == nil {
		s.ViewersPerMinute = []restreamapi.ViewersPoint{}
	}
}

// maxStudioIDLen is the longest caption, QR code or ticker id, as the spec's path parameters
// allow: an id longer than that could be listed but never fetched.
const maxStudioIDLen = 64

// normalizeStudio fills a user's empty Studio lists and checks them: within the caps, ids
// unique, and every brandId one of the user's brands.
func normalizeStudio(bad *problems, at string, st *Studio) {
	if st.Brands == nil {
		st.Brands = []restreamapi.StudioBrand{}
	}
	if st.Captions == nil {
		st.Captions = []restreamapi.StudioCaption{}
	}
	if st.QrCodes == nil {
		st.QrCodes = []restreamapi.StudioQrCode{}
	}
	if st.Tickers == nil {
		st.Tickers = []restreamapi.StudioTicker{}
	}
	bad.capped(at+"/brands", len(st.Brands), MaxStudioBrandsPerUser, "Studio brands")
	bad.capped(at+"/captions", len(st.Captions), MaxStudioCaptionsPerUser, "Studio captions")
	bad.capped(at+"/qrCodes", len(st.QrCodes), MaxStudioQrCodesPerUser, "Studio QR codes")
	bad.capped(at+"/tickers", len(st.Tickers), MaxStudioTickersPerUser, "Studio tickers")
	brands := map[uuid.UUID]bool{}
	for i, b := range st.Brands {
		if brands[b.Id] {
			bad.add(fmt.Sprintf("%s/brands/%d/id", at, i), "brand %s is listed twice", b.Id)
		}
		brands[b.Id] = true
	}
	ids := map[string]bool{}
	for i, c := range st.Captions {
		cp := fmt.Sprintf("%s/captions/%d", at, i)
		if c.Id == "" || len(c.Id) > maxStudioIDLen || ids[c.Id] {
			bad.add(cp+"/id", "caption id %q is empty, longer than %d bytes or listed twice", c.Id, maxStudioIDLen)
		}
		ids[c.Id] = true
		if c.BrandId != nil && !brands[*c.BrandId] {
			bad.add(cp+"/brandId", "brand %s is not one of the user's brands", *c.BrandId)
		}
	}
	ids = map[string]bool{}
	for i, q := range st.QrCodes {
		qp := fmt.Sprintf("%s/qrCodes/%d", at, i)
		if q.Id == "" || len(q.Id) > maxStudioIDLen || ids[q.Id] {
			bad.add(qp+"/id", "QR code id %q is empty, longer than %d bytes or listed twice", q.Id, maxStudioIDLen)
		}
		ids[q.Id] = true
		if !brands[q.BrandId] {
			bad.add(qp+"/brandId", "brand %s is not one of the user's brands", q.BrandId)
		}
	}
	normalizeStudioMedia(bad, at, st, brands)
	ids = map[string]bool{}
	for i, tk := range st.Tickers {
		tp := fmt.Sprintf("%s/tickers/%d", at, i)
		if tk.Id == "" || len(tk.Id) > maxStudioIDLen || ids[tk.Id] {
			bad.add(tp+"/id", "ticker id %q is empty, longer than %d bytes or listed twice", tk.Id, maxStudioIDLen)
		}
		ids[tk.Id] = true
		if tk.BrandId != nil && !brands[*tk.BrandId] {
			bad.add(tp+"/brandId", "brand %s is not one of the user's brands", *tk.BrandId)
		}
	}
}

// normalizeStudioMedia fills the empty lists of a user's fonts, countdown music and audio
// backgrounds and checks them: within MaxStudioMediaPerUser at every level, ids unique per
// list, and every brandId one of the user's brands.
func normalizeStudioMedia(bad *problems, at string, st *Studio, brands map[uuid.UUID]bool) {
	capped := func(pointer string, n int, what string) {
		bad.capped(pointer, n, MaxStudioMediaPerUser, what)
	}
	unique := func(pointer, id string, seen map[string]bool) {
		if seen[id] {
			bad.add(pointer, "id %q is listed twice", id)
		}
		seen[id] = true
	}
	brand := func(pointer string, id *uuid.UUID) {
		if id != nil && !brands[*id] {
			bad.add(pointer, "brand %s is not one of the user's brands", *id)
		}
	}
	if st.Fonts == nil {
		st.Fonts = []restreamapi.StudioFont{}
	}
	capped(at+"/fonts", len(st.Fonts), "Studio fonts")
	seen := map[string]bool{}
	for i := range st.Fonts {
		f := &st.Fonts[i]
		fp := fmt.Sprintf("%s/fonts/%d", at, i)
		unique(fp+"/id", f.Id, seen)
		brand(fp+"/brandId", f.BrandId)
		if f.Variants == nil {
			f.Variants = []restreamapi.StudioFontVariant{}
		}
		capped(fp+"/variants", len(f.Variants), "variants")
		for j := range f.Variants {
			v := &f.Variants[j]
			vp := fmt.Sprintf("%s/variants/%d", fp, j)
			if v.LocalNames == nil {
				v.LocalNames = []string{}
			}
			if v.Sources == nil {
				v.Sources = []restreamapi.StudioFontSource{}
			}
			capped(vp+"/localNames", len(v.LocalNames), "local names")
			capped(vp+"/sources", len(v.Sources), "sources")
		}
	}
	if st.Music == nil {
		st.Music = []restreamapi.StudioAudioTrack{}
	}
	capped(at+"/countdownMusic", len(st.Music), "countdown music tracks")
	seen = map[string]bool{}
	for i := range st.Music {
		m := &st.Music[i]
		mp := fmt.Sprintf("%s/countdownMusic/%d", at, i)
		unique(mp+"/id", m.Id, seen)
		brand(mp+"/brandId", m.BrandId)
		if m.Sources == nil {
			m.Sources = []restreamapi.StudioAudioSource{}
		}
		capped(mp+"/sources", len(m.Sources), "sources")
	}
	if st.Backgrounds == nil {
		st.Backgrounds = []restreamapi.StudioAudioBackground{}
	}
	capped(at+"/audioBackgrounds", len(st.Backgrounds), "audio backgrounds")
	seen = map[string]bool{}
	for i := range st.Backgrounds {
		b := &st.Backgrounds[i]
		bp := fmt.Sprintf("%s/audioBackgrounds/%d", at, i)
		unique(bp+"/id", b.Id, seen)
		if b.Groups == nil {
			b.Groups = []restreamapi.StudioAudioBackgroundGroup{}
		}
		capped(bp+"/groups", len(b.Groups), "groups")
		for j := range b.Groups {
			g := &b.Groups[j]
			if g.Channels == nil {
				g.Channels = []restreamapi.StudioAudioBackgroundChannel{}
			}
			capped(fmt.Sprintf("%s/groups/%d/channels", bp, j), len(g.Channels), "channels")
		}
	}
}
