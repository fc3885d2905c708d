package mock

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/oauth"
	"github.com/restreamkit/restreamkit/internal/state"
	"github.com/restreamkit/restreamkit/internal/version"
)

// controlAPI implements the generated strict-server interface of the /__mock/ control API.
type controlAPI struct{ s *Server }

var _ controlapi.StrictServerInterface = (*controlAPI)(nil)

func (c *controlAPI) GetHealth(context.Context, controlapi.GetHealthRequestObject) (controlapi.GetHealthResponseObject, error) {
	return controlapi.GetHealth200JSONResponse{Status: controlapi.Ok, Version: version.String(),
		UptimeSeconds: float32(time.Since(c.s.started).Seconds())}, nil
}

func (c *controlAPI) ResetMock(context.Context, controlapi.ResetMockRequestObject) (controlapi.ResetMockResponseObject, error) {
	c.s.Reset()
	return controlapi.ResetMock204Response{}, nil
}

func (c *controlAPI) ExportState(context.Context, controlapi.ExportStateRequestObject) (controlapi.ExportStateResponseObject, error) {
	return rawJSON(c.s.store.Export()), nil
}

// rawJSON writes the world with its own encoding: the generated World type is a loose map.
type rawJSON state.World

func (w rawJSON) VisitExportStateResponse(rw http.ResponseWriter) error {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(http.StatusOK)
	return json.NewEncoder(rw).Encode(state.World(w))
}

func (c *controlAPI) ImportState(ctx context.Context, _ controlapi.ImportStateRequestObject) (controlapi.ImportStateResponseObject, error) {
	w, err := state.DecodeWorld(info(ctx).body)
	if err != nil {
		return nil, apierror.Newf(http.StatusBadRequest, apierror.NameInvalidBodyParams, "Invalid body params: %v", err)
	}
	if err := c.s.Import(w); err != nil {
		return nil, apierror.Newf(http.StatusBadRequest, apierror.NameInvalidBodyParams, "Invalid body params: %v", err)
	}
	return controlapi.ImportState204Response{}, nil
}

func (c *controlAPI) clockState() controlapi.ClockState {
	now := c.s.clock.Now()
	return controlapi.ClockState{Now: now.Unix(), NowIso: now.UTC(), OffsetSeconds: float32(c.s.clock.Offset().Seconds())}
}

func (c *controlAPI) GetClock(context.Context, controlapi.GetClockRequestObject) (controlapi.GetClockResponseObject, error) {
	return controlapi.GetClock200JSONResponse(c.clockState()), nil
}

// AdvanceClock moves the clock forward. The clock package owns the bounds (ten years a move, a
// hundred years ahead of real time in all) and checks the client's number before any arithmetic;
// a move it refuses is a 400 naming `seconds` and leaves the clock where it was.
func (c *controlAPI) AdvanceClock(_ context.Context, req controlapi.AdvanceClockRequestObject) (controlapi.AdvanceClockResponseObject, error) {
	if _, err := c.s.clock.Forward(req.Body.Seconds); err != nil {
		return nil, apierror.Newf(http.StatusBadRequest, apierror.NameInvalidBodyParams, "Invalid body params: \"seconds\" is refused: %v", err)
	}
	return controlapi.AdvanceClock200JSONResponse(c.clockState()), nil
}

func (c *controlAPI) IssueToken(_ context.Context, req controlapi.IssueTokenRequestObject) (controlapi.IssueTokenResponseObject, error) {
	b := req.Body
	clientID := ""
	if b.ClientId != nil {
		clientID = *b.ClientId
	} else if clients := c.s.oauth.Clients(); len(clients) > 0 {
		clientID = clients[0].ID
	}
	client, ok := c.s.oauth.Client(clientID)
	if !ok {
		return nil, clientNotFound(clientID)
	}
	if !c.s.store.HasUser(b.UserId) {
		return nil, apierror.Newf(http.StatusNotFound, "user_not_found", "UserNotFound: no user %d", b.UserId)
	}
	var scopes oauth.ScopeSet
	names := client.Scopes
	if b.Scopes != nil {
		names = *b.Scopes
	}
	for _, n := range names {
		sc, ok := oauth.ParseScope(n)
		if !ok {
			return nil, apierror.Newf(http.StatusBadRequest, apierror.NameInvalidBodyParams, "Invalid body params: unknown scope %q", n)
		}
		scopes = scopes.With(sc)
	}
	p, err := c.s.oauth.Issue(b.UserId, clientID, scopes)
	if err != nil {
		return nil, err
	}
	return controlapi.IssueToken201JSONResponse{AccessToken: p.AccessToken, RefreshToken: p.RefreshToken,
		TokenType: controlapi.Bearer, ExpiresAt: p.AccessExpiresAt.Unix(), RefreshExpiresAt: p.RefreshExpiresAt.Unix(),
		Scope: strings.Join(p.ScopeNames, " "), UserId: p.UserID, ClientId: p.ClientID}, nil
}

