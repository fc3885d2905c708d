package state

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
)

// downloadTTL is how long a download link works.
const downloadTTL = time.Hour

// signingKey signs download links; links only need to look like signed links, so a fixed key is
// enough and keeps answers reproducible.
var signingKey = []byte("restreamkit download links")

// downloadURL builds a signed, expiring download link for a stored object.
func (s *Store) downloadURL(host, path string) string {
	expires := strconv.FormatInt(s.clock.Now().Add(downloadTTL).Unix(), 10)
	mac := hmac.New(sha256.New, signingKey)
	mac.Write([]byte(path + "\n" + expires))
	q := url.Values{"expires": {expires}, "signature": {hex.EncodeToString(mac.Sum(nil))[:32]}}
	return "https://" + host + path + "?" + q.Encode()
}

// Recordings lists the recorded files of an event; an event without recordings has empty lists.
func (s *Store) Recordings(uid int64, eventID string) (restreamapi.Recordings, error) {
	out := restreamapi.Recordings{PrimaryVideos: []restreamapi.RecordingFile{},
		SecondaryVideos: []restreamapi.RecordingFile{}, Audio: []restreamapi.RecordingFile{}}
	err := s.withEvent(uid, eventID, func(e *Event) error {
		if e.Recordings != nil {
			out.PrimaryVideos = append(out.PrimaryVideos, e.Recordings.PrimaryVideos...)
			out.SecondaryVideos = append(out.SecondaryVideos, e.Recordings.SecondaryVideos...)
			out.Audio = append(out.Audio, e.Recordings.Audio...)
		}
		return nil
	})
	return out, err
}

// RecordingDownloadURL returns a download link for one recorded file of an event.
func (s *Store) RecordingDownloadURL(uid int64, eventID, fileName string) (string, error) {
	var link string
	err := s.withEvent(uid, eventID, func(e *Event) error {
		if e.Recordings != nil {
			for _, list := range [][]restreamapi.RecordingFile{e.Recordings.PrimaryVideos, e.Recordings.SecondaryVideos, e.Recordings.Audio} {
				for _, f := range list {
					if f.FileName == fileName {
						if !f.ExpiresAt.After(s.clock.Now()) {
							return notFound("RecordingExpired", "recording_expired")
						}
						link = s.downloadURL("storage.restream.io", "/recordings/"+eventID+"/"+url.PathEscape(fileName))
						return nil
					}
				}
			}
		}
		return notFound("RecordingNotFound", "recording_not_found")
	})
	return link, err
}

// Transcriptions lists the transcriptions of an event's recordings.
func (s *Store) Transcriptions(uid int64, eventID string) ([]restreamapi.Transcription, error) {
	out := []restreamapi.Transcription{}
	err := s.withEvent(uid, eventID, func(e *Event) error {
		out = append(out, e.Transcriptions...)
		return nil
	})
	return out, err
}

// ViewerAnalytics returns the viewer statistics of an event, or 404 when it has none.
func (s *Store) ViewerAnalytics(uid int64, eventID string) (restreamapi.ViewerAnalytics, error) {
	var out restreamapi.ViewerAnalytics
	err := s.withEvent(uid, eventID, func(e *Event) error {
		if e.Analytics == nil {
			return notFound("EventAnalyticsNotFound", "event_analytics_not_found")
		}
		out = deepCopy(*e.Analytics)
		return nil
	})
	return out, err
}

// errBadToken is the 400 of a page token or cursor this mock did not issue for the list.
func errBadToken(param string) error {
	return apierror.Newf(http.StatusBadRequest, apierror.NameInvalidQueryParams,
		"Invalid query params: %s is not a token this list issued", param)
}

// decodeToken reads base64 (standard alphabet, padding optional) as produced by the tokens below.
func decodeToken(t string) ([]byte, bool) {
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(t, "="))
	return b, err == nil
}

// chatToken is an opaque chat page token: "<eventId>|<unix seconds>|<pageSize>[|prev]". A forward
// token starts the page at the first message at or after the time; a backward ("prev") token ends
// the page just before it. A fifth field, when present, skips that many messages of the same second
// so that pages never repeat a message.
type chatToken struct {
	eventID  string
	at       int64
	pageSize int
	prev     bool
	skip     int
}

func (t chatToken) String() string {
	s := t.eventID + "|" + strconv.FormatInt(t.at, 10) + "|" + strconv.Itoa(t.pageSize)
	if t.prev {
		s += "|prev"
	}
	if t.skip > 0 {
		if !t.prev {
			s += "|next"
		}
		s += "|" + strconv.Itoa(t.skip)
	}
	return base64.StdEncoding.EncodeToString([]byte(s))
}

