package state

import (
	"fmt"
	"net/http"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
)

// NewUser is a user added at run time (POST /__mock/users): a profile and channels, the rest
// filled in as the fixtures' users have it.
type NewUser struct {
	ID        int64 // 0: one more than the largest user id
	Username  string
	Email     string // "": <username>@example.com
	StreamKey string // "": MadeUpStreamKey(id); the web chat URL is always MadeUpWebchatURL(id)
	Channels  []NewChannel
}

// NewChannel is a channel of a NewUser; the store assigns its id.
type NewChannel struct {
	PlatformID  int
	DisplayName string
	Identifier  string // "": the display name
	Active      bool
	URL         string
	EmbedURL    string
}

// AddUser adds a user and returns their profile. The user must be new by id and username, and
// every channel's platform one of the world's platforms; the same checks as an import (Check)
// then apply to the user. A refused user changes nothing. The user lasts until Reset or Import.
func (s *Store) AddUser(nu NewUser) (restreamapi.Profile, error) {
	if len(nu.Channels) > MaxChannelsPerUser {
		return restreamapi.Profile{}, errLimit("channel_limit_reached", "ChannelLimitReached: a user may have at most %d channels", MaxChannelsPerUser)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.users) >= MaxUsers {
		return restreamapi.Profile{}, errLimit("user_limit_reached", "UserLimitReached: the mock holds at most %d users", MaxUsers)
	}
	id := nu.ID
	if id == 0 {
		for uid := range s.users {
			id = max(id, uid)
		}
		id++
		if id > MaxID {
			return restreamapi.Profile{}, errLimit("user_ids_exhausted", "UserIdsExhausted: every user id up to %d is taken; give an id", MaxID)
		}
	}
	if _, taken := s.users[id]; taken {
		return restreamapi.Profile{}, errLimit("user_exists", "UserExists: user %d exists", id)
	}
	for _, u := range s.users {
		u.mu.RLock()
		name := u.data.Profile.Username
		u.mu.RUnlock()
		if name == nu.Username {
			return restreamapi.Profile{}, errLimit("user_exists", "UserExists: username %q is taken", nu.Username)
		}
	}
	platforms := make(map[int]bool, len(s.platforms))
	for _, p := range s.platforms {
		platforms[p.Id] = true
	}
	for i, c := range nu.Channels {
		if !platforms[c.PlatformID] {
			return restreamapi.Profile{}, apierror.Newf(http.StatusBadRequest, apierror.NameInvalidBodyParams,
				"Invalid body params: \"channels[%d].streamingPlatformId\" %d is not a platform of /v2/platform/all", i, c.PlatformID)
		}
	}
	u := User{
		Profile:    restreamapi.Profile{Id: id, Username: nu.Username, Email: openapi_types.Email(nu.Email)},
		StreamKey:  restreamapi.StreamKey{StreamKey: nu.StreamKey},
		WebchatURL: MadeUpWebchatURL(id),
		Channels:   []Channel{},
	}
	if u.Profile.Email == "" {
		u.Profile.Email = openapi_types.Email(nu.Username + "@example.com")
	}
	if u.StreamKey.StreamKey == "" {
		u.StreamKey.StreamKey = MadeUpStreamKey(id)
	}
	if len(s.servers) > 0 {
		u.IngestID = s.servers[0].Id
	}
	// The channels carry stand-in ids for the check; real ids are taken only once the user is
	// accepted, so that a refusal uses none.
	for i, c := range nu.Channels {
		ident := c.Identifier
		if ident == "" {
			ident = c.DisplayName
		}
		u.Channels = append(u.Channels, Channel{Channel: restreamapi.Channel{Id: int64(i) + 1, StreamingPlatformId: c.PlatformID,
			DisplayName: c.DisplayName, Identifier: ident, Active: c.Active, Url: c.URL, EmbedUrl: c.EmbedURL}})
	}
	if err := Check(World{Users: []User{u}}); err != nil {
		return restreamapi.Profile{}, apierror.Newf(http.StatusBadRequest, apierror.NameInvalidBodyParams, "Invalid body params: %v", err)
	}
	for i := range u.Channels {
		cid, err := s.newChannelID()
		if err != nil {
			return restreamapi.Profile{}, err
		}
		u.Channels[i].Id = cid
	}
	w, err := prepare(World{Users: []User{u}})
	if err != nil {
		return restreamapi.Profile{}, fmt.Errorf("state: a checked user became invalid: %w", err)
	}
	u = w.Users[0]
	s.users[id] = &userState{data: u}
	s.order = append(s.order, id)
	return u.Profile, nil
}
