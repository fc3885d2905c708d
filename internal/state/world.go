// Package state holds the mock's world: public platform and server lists and, per user, the
// profile, keys, channels, events and everything attached to them. It is the one place that
// reads and changes that data, under per-user locks, and the one place that turns the world into
// a JSON snapshot and back.
//
// Methods take a user id (the signed-in user of the request) and return the generated API types,
// or an *apierror.Error that says what was not found or not allowed. A user never sees another
// user's data: lookups are always scoped to the caller.
package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
)

// World is the whole seedable state, as exported and imported by the control API. Its JSON form
// uses the API's own field names, so a snapshot reads like the responses it produces.
type World struct {
	Platforms []restreamapi.Platform `json:"platforms"`
	Servers   []restreamapi.Server   `json:"servers"`
	Users     []User                 `json:"users"`
}

// User is everything one user owns.
type User struct {
	Profile   restreamapi.Profile   `json:"profile"`
	IngestID  int                   `json:"ingestId"`
	StreamKey restreamapi.StreamKey `json:"streamKey"`
	// WebchatURL is the embeddable chat of /v2/user/webchat/url.
	WebchatURL   string                    `json:"webchatUrl"`
	Channels     []Channel                 `json:"channels"`
	Events       []Event                   `json:"events"`
	StorageFiles []restreamapi.StorageFile `json:"storageFiles"`
	Clips        []ClipsProject            `json:"clipsProjects"`
	// Studio is the user's Restream Studio data; a snapshot without it has none.
	Studio Studio `json:"studio"`
}

// Channel is a channel with its metadata and, for manually added destinations, how to reach it.
type Channel struct {
	restreamapi.Channel
	Meta restreamapi.ChannelMeta `json:"meta"`
	// StreamURL and StreamKey are set for channels added with POST /v2/user/channels.
	StreamURL string `json:"streamUrl,omitempty"`
	StreamKey string `json:"streamKey,omitempty"`
}

// Event sources, as the `source` filter of the upcoming-events list names them. The Event object
// itself does not carry its source.
const (
	SourceStudio  = 1
	SourceEncoder = 2
	SourceVideo   = 3
)

// Event is an event with the data attached to it.
type Event struct {
	restreamapi.Event
	// Source is SourceStudio, SourceEncoder or SourceVideo.
	Source         int                           `json:"source"`
	StreamKey      restreamapi.StreamKey         `json:"streamKey"`
	SrtKey         *restreamapi.SrtStreamKey     `json:"srtKey,omitempty"`
	Recordings     *restreamapi.Recordings       `json:"recordings,omitempty"`
	Transcriptions []restreamapi.Transcription   `json:"transcriptions,omitempty"`
	Chat           []restreamapi.ChatMessage     `json:"chat,omitempty"`
	Analytics      *restreamapi.ViewerAnalytics  `json:"analytics,omitempty"`
	Orientations   map[int64]DestinationSettings `json:"destinationSettings,omitempty"`
}

// DestinationSettings are the settings of one destination added with POST .../destinations.
type DestinationSettings struct {
	ID          string `json:"id"`
	Orientation string `json:"streamingOrientation"`
}

// ClipsProject is a clip project with its clips.
type ClipsProject struct {
	restreamapi.ClipsProject
	Details restreamapi.ClipsProjectDetails `json:"details"`
}

// DecodeWorld reads a world as the control API imports it: one JSON document in which every
// field is known (a misspelt field must not vanish silently), with at least one user. Whether
// the world is consistent and within the caps is for Check and Import to say.
func DecodeWorld(data []byte) (World, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var w World
	if err := dec.Decode(&w); err != nil {
		return World{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return World{}, errors.New("the document must hold one JSON value")
	}
	if len(w.Users) == 0 {
		return World{}, errors.New("the world needs at least one user")
	}
	return w, nil
}