func (c *controlAPI) RevokeAllTokens(context.Context, controlapi.RevokeAllTokensRequestObject) (controlapi.RevokeAllTokensResponseObject, error) {
	c.s.oauth.RevokeAll()
	return controlapi.RevokeAllTokens204Response{}, nil
}

// ExpireUserTokens ends a user's access tokens (not their refresh tokens) now.
func (c *controlAPI) ExpireUserTokens(_ context.Context, req controlapi.ExpireUserTokensRequestObject) (controlapi.ExpireUserTokensResponseObject, error) {
	uid := req.Body.UserId
	if !c.s.store.HasUser(uid) {
		return nil, apierror.Newf(http.StatusNotFound, "user_not_found", "UserNotFound: no user %d", uid)
	}
	return controlapi.ExpireUserTokens200JSONResponse{UserId: uid, Expired: c.s.oauth.ExpireUser(uid)}, nil
}

func (c *controlAPI) ListMockUsers(context.Context, controlapi.ListMockUsersRequestObject) (controlapi.ListMockUsersResponseObject, error) {
	accts, def := c.s.oauth.Accounts()
	out := controlapi.ListMockUsers200JSONResponse{DefaultUser: def, Users: []controlapi.MockUser{}}
	for _, a := range accts {
		out.Users = append(out.Users, controlapi.MockUser{Id: a.ID, Username: a.Username, Email: a.Email})
	}
	return out, nil
}

func (c *controlAPI) GetJournal(_ context.Context, req controlapi.GetJournalRequestObject) (controlapi.GetJournalResponseObject, error) {
	limit := len(c.s.journal.entries)
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	op := ""
	if req.Params.OperationId != nil {
		op = *req.Params.OperationId
	}
	control := req.Params.Include != nil && *req.Params.Include == controlapi.Control
	return controlapi.GetJournal200JSONResponse(c.s.journal.list(limit, op, control)), nil
}

func (c *controlAPI) ClearJournal(context.Context, controlapi.ClearJournalRequestObject) (controlapi.ClearJournalResponseObject, error) {
	c.s.journal.clear()
	return controlapi.ClearJournal204Response{}, nil
}

func (c *controlAPI) SubmitConsent(ctx context.Context, _ controlapi.SubmitConsentRequestObject) (controlapi.SubmitConsentResponseObject, error) {
	form, err := url.ParseQuery(string(info(ctx).body))
	if err != nil {
		return nil, apierror.New(http.StatusBadRequest, apierror.NameInvalidRequest, "Invalid request: the form cannot be parsed")
	}
	d, err := oauth.ParseDecision(form)
	if err != nil {
		return nil, err
	}
	to, err := c.s.oauth.Decide(d)
	if err != nil {
		return nil, err
	}
	return controlapi.SubmitConsent302Response{Headers: controlapi.SubmitConsent302ResponseHeaders{Location: to}}, nil
}

func (c *controlAPI) settings() controlapi.Settings {
	return controlapi.Settings{AutoApprove: c.s.oauth.AutoApprove()}
}

func (c *controlAPI) GetSettings(context.Context, controlapi.GetSettingsRequestObject) (controlapi.GetSettingsResponseObject, error) {
	return controlapi.GetSettings200JSONResponse(c.settings()), nil
}

func (c *controlAPI) UpdateSettings(_ context.Context, req controlapi.UpdateSettingsRequestObject) (controlapi.UpdateSettingsResponseObject, error) {
	if req.Body.AutoApprove != nil {
		c.s.oauth.SetAutoApprove(*req.Body.AutoApprove)
	}
	return controlapi.UpdateSettings200JSONResponse(c.settings()), nil
}

// mustUUID parses an id the store generated itself.
func mustUUID(s string) uuid.UUID { return uuid.MustParse(s) }
