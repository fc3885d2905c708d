package mock

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/oauth"
)

// restAPI implements the generated strict-server interface of the Restream API. By the time a
// method runs, the gate has authenticated the caller, checked the scope and validated the request,
// so methods only translate between the typed request and the store.
type restAPI struct{ s *Server }

var _ restreamapi.StrictServerInterface = (*restAPI)(nil)

// ShowAuthorizeDialog renders the consent page, or approves at once when auto-approve is on: for
// the account oauth.HeaderLoginAs names, else the default one.
func (a *restAPI) ShowAuthorizeDialog(ctx context.Context, req restreamapi.ShowAuthorizeDialogRequestObject) (restreamapi.ShowAuthorizeDialogResponseObject, error) {
	p := req.Params
	ar := oauth.AuthorizeRequest{ResponseType: string(p.ResponseType), ClientID: p.ClientId, RedirectURI: p.RedirectUri}
	if p.State != nil {
		ar.State = *p.State
	}
	if p.Scope != nil {
		ar.Scope = *p.Scope
	}
	auto := a.s.oauth.AutoApprove()
	var account int64
	if auto {
		var err error
		if account, err = a.s.oauth.LoginAs(info(ctx).header.Get(oauth.HeaderLoginAs)); err != nil {
			return nil, err
		}
	}
	consent, err := a.s.oauth.Authorize(ar)
	if err != nil {
		return nil, err
	}
	if auto {
		if account == 0 {
			account = consent.DefaultAccount
		}
		to, err := a.s.oauth.Decide(oauth.Decision{RequestID: consent.RequestID, AccountID: account, Approve: true})
		if err != nil {
			return nil, err
		}
		return restreamapi.ShowAuthorizeDialog302Response{Headers: restreamapi.ShowAuthorizeDialog302ResponseHeaders{Location: &to}}, nil
	}
	var page bytes.Buffer
	if err := a.s.oauth.RenderConsent(&page, consent); err != nil {
		return nil, err
	}
	return consentPage{body: page.Bytes()}, nil
}

// consentPage writes the consent page with the security headers the oauth package asks for.
type consentPage struct{ body []byte }

func (p consentPage) VisitShowAuthorizeDialogResponse(w http.ResponseWriter) error {
	oauth.SetConsentHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(p.body)
	return err
}

// RefreshToken is the token endpoint: code exchange and refresh.
func (a *restAPI) RefreshToken(ctx context.Context, req restreamapi.RefreshTokenRequestObject) (restreamapi.RefreshTokenResponseObject, error) {
	auth, err := oauth.ParseBasic(info(ctx).header.Get("Authorization"))
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(info(ctx).body))
	if err != nil {
		return nil, apierror.New(http.StatusBadRequest, apierror.NameInvalidRequest, "Invalid request: the form body cannot be parsed")
	}
	tf, err := oauth.TokenFormFromValues(form)
	if err != nil {
		return nil, err
	}
	pair, err := a.s.oauth.Token(auth, tf)
	if err != nil {
		return nil, err
	}
	return tokenResponse{tokenBody(pair)}, nil
}

// tokenResponse writes a token with the no-store headers RFC 6749 asks for.
type tokenResponse struct{ body restreamapi.TokenResponse }

func (t tokenResponse) VisitRefreshTokenResponse(w http.ResponseWriter) error {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	return restreamapi.RefreshToken200JSONResponse(t.body).VisitRefreshTokenResponse(w)
}

// isoMillis is Restream's ISO 8601 form: UTC with milliseconds and Z.
const isoMillis = "2006-01-02T15:04:05.000Z"

// tokenBody fills every field Restream documents, snake_case and camelCase alike.
func tokenBody(p oauth.TokenPair) restreamapi.TokenResponse {
	accessIn := int(p.AccessExpiresAt.Sub(p.IssuedAt).Round(time.Second) / time.Second)
	refreshIn := int(p.RefreshExpiresAt.Sub(p.IssuedAt).Round(time.Second) / time.Second)
	scope := strings.Join(p.ScopeNames, " ")
	names := append([]string{}, p.ScopeNames...)
	bearer := "Bearer"
	return restreamapi.TokenResponse{
		AccessToken:              p.AccessToken,
		Expires:                  p.AccessExpiresAt.Unix(),
		ExpiresIn:                accessIn,
		RefreshToken:             p.RefreshToken,
		Scope:                    scope,
		TokenType:                restreamapi.Bearer,
		CamelAccessToken:         p.AccessToken,
		AccessTokenExpiresIn:     accessIn,
		AccessTokenExpiresAt:     p.AccessExpiresAt.UTC().Format(isoMillis),
		AccessTokenExpiresEpoch:  p.AccessExpiresAt.Unix(),
		CamelRefreshToken:        p.RefreshToken,
		RefreshTokenExpiresIn:    refreshIn,
		RefreshTokenExpiresAt:    p.RefreshExpiresAt.UTC().Format(isoMillis),
		RefreshTokenExpiresEpoch: p.RefreshExpiresAt.Unix(),
		ScopeJson:                &names,
		CamelTokenType:           &bearer,
	}
}

