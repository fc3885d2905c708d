package mock

import (
	"context"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/state"
)

// AddMockUser adds a user with channels at run time. The gate has checked the body against the
// spec (types, lengths, counts); the store owns the rest (taken ids and usernames, platforms,
// the user cap) and refuses without changing anything. The sign-in accounts are then rebuilt
// from the store, as after a reset or an import, so the consent page and POST /__mock/tokens
// know the user at once.
func (c *controlAPI) AddMockUser(_ context.Context, req controlapi.AddMockUserRequestObject) (controlapi.AddMockUserResponseObject, error) {
	b := req.Body
	nu := state.NewUser{Username: b.Username}
	if b.Id != nil {
		nu.ID = *b.Id
	}
	if b.Email != nil {
		nu.Email = string(*b.Email)
	}
	if b.StreamKey != nil {
		nu.StreamKey = *b.StreamKey
	}
	if b.Channels != nil {
		for _, ch := range *b.Channels {
			nc := state.NewChannel{PlatformID: ch.StreamingPlatformId, DisplayName: ch.DisplayName, Identifier: ch.DisplayName, Active: true}
			if ch.Identifier != nil {
				nc.Identifier = *ch.Identifier
			}
			if ch.Active != nil {
				nc.Active = *ch.Active
			}
			if ch.Url != nil {
				nc.URL = *ch.Url
			}
			if ch.EmbedUrl != nil {
				nc.EmbedURL = *ch.EmbedUrl
			}
			nu.Channels = append(nu.Channels, nc)
		}
	}
	p, err := c.s.store.AddUser(nu)
	if err != nil {
		return nil, err
	}
	_, def := c.s.oauth.Accounts()
	if err := c.s.oauth.SetAccounts(accounts(c.s.store), def); err != nil {
		return nil, err
	}
	return controlapi.AddMockUser201JSONResponse{Id: p.Id, Username: p.Username, Email: string(p.Email)}, nil
}
