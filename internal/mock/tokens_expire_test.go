package mock_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/oauth"
)

func TestExpiringAUsersTokensEndsTheirAccessTokensButNotTheirRefreshOrOtherUsers(t *testing.T) {
	h := newHarness(t, mock.Options{})
	ctx := context.Background()
	novaPair, other := h.pair(nova), h.token(techtalks)
	res, err := h.ctl.ExpireUserTokensWithResponse(ctx, controlapi.ExpireUserTokensJSONRequestBody{UserId: nova})
	if err != nil || res.JSON200 == nil || res.JSON200.Expired != 1 || res.JSON200.UserId != nova {
		t.Fatalf("expiring: %v %s, want 200 with one token expired", err, res.Body)
	}
	status, _, body := h.do(http.MethodGet, "/v2/user/profile", novaPair.AccessToken, "", nil)
	if status != http.StatusUnauthorized || !strings.Contains(string(body), `"invalid_token"`) || !strings.Contains(string(body), oauth.MsgTokenExpired) {
		t.Fatalf("the expired token got %d %s, want 401 invalid_token %q", status, body, oauth.MsgTokenExpired)
	}
	if status, _, _ := h.do(http.MethodGet, "/v2/user/profile", other, "", nil); status != http.StatusOK {
		t.Fatalf("another user's token got %d, want 200", status)
	}
	// The refresh token still works: the application's refresh path gets a fresh access token.
	tok, err := devConfig(h.url).TokenSource(ctx, &oauth2.Token{RefreshToken: novaPair.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refreshing after the expiry: %v", err)
	}
	if status, _, _ := h.do(http.MethodGet, "/v2/user/profile", tok.AccessToken, "", nil); status != http.StatusOK {
		t.Fatalf("the refreshed token got %d, want 200", status)
	}
	// Nothing left to expire is not an error.
	if res, err := h.ctl.ExpireUserTokensWithResponse(ctx, controlapi.ExpireUserTokensJSONRequestBody{UserId: techtalks}); err != nil || res.JSON200 == nil || res.JSON200.Expired != 1 {
		t.Fatalf("expiring the other user: %v %s", err, res.Body)
	}
}

func TestExpiringTheTokensOfNoUserIs404AndABadBodyIs400(t *testing.T) {
	h := newHarness(t, mock.Options{})
	for _, tc := range []struct {
		body       string
		status     int
		name, text string
	}{
		{`{"userId":999999}`, http.StatusNotFound, "user_not_found", "999999"},
		{`{"userId":0}`, http.StatusBadRequest, "invalid_body_params", "userId"},
		{`{}`, http.StatusBadRequest, "invalid_body_params", "userId"},
		{`{"userId":1,"all":true}`, http.StatusBadRequest, "invalid_body_params", "all"},
	} {
		status, _, body := h.do(http.MethodPost, "/__mock/tokens/expire", "", "application/json", []byte(tc.body))
		if status != tc.status || !strings.Contains(string(body), `"`+tc.name+`"`) || !strings.Contains(string(body), tc.text) {
			t.Errorf("%s: %d %s, want %d %s naming %s", tc.body, status, body, tc.status, tc.name, tc.text)
		}
	}
}
