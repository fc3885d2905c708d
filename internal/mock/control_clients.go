package mock

import (
	"context"
	"errors"
	"net/http"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/oauth"
	"github.com/restreamkit/restreamkit/internal/redact"
)

// Error names of the client operations of the control API.
const (
	nameClientNotFound = "client_not_found"
	nameTooManyClients = "too_many_clients"
)

// mockClient is a client as the control API shows it: its secret redacted as everything the mock
// shows is (internal/redact), so that a listing can be pasted into a bug report.
func mockClient(c oauth.Client) controlapi.MockClient {
	return controlapi.MockClient{ClientId: c.ID, ClientSecret: redact.Field("clientSecret", c.Secret), Name: c.Name,
		RedirectUris: nonNil(c.RedirectURIs), Scopes: nonNil(c.Scopes)}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func clientNotFound(id string) error {
	return apierror.Newf(http.StatusNotFound, nameClientNotFound, "ClientNotFound: no client %q", id)
}

func (c *controlAPI) ListMockClients(context.Context, controlapi.ListMockClientsRequestObject) (controlapi.ListMockClientsResponseObject, error) {
	out := controlapi.ListMockClients200JSONResponse{Clients: []controlapi.MockClient{}}
	for _, cl := range c.s.oauth.Clients() {
		out.Clients = append(out.Clients, mockClient(cl))
	}
	return out, nil
}

func (c *controlAPI) GetMockClient(_ context.Context, req controlapi.GetMockClientRequestObject) (controlapi.GetMockClientResponseObject, error) {
	cl, ok := c.s.oauth.Client(req.ClientId)
	if !ok {
		return nil, clientNotFound(req.ClientId)
	}
	return controlapi.GetMockClient200JSONResponse(mockClient(cl)), nil
}

// PutMockClient registers or replaces a client. The oauth package owns the rules and the bounds;
// its errors name the field at fault. Scopes default to every scope, as for --client.
func (c *controlAPI) PutMockClient(_ context.Context, req controlapi.PutMockClientRequestObject) (controlapi.PutMockClientResponseObject, error) {
	b := req.Body
	cl := oauth.Client{ID: b.ClientId, Secret: b.ClientSecret, RedirectURIs: b.RedirectUris}
	if b.Name != nil {
		cl.Name = *b.Name
	}
	if b.Scopes != nil {
		cl.Scopes = *b.Scopes
	} else {
		for _, sc := range oauth.AllScopes.List() {
			cl.Scopes = append(cl.Scopes, sc.String())
		}
	}
	created, err := c.s.oauth.PutClient(cl)
	switch {
	case errors.Is(err, oauth.ErrTooManyClients):
		return nil, apierror.Newf(http.StatusConflict, nameTooManyClients, "Conflict: %v", err)
	case err != nil:
		return nil, apierror.Newf(http.StatusBadRequest, apierror.NameInvalidBodyParams, "Invalid body params: %v", err)
	case created:
		return controlapi.PutMockClient201JSONResponse(mockClient(cl)), nil
	}
	return controlapi.PutMockClient200JSONResponse(mockClient(cl)), nil
}

func (c *controlAPI) DeleteMockClient(_ context.Context, req controlapi.DeleteMockClientRequestObject) (controlapi.DeleteMockClientResponseObject, error) {
	if !c.s.oauth.DeleteClient(req.ClientId) {
		return nil, clientNotFound(req.ClientId)
	}
	return controlapi.DeleteMockClient204Response{}, nil
}
