package live

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Publisher sends a frame to every open socket of a user. wsmock.Feed implements it; the
// frame must not be changed afterwards.
type Publisher interface {
	Publish(userID int64, frame []byte)
}

// ChatFixture lists the chat connections that are not channels of the REST API, for
// examples/mock/chat.json:
//
//	{
//	  "discord": [
//	    {"userId": 2046371,
//	     "channel": {"id": "1187364528841211904", "name": "stream-chat", "url": "https://discord.com/channels/1187364528841211000/1187364528841211904"},
//	     "server": {"id": "1187364528841211000", "name": "Nova's Nest", "icon": null},
//	     "owner": {"id": "402817364528841211", "name": "nova", "avatar": "https://cdn.discordapp.com/avatars/402817364528841211/a1b2c3.png"}}
//	  ],
//	  "facebook": [
//	    {"userId": 3189024, "kind": "group", "websiteChannelId": 6230099, "id": "2876543210987654", "name": "Go Developers"}
//	  ]
//	}
//
// Both lists are optional. Unknown fields are refused.
type ChatFixture struct {
	Discord  []DiscordConnection  `json:"discord,omitempty"`
	Facebook []FacebookConnection `json:"facebook,omitempty"`
}

// DiscordConnection is a Discord channel connected to a user's Restream Chat. Restream chat
// reads Discord channels (source 25) that are not channels of the REST API, so the mock takes
// them from the fixture. The fields are the connection's target as connection_info sends it.
type DiscordConnection struct {
	UserID int64 `json:"userId"`
	DiscordTarget
}

// Kinds of FacebookConnection.
const (
	FacebookProfile = "profile" // a personal profile, source 19
	FacebookGroup   = "group"   // a group, source 21
)

// FacebookConnection is a Facebook personal profile or group connected to a user's Restream
// Chat. The mock's platform list has no channel for either (Facebook Group, platform 37, is a
// manually configured RTMP destination), so they come from the fixture, which lets tests
// receive their event types (11, 12, 19 and 20). Like every Facebook source they are
// event-based: connected only while the user has a live event.
type FacebookConnection struct {
	UserID int64  `json:"userId"`
	Kind   string `json:"kind"` // FacebookProfile or FacebookGroup
	// WebsiteChannelID is the Restream channel id the target reports.
	WebsiteChannelID int64  `json:"websiteChannelId"`
	ID               string `json:"id"`   // the profile's or group's Facebook id
	Name             string `json:"name"` // its name
	Picture          string `json:"picture,omitempty"`
}

// ParseChatFixture decodes and checks a chat fixture.
func ParseChatFixture(data []byte) (ChatFixture, error) {
	var f ChatFixture
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return ChatFixture{}, fmt.Errorf("chat fixture: %w", err)
	}
	if dec.More() {
		return ChatFixture{}, errors.New("chat fixture: more than one JSON value")
	}
	if err := f.Check(); err != nil {
		return ChatFixture{}, err
	}
	return f, nil
}

// Check reports missing or duplicate fields of the fixture.
func (f ChatFixture) Check() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("chat fixture: "+format, args...)) }
	seen := map[string]bool{}
	unique := func(what, id string) {
		if seen[id] {
			bad("%s %s is listed twice", what, id)
		}
		seen[id] = true
	}
	for i, d := range f.Discord {
		what := fmt.Sprintf("discord[%d]", i)
		if d.UserID <= 0 {
			bad("%s: userId must be positive", what)
		}
		if strings.TrimSpace(d.Channel.ID) == "" || strings.TrimSpace(d.Channel.URL) == "" {
			bad("%s: channel needs an id and a url", what)
		}
		if d.Server != nil && (d.Server.ID == "" || d.Server.Name == "") {
			bad("%s: server needs an id and a name", what)
		}
		if d.Owner != nil && (d.Owner.ID == "" || d.Owner.Name == "") {
			bad("%s: owner needs an id and a name", what)
		}
		unique("discord channel", fmt.Sprintf("%d/%s", d.UserID, d.Channel.ID))
	}
	for i, c := range f.Facebook {
		what := fmt.Sprintf("facebook[%d]", i)
		if c.UserID <= 0 {
			bad("%s: userId must be positive", what)
		}
		if c.Kind != FacebookProfile && c.Kind != FacebookGroup {
			bad("%s: kind %q is neither %q nor %q", what, c.Kind, FacebookProfile, FacebookGroup)
		}
		if strings.TrimSpace(c.ID) == "" || strings.TrimSpace(c.Name) == "" {
			bad("%s: id and name are required", what)
		}
		if c.WebsiteChannelID <= 0 {
			bad("%s: websiteChannelId must be positive", what)
		}
		unique("facebook target", fmt.Sprintf("%d/%s", c.UserID, c.ID))
	}
	return errors.Join(errs...)
}