func parseChatToken(eventID, raw string) (chatToken, error) {
	b, ok := decodeToken(raw)
	parts := strings.Split(string(b), "|")
	if !ok || len(parts) < 3 || len(parts) > 5 || parts[0] != eventID {
		return chatToken{}, errBadToken("pageToken")
	}
	t := chatToken{eventID: eventID}
	var err1, err2 error
	t.at, err1 = strconv.ParseInt(parts[1], 10, 64)
	t.pageSize, err2 = strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || t.pageSize < 1 || t.pageSize > 1000 {
		return chatToken{}, errBadToken("pageToken")
	}
	if len(parts) >= 4 {
		switch parts[3] {
		case "prev":
			t.prev = true
		case "next":
		default:
			return chatToken{}, errBadToken("pageToken")
		}
	}
	if len(parts) == 5 {
		n, err := strconv.Atoi(parts[4])
		if err != nil || n < 1 {
			return chatToken{}, errBadToken("pageToken")
		}
		t.skip = n
	}
	return t, nil
}

// ChatHistory returns one page of an event's chat, oldest first. pageToken and timestamp are
// mutually exclusive; without either the page starts at the first message. pageSize nil means the
// token's page size, or 100.
func (s *Store) ChatHistory(uid int64, eventID string, pageSize *int, token *string, timestamp *int64) (restreamapi.ChatHistory, error) {
	if token != nil && timestamp != nil {
		return restreamapi.ChatHistory{}, apierror.New(http.StatusBadRequest, apierror.NameInvalidQueryParams,
			"Invalid query params: pageToken and timestamp cannot be used together")
	}
	var msgs []restreamapi.ChatMessage
	if err := s.withEvent(uid, eventID, func(e *Event) error {
		msgs = slices.Clone(e.Chat)
		return nil
	}); err != nil {
		return restreamapi.ChatHistory{}, err
	}
	slices.SortStableFunc(msgs, func(a, b restreamapi.ChatMessage) int { return a.Timestamp.Compare(b.Timestamp) })
	size := 100
	// firstAt returns the index of the first message at or after unix second at, plus skip.
	firstAt := func(at int64, skip int) int {
		for i, m := range msgs {
			if m.Timestamp.Unix() >= at {
				return min(i+skip, len(msgs))
			}
		}
		return len(msgs)
	}
	start := 0
	switch {
	case token != nil:
		t, err := parseChatToken(eventID, *token)
		if err != nil {
			return restreamapi.ChatHistory{}, err
		}
		size = t.pageSize
		if pageSize != nil {
			size = *pageSize
		}
		if t.prev {
			start = max(firstAt(t.at, t.skip)-size, 0)
		} else {
			start = firstAt(t.at, t.skip)
		}
	case timestamp != nil:
		start = firstAt(*timestamp, 0)
	}
	if pageSize != nil {
		size = *pageSize
	}
	end := min(start+size, len(msgs))
	h := restreamapi.ChatHistory{Messages: msgs[start:end]}
	if h.Messages == nil {
		h.Messages = []restreamapi.ChatMessage{}
	}
	// tokenAt makes the token of a page boundary at message index i; past the last message
	// (a page that starts after the end) it is the second after the last one.
	tokenAt := func(i int, prev bool) *string {
		if i == len(msgs) {
			t := chatToken{eventID: eventID, at: msgs[i-1].Timestamp.Unix() + 1, pageSize: size, prev: prev}.String()
			return &t
		}
		at := msgs[i].Timestamp.Unix()
		skip := 0
		for j := i - 1; j >= 0 && msgs[j].Timestamp.Unix() == at; j-- {
			skip++
		}
		t := chatToken{eventID: eventID, at: at, pageSize: size, prev: prev, skip: skip}.String()
		return &t
	}
	if end < len(msgs) {
		h.NextPageToken = tokenAt(end, false)
	}
	if start > 0 {
		h.PreviousPageToken = tokenAt(start, true)
	}
	return h, nil
}