// RevokeToken revokes a token pair; it always answers 200 with an empty body.
func (a *restAPI) RevokeToken(ctx context.Context, req restreamapi.RevokeTokenRequestObject) (restreamapi.RevokeTokenResponseObject, error) {
	if req.Body != nil {
		a.s.oauth.Revoke(req.Body.Token)
	}
	return restreamapi.RevokeToken200Response{}, nil
}

func (a *restAPI) ListPlatforms(ctx context.Context, _ restreamapi.ListPlatformsRequestObject) (restreamapi.ListPlatformsResponseObject, error) {
	return restreamapi.ListPlatforms200JSONResponse(a.s.store.Platforms()), nil
}

func (a *restAPI) ListServers(ctx context.Context, _ restreamapi.ListServersRequestObject) (restreamapi.ListServersResponseObject, error) {
	return restreamapi.ListServers200JSONResponse(a.s.store.Servers()), nil
}

func (a *restAPI) GetUserProfile(ctx context.Context, _ restreamapi.GetUserProfileRequestObject) (restreamapi.GetUserProfileResponseObject, error) {
	p, err := a.s.store.Profile(userID(ctx))
	if err != nil {
		return nil, err
	}
	return restreamapi.GetUserProfile200JSONResponse(p), nil
}

func (a *restAPI) GetSelectedIngest(ctx context.Context, _ restreamapi.GetSelectedIngestRequestObject) (restreamapi.GetSelectedIngestResponseObject, error) {
	id, err := a.s.store.Ingest(userID(ctx))
	if err != nil {
		return nil, err
	}
	return restreamapi.GetSelectedIngest200JSONResponse{IngestId: id}, nil
}

func (a *restAPI) GetStreamKey(ctx context.Context, _ restreamapi.GetStreamKeyRequestObject) (restreamapi.GetStreamKeyResponseObject, error) {
	k, err := a.s.store.StreamKey(userID(ctx))
	if err != nil {
		return nil, err
	}
	return restreamapi.GetStreamKey200JSONResponse(k), nil
}

func (a *restAPI) GetWebchatUrl(ctx context.Context, _ restreamapi.GetWebchatUrlRequestObject) (restreamapi.GetWebchatUrlResponseObject, error) {
	u, err := a.s.store.WebchatURL(userID(ctx))
	if err != nil {
		return nil, err
	}
	return restreamapi.GetWebchatUrl200JSONResponse{WebchatUrl: u}, nil
}

func (a *restAPI) ListChannels(ctx context.Context, _ restreamapi.ListChannelsRequestObject) (restreamapi.ListChannelsResponseObject, error) {
	list, err := a.s.store.Channels(userID(ctx))
	if err != nil {
		return nil, err
	}
	return restreamapi.ListChannels200JSONResponse(list), nil
}

func (a *restAPI) GetChannel(ctx context.Context, req restreamapi.GetChannelRequestObject) (restreamapi.GetChannelResponseObject, error) {
	c, err := a.s.store.Channel(userID(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return restreamapi.GetChannel200JSONResponse(c), nil
}

func (a *restAPI) UpdateChannel(ctx context.Context, req restreamapi.UpdateChannelRequestObject) (restreamapi.UpdateChannelResponseObject, error) {
	if err := a.s.store.SetChannelActive(userID(ctx), req.Id, req.Body.Active); err != nil {
		return nil, err
	}
	return restreamapi.UpdateChannel200Response{}, nil
}

func (a *restAPI) GetChannelMeta(ctx context.Context, req restreamapi.GetChannelMetaRequestObject) (restreamapi.GetChannelMetaResponseObject, error) {
	m, err := a.s.store.ChannelMeta(userID(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return restreamapi.GetChannelMeta200JSONResponse(m), nil
}

func (a *restAPI) UpdateChannelMeta(ctx context.Context, req restreamapi.UpdateChannelMetaRequestObject) (restreamapi.UpdateChannelMetaResponseObject, error) {
	if err := a.s.store.SetChannelMeta(userID(ctx), req.Id, req.Body.Title, req.Body.Description); err != nil {
		return nil, err
	}
	return restreamapi.UpdateChannelMeta200Response{}, nil
}

func (a *restAPI) AddChannel(ctx context.Context, req restreamapi.AddChannelRequestObject) (restreamapi.AddChannelResponseObject, error) {
	c, err := a.s.store.AddChannel(userID(ctx), *req.Body)
	if err != nil {
		return nil, err
	}
	return restreamapi.AddChannel201JSONResponse(c), nil
}

func (a *restAPI) DeleteChannel(ctx context.Context, req restreamapi.DeleteChannelRequestObject) (restreamapi.DeleteChannelResponseObject, error) {
	if err := a.s.store.DeleteChannel(userID(ctx), req.ChannelId); err != nil {
		return nil, err
	}
	return restreamapi.DeleteChannel204Response{}, nil
}

func (a *restAPI) CreateEvent(ctx context.Context, req restreamapi.CreateEventRequestObject) (restreamapi.CreateEventResponseObject, error) {
	id, err := a.s.store.CreateEvent(userID(ctx), *req.Body)
	if err != nil {
		return nil, err
	}
	return restreamapi.CreateEvent201JSONResponse{Id: mustUUID(id)}, nil
}

func (a *restAPI) AddEventDestination(ctx context.Context, req restreamapi.AddEventDestinationRequestObject) (restreamapi.AddEventDestinationResponseObject, error) {
	id, err := a.s.store.AddEventDestination(userID(ctx), req.EventId.String(), *req.Body)
	if err != nil {
		return nil, err
	}
	return restreamapi.AddEventDestination201JSONResponse{Id: mustUUID(id)}, nil
}

func (a *restAPI) ListUpcomingEvents(ctx context.Context, req restreamapi.ListUpcomingEventsRequestObject) (restreamapi.ListUpcomingEventsResponseObject, error) {
	var source *int
	if req.Params.Source != nil {
		n := int(*req.Params.Source)
		source = &n
	}
	list, err := a.s.store.UpcomingEvents(userID(ctx), source, req.Params.Scheduled)
	if err != nil {
		return nil, err
	}
	return restreamapi.ListUpcomingEvents200JSONResponse(list), nil
}

func (a *restAPI) ListInProgressEvents(ctx context.Context, _ restreamapi.ListInProgressEventsRequestObject) (restreamapi.ListInProgressEventsResponseObject, error) {
	list, err := a.s.store.InProgressEvents(userID(ctx))
	if err != nil {
		return nil, err
	}
	return restreamapi.ListInProgressEvents200JSONResponse(list), nil
}

func (a *restAPI) ListEventHistory(ctx context.Context, req restreamapi.ListEventHistoryRequestObject) (restreamapi.ListEventHistoryResponseObject, error) {
	page, limit := orDefault(req.Params.Page, 1), orDefault(req.Params.Limit, 10)
	h, err := a.s.store.EventHistory(userID(ctx), page, limit)
	if err != nil {
		return nil, err
	}
	return restreamapi.ListEventHistory200JSONResponse(h), nil
}

func (a *restAPI) GetEvent(ctx context.Context, req restreamapi.GetEventRequestObject) (restreamapi.GetEventResponseObject, error) {
	e, err := a.s.store.Event(userID(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	return restreamapi.GetEvent200JSONResponse(e), nil
}

func (a *restAPI) GetEventStreamKey(ctx context.Context, req restreamapi.GetEventStreamKeyRequestObject) (restreamapi.GetEventStreamKeyResponseObject, error) {
	k, err := a.s.store.EventStreamKey(userID(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	return restreamapi.GetEventStreamKey200JSONResponse(k), nil
}

func (a *restAPI) GetEventSrtStreamKey(ctx context.Context, req restreamapi.GetEventSrtStreamKeyRequestObject) (restreamapi.GetEventSrtStreamKeyResponseObject, error) {
	k, err := a.s.store.EventSrtKey(userID(ctx), req.Id.String())
	if err != nil {
		return nil, err
	}
	return restreamapi.GetEventSrtStreamKey200JSONResponse(k), nil
}

func (a *restAPI) ListEventRecordings(ctx context.Context, req restreamapi.ListEventRecordingsRequestObject) (restreamapi.ListEventRecordingsResponseObject, error) {
	r, err := a.s.store.Recordings(userID(ctx), req.EventId.String())
	if err != nil {
		return nil, err
	}
	return restreamapi.ListEventRecordings200JSONResponse(r), nil
}

func (a *restAPI) GetEventRecordingDownloadUrl(ctx context.Context, req restreamapi.GetEventRecordingDownloadUrlRequestObject) (restreamapi.GetEventRecordingDownloadUrlResponseObject, error) {
	link, err := a.s.store.RecordingDownloadURL(userID(ctx), req.EventId.String(), req.Body.FileName)
	if err != nil {
		return nil, err
	}
	return restreamapi.GetEventRecordingDownloadUrl200JSONResponse{DownloadUrl: link}, nil
}

func (a *restAPI) ListEventTranscriptions(ctx context.Context, req restreamapi.ListEventTranscriptionsRequestObject) (restreamapi.ListEventTranscriptionsResponseObject, error) {
	list, err := a.s.store.Transcriptions(userID(ctx), req.EventId.String())
	if err != nil {
		return nil, err
	}
	return restreamapi.ListEventTranscriptions200JSONResponse{Transcriptions: list}, nil
}

func (a *restAPI) GetEventChatHistory(ctx context.Context, req restreamapi.GetEventChatHistoryRequestObject) (restreamapi.GetEventChatHistoryResponseObject, error) {
	p := req.Params
	h, err := a.s.store.ChatHistory(userID(ctx), req.EventId.String(), p.PageSize, p.PageToken, p.Timestamp)
	if err != nil {
		return nil, err
	}
	return restreamapi.GetEventChatHistory200JSONResponse(h), nil
}

func (a *restAPI) GetEventViewerAnalytics(ctx context.Context, req restreamapi.GetEventViewerAnalyticsRequestObject) (restreamapi.GetEventViewerAnalyticsResponseObject, error) {
	v, err := a.s.store.ViewerAnalytics(userID(ctx), req.EventId.String())
	if err != nil {
		return nil, err
	}
	return restreamapi.GetEventViewerAnalytics200JSONResponse(v), nil
}

func (a *restAPI) ListStorageFiles(ctx context.Context, _ restreamapi.ListStorageFilesRequestObject) (restreamapi.ListStorageFilesResponseObject, error) {
	files, err := a.s.store.StorageFiles(userID(ctx))
	if err != nil {
		return nil, err
	}
	return restreamapi.ListStorageFiles200JSONResponse{Files: files}, nil
}

func (a *restAPI) GetStorageFile(ctx context.Context, req restreamapi.GetStorageFileRequestObject) (restreamapi.GetStorageFileResponseObject, error) {
	f, err := a.s.store.StorageFile(userID(ctx), req.FileId.String())
	if err != nil {
		return nil, err
	}
	return restreamapi.GetStorageFile200JSONResponse(f), nil
}

func (a *restAPI) GetStorageFileDownloadUrl(ctx context.Context, req restreamapi.GetStorageFileDownloadUrlRequestObject) (restreamapi.GetStorageFileDownloadUrlResponseObject, error) {
	link, err := a.s.store.StorageDownloadURL(userID(ctx), req.FileId.String())
	if err != nil {
		return nil, err
	}
	return restreamapi.GetStorageFileDownloadUrl200JSONResponse{DownloadUrl: link}, nil
}

func (a *restAPI) ListClipsProjects(ctx context.Context, req restreamapi.ListClipsProjectsRequestObject) (restreamapi.ListClipsProjectsResponseObject, error) {
	p := req.Params
	sortBy := string(restreamapi.CreatedAt)
	if p.SortBy != nil {
		sortBy = string(*p.SortBy)
	}
	out, err := a.s.store.ClipsProjects(userID(ctx), orDefault(p.Limit, 20), p.Cursor, sortBy)
	if err != nil {
		return nil, err
	}
	return restreamapi.ListClipsProjects200JSONResponse(out), nil
}

func (a *restAPI) CreateClipsProject(ctx context.Context, req restreamapi.CreateClipsProjectRequestObject) (restreamapi.CreateClipsProjectResponseObject, error) {
	p, err := a.s.store.CreateClipsProject(userID(ctx), *req.Body)
	if err != nil {
		return nil, err
	}
	return restreamapi.CreateClipsProject201JSONResponse(p), nil
}

func (a *restAPI) GetClipsProject(ctx context.Context, req restreamapi.GetClipsProjectRequestObject) (restreamapi.GetClipsProjectResponseObject, error) {
	d, err := a.s.store.ClipsProject(userID(ctx), req.ProjectId.String())
	if err != nil {
		return nil, err
	}
	return restreamapi.GetClipsProject200JSONResponse(d), nil
}

func (a *restAPI) GetClipDownloadUrl(ctx context.Context, req restreamapi.GetClipDownloadUrlRequestObject) (restreamapi.GetClipDownloadUrlResponseObject, error) {
	link, err := a.s.store.ClipDownloadURL(userID(ctx), req.ClipId.String())
	if err != nil {
		return nil, err
	}
	return restreamapi.GetClipDownloadUrl200JSONResponse{DownloadUrl: link}, nil
}

func orDefault(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}