// StorageFiles lists the user's storage files, newest first.
func (s *Store) StorageFiles(uid int64) ([]restreamapi.StorageFile, error) {
	var out []restreamapi.StorageFile
	err := s.read(uid, func(u *User) error {
		out = slices.Clone(u.StorageFiles)
		return nil
	})
	if out == nil {
		out = []restreamapi.StorageFile{}
	}
	slices.SortStableFunc(out, func(a, b restreamapi.StorageFile) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, err
}

func errStorageFileNotFound() *apierror.Error {
	return notFound("StorageFileNotFound", "storage_file_not_found")
}

// StorageFile returns one storage file.
func (s *Store) StorageFile(uid int64, id string) (restreamapi.StorageFile, error) {
	var out restreamapi.StorageFile
	err := s.read(uid, func(u *User) error {
		for _, f := range u.StorageFiles {
			if f.Id.String() == id {
				out = f
				return nil
			}
		}
		return errStorageFileNotFound()
	})
	return out, err
}

// StorageDownloadURL returns a download link for a storage file that is ready.
func (s *Store) StorageDownloadURL(uid int64, id string) (string, error) {
	f, err := s.StorageFile(uid, id)
	if err != nil {
		return "", err
	}
	if f.Status != restreamapi.StorageFileStatusReady {
		return "", apierror.New(http.StatusNotFound, "storage_file_not_ready", "StorageFileNotReady")
	}
	return s.downloadURL("storage.restream.io", "/files/"+id), nil
}

// clipsCursor is the opaque cursor of the clip project list: base64 of
// {"sortValue":"<ISO time of the last project's sort key>","id":"<its projectId>"}; the next page
// holds the projects after that one in sort order.
type clipsCursor struct {
	SortValue string `json:"sortValue"`
	ID        string `json:"id"`
}

const isoMillis = "2006-01-02T15:04:05.000Z07:00"

// ClipsProjects returns one page of the user's clip projects, newest first by sortBy
// ("CreatedAt" or "LastActivity"), and the cursor of the next page.
func (s *Store) ClipsProjects(uid int64, limit int, cursor *string, sortBy string) (restreamapi.ClipsProjects, error) {
	var all []ClipsProject
	if err := s.read(uid, func(u *User) error { all = slices.Clone(u.Clips); return nil }); err != nil {
		return restreamapi.ClipsProjects{}, err
	}
	key := func(p ClipsProject) time.Time {
		t := p.CreatedAt
		if sortBy == "LastActivity" {
			for _, c := range p.Details.Clips {
				if c.CreatedAt.After(t) {
					t = c.CreatedAt
				}
			}
			for _, c := range p.Details.PostedClips {
				if c.CreatedAt.After(t) {
					t = c.CreatedAt
				}
			}
		}
		return t.UTC().Truncate(time.Millisecond)
	}
	order := func(a, b ClipsProject) int {
		if c := key(b).Compare(key(a)); c != 0 {
			return c
		}
		return strings.Compare(b.ProjectId.String(), a.ProjectId.String())
	}
	slices.SortStableFunc(all, order)
	start := 0
	if cursor != nil {
		raw, ok := decodeToken(*cursor)
		var c clipsCursor
		if !ok || json.Unmarshal(raw, &c) != nil {
			return restreamapi.ClipsProjects{}, errBadToken("cursor")
		}
		at, err := time.Parse(time.RFC3339Nano, c.SortValue)
		if err != nil {
			return restreamapi.ClipsProjects{}, errBadToken("cursor")
		}
		// Keyset: skip every project that sorts before or at the cursor's position.
		start = len(all)
		for i, p := range all {
			k := key(p)
			if k.Before(at) || k.Equal(at) && p.ProjectId.String() < c.ID {
				start = i
				break
			}
		}
	}
	end := min(start+limit, len(all))
	out := restreamapi.ClipsProjects{Projects: []restreamapi.ClipsProject{}}
	for _, p := range all[start:end] {
		cp := p.ClipsProject
		cp.ClipThumbnails = slices.Clone(cp.ClipThumbnails)
		if cp.ClipThumbnails == nil {
			cp.ClipThumbnails = []string{}
		}
		out.Projects = append(out.Projects, cp)
	}
	out.Pagination.HasMore = end < len(all)
	if out.Pagination.HasMore {
		last := all[end-1]
		raw, _ := json.Marshal(clipsCursor{SortValue: key(last).Format(isoMillis), ID: last.ProjectId.String()})
		c := base64.StdEncoding.EncodeToString(raw)
		out.Pagination.NextCursor = &c
	}
	return out, nil
}

// ClipsProject returns the clips of one project.
func (s *Store) ClipsProject(uid int64, projectID string) (restreamapi.ClipsProjectDetails, error) {
	var out restreamapi.ClipsProjectDetails
	err := s.read(uid, func(u *User) error {
		for _, p := range u.Clips {
			if p.ProjectId.String() == projectID {
				out = deepCopy(p.Details)
				return nil
			}
		}
		return notFound("ClipsProjectNotFound", "clips_project_not_found")
	})
	return out, err
}

// ClipDownloadURL returns a download link for one clip.
func (s *Store) ClipDownloadURL(uid int64, clipID string) (string, error) {
	var link string
	err := s.read(uid, func(u *User) error {
		for _, p := range u.Clips {
			for _, c := range p.Details.Clips {
				if c.ClipId.String() == clipID {
					link = s.downloadURL("clips.restream.io", "/clips/"+clipID+".mp4")
					return nil
				}
			}
		}
		return notFound("ClipNotFound", "clip_not_found")
	})
	return link, err
}
