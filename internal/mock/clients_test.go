package mock_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/oauth"
)

// myApp is the body of a client registration that a test sends to POST /__mock/clients.
const myApp = `{"clientId":"my-app","clientSecret":"my-app-secret-4d1e","name":"My App",
	"redirectUris":["http://127.0.0.1/callback"],"scopes":["profile.read"]}`

// clientsListing returns the body of GET /__mock/clients.
func (h *harness) clientsListing() string {
	h.t.Helper()
	status, _, body := h.do("GET", "/__mock/clients", "", "", nil)
	if status != 200 {
		h.t.Fatalf("listing the clients: %d %s", status, body)
	}
	return string(body)
}

func TestAClientRegisteredThroughTheControlAPIIsListedWithItsSecretRedacted(t *testing.T) {
	h := newHarness(t, mock.Options{})
	status, _, body := h.do("POST", "/__mock/clients", "", "application/json", []byte(myApp))
	if status != 201 {
		t.Fatalf("registering: %d %s", status, body)
	}
	status, _, again := h.do("POST", "/__mock/clients", "", "application/json", []byte(myApp))
	if status != 200 {
		t.Fatalf("registering again: %d %s, want 200 for a replacement", status, again)
	}
	status, _, one := h.do("GET", "/__mock/clients/my-app", "", "", nil)
	if status != 200 {
		t.Fatalf("getting the client: %d %s", status, one)
	}
	list := h.clientsListing()
	// The journal shows control calls when asked to (?include=control); before that option it
	// showed them always and refuses the parameter.
	status, _, journal := h.do("GET", "/__mock/journal?include=control", "", "", nil)
	if status == 400 {
		_, _, journal = h.do("GET", "/__mock/journal", "", "", nil)
	}
	if !strings.Contains(string(journal), "/__mock/clients") {
		t.Fatalf("the journal does not show the registrations: %s", journal)
	}
	for _, shown := range []string{string(body), string(again), string(one), list, string(journal)} {
		if strings.Contains(shown, "my-app-secret-4d1e") || strings.Contains(shown, "restreamkit-dev-secret") {
			t.Fatalf("a secret is shown in clear: %s", shown)
		}
	}
	var got struct {
		Clients []struct {
			ClientID     string   `json:"clientId"`
			ClientSecret string   `json:"clientSecret"`
			RedirectURIs []string `json:"redirectUris"`
		} `json:"clients"`
	}
	if err := json.Unmarshal([]byte(list), &got); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range got.Clients {
		ids = append(ids, c.ClientID)
		if !strings.HasPrefix(c.ClientSecret, "[REDACTED:") {
			t.Fatalf("client %s's secret is shown as %q", c.ClientID, c.ClientSecret)
		}
	}
	if want := "restreamkit-dev restreamkit-readonly my-app"; strings.Join(ids, " ") != want {
		t.Fatalf("clients %v, want %s in registration order", ids, want)
	}
	if status, _, body := h.do("GET", "/__mock/clients/nobody", "", "", nil); status != 404 || !strings.Contains(string(body), "client_not_found") {
		t.Fatalf("an unknown client: %d %s", status, body)
	}
}

// A Vite or CLI app signs in through golang.org/x/oauth2 from a port it never registered: the
// registered http://127.0.0.1/callback matches it (RFC 8252 §7.3).
func TestAnAppOnAnyLoopbackPortSignsInWithGolangOAuth2(t *testing.T) {
	h := newHarness(t, mock.Options{AutoApprove: true})
	if status, _, body := h.do("POST", "/__mock/clients", "", "application/json", []byte(myApp)); status != 201 {
		t.Fatalf("registering: %d %s", status, body)
	}
	app := httptest.NewServer(http.NotFoundHandler()) // the app's callback listener, on a free port
	t.Cleanup(app.Close)
	conf := &oauth2.Config{ClientID: "my-app", ClientSecret: "my-app-secret-4d1e", RedirectURL: app.URL + "/callback",
		Endpoint: oauth2.Endpoint{AuthURL: h.url + "/login", TokenURL: h.url + "/oauth/token"}}
	res, err := noRedirect.Get(conf.AuthCodeURL("st"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := res.Location()
	if err != nil || !strings.HasPrefix(loc.String(), app.URL+"/callback?") {
		t.Fatalf("login answered %d, Location %v; want the app's own port", res.StatusCode, loc)
	}
	tok, err := conf.Exchange(context.Background(), loc.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := oauth2.NewClient(context.Background(), conf.TokenSource(context.Background(), tok)).Get(h.url + "/v2/user/profile")
	if err != nil {
		t.Fatal(err)
	}
	got.Body.Close()
	if got.StatusCode != 200 {
		t.Fatalf("the profile answered %d", got.StatusCode)
	}
}

func TestARedirectMismatchNamesTheRegisteredURIs(t *testing.T) {
	h := newHarness(t, mock.Options{AutoApprove: true})
	registered := "http://localhost:3000/callback, http://127.0.0.1:3000/callback, http://localhost:8000/callback"

	conf := devConfig(h.url)
	conf.RedirectURL = "https://evil.example/callback"
	status, _, body := h.do("GET", strings.TrimPrefix(conf.AuthCodeURL("s"), h.url), "", "", nil)
	wantError(t, status, body, 400, "invalid_request", "redirect_uri", registered)

	conf = devConfig(h.url)
	conf.RedirectURL = "http://localhost:3001/callback" // a loopback port the code is then bound to
	res, err := noRedirect.Get(conf.AuthCodeURL("s"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := res.Location()
	if loc == nil || loc.Host != "localhost:3001" {
		t.Fatalf("login answered %d to %v, want localhost:3001", res.StatusCode, loc)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {devRedirect},
		"client_id": {conf.ClientID}, "client_secret": {conf.ClientSecret}}
	status, _, body = h.do("POST", "/oauth/token", "", "application/x-www-form-urlencoded", []byte(form.Encode()))
	// Another registered URI at the exchange is a fault of the grant (RFC 6749 §5.2), not of the request.
	wantError(t, status, body, 400, "invalid_grant", "redirect_uri", registered)
}

func TestDeletingAClientEndsItsTokens(t *testing.T) {
	h := newHarness(t, mock.Options{})
	if status, _, body := h.do("POST", "/__mock/clients", "", "application/json", []byte(myApp)); status != 201 {
		t.Fatalf("registering: %d %s", status, body)
	}
	res, err := h.ctl.IssueTokenWithResponse(context.Background(), controlapi.IssueTokenJSONRequestBody{ClientId: ptr("my-app"), UserId: nova})
	if err != nil || res.JSON201 == nil {
		t.Fatalf("issuing a token: %v %v", err, res)
	}
	mine, dev := res.JSON201.AccessToken, h.token(nova)
	if status, _, body := h.do("DELETE", "/__mock/clients/my-app", "", "", nil); status != 204 {
		t.Fatalf("deleting: %d %s", status, body)
	}
	if status, _, body := h.do("GET", "/v2/user/profile", mine, "", nil); status != 401 {
		t.Fatalf("the deleted client's token still answers %d %s", status, body)
	}
	if status, _, body := h.do("GET", "/v2/user/profile", dev, "", nil); status != 200 {
		t.Fatalf("another client's token stopped working: %d %s", status, body)
	}
	if status, _, body := h.do("DELETE", "/__mock/clients/my-app", "", "", nil); status != 404 {
		t.Fatalf("deleting twice: %d %s", status, body)
	}
	if strings.Contains(h.clientsListing(), "my-app") {
		t.Fatal("the deleted client is still listed")
	}
}

func TestABadClientIsRefusedNamingTheFieldAndChangesNothing(t *testing.T) {
	uris := func(n int) string {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprintf(`"http://localhost/cb%d"`, i)
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		name, body, field string
	}{
		{"a relative redirect URI", `{"clientId":"restreamkit-dev","clientSecret":"x","redirectUris":["/callback"]}`, "redirectUris[0]"},
		{"a redirect URI with a fragment", `{"clientId":"a","clientSecret":"x","redirectUris":["http://h/","http://h/cb#f"]}`, "redirectUris[1]"},
		{"no redirect URIs", `{"clientId":"a","clientSecret":"x","redirectUris":[]}`, "redirectUris"},
		{"more redirect URIs than the bound", `{"clientId":"a","clientSecret":"x","redirectUris":[` + uris(oauth.MaxRedirectURIs+1) + `]}`, "redirectUris"},
		{"a redirect URI over the length bound", `{"clientId":"a","clientSecret":"x","redirectUris":["http://h/` + strings.Repeat("p", oauth.MaxRedirectURILen) + `"]}`, "redirectUris"},
		{"an unknown scope", `{"clientId":"a","clientSecret":"x","redirectUris":["http://h/"],"scopes":["profile.read","events.read"]}`, "scopes[1]"},
		{"one scope in two spellings", `{"clientId":"a","clientSecret":"x","redirectUris":["http://h/"],"scopes":["chat.read","chat.default.read"]}`, "scopes[1]"},
		{"an empty secret", `{"clientId":"restreamkit-dev","clientSecret":"","redirectUris":["http://h/"]}`, "clientSecret"},
		{"a missing secret", `{"clientId":"a","redirectUris":["http://h/"]}`, "clientSecret"},
		{"an overlong id", `{"clientId":"` + strings.Repeat("i", oauth.MaxClientIDLen+1) + `","clientSecret":"x","redirectUris":["http://h/"]}`, "clientId"},
		{"an overlong name", `{"clientId":"a","clientSecret":"x","name":"` + strings.Repeat("n", oauth.MaxClientNameLen+1) + `","redirectUris":["http://h/"]}`, "name"},
		{"an unknown field", `{"clientId":"a","clientSecret":"x","redirectUris":["http://h/"],"grants":[]}`, "grants"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, mock.Options{})
			tok := h.token(nova)
			before := h.clientsListing()
			status, _, body := h.do("POST", "/__mock/clients", "", "application/json", []byte(tt.body))
			wantError(t, status, body, 400, "invalid_body_params", tt.field)
			if after := h.clientsListing(); after != before {
				t.Fatalf("the clients changed:\n%s\n%s", before, after)
			}
			if status, _, _ := h.do("GET", "/v2/user/profile", tok, "", nil); status != 200 {
				t.Fatalf("a refused client ended a token: %d", status)
			}
		})
	}
}

func TestTheNumberOfClientsIsBoundedWithAConflict(t *testing.T) {
	h := newHarness(t, mock.Options{})
	for i := 2; i < oauth.MaxClients; i++ { // the fixtures hold two
		body := fmt.Sprintf(`{"clientId":"app-%d","clientSecret":"x","redirectUris":["http://localhost/cb"]}`, i)
		if status, _, resp := h.do("POST", "/__mock/clients", "", "application/json", []byte(body)); status != 201 {
			t.Fatalf("client %d: %d %s", i, status, resp)
		}
	}
	before := h.clientsListing()
	status, _, body := h.do("POST", "/__mock/clients", "", "application/json", []byte(myApp))
	wantError(t, status, body, 409, "too_many_clients", "100")
	if h.clientsListing() != before {
		t.Fatal("a refused client changed the clients")
	}
	if status, _, body := h.do("POST", "/__mock/clients", "", "application/json",
		[]byte(`{"clientId":"app-2","clientSecret":"y","redirectUris":["http://localhost/cb"]}`)); status != 200 {
		t.Fatalf("replacing a client at the bound: %d %s", status, body)
	}
}

// Reset goes back to the clients the mock started with, those of Options.Clients (--client)
// included: added clients go, changed ones come back, and only tokens of those clients end.
func TestResetRestoresTheStartUpClients(t *testing.T) {
	flagClient := oauth.Client{ID: "from-flag", Secret: "flag-secret", RedirectURIs: []string{"http://localhost/cb"}, Scopes: []string{"profile.read"}}
	h := newHarness(t, mock.Options{Clients: []oauth.Client{flagClient}})
	start := h.clientsListing()
	if !strings.Contains(start, `"clientId":"from-flag"`) {
		t.Fatalf("the start-up client is not listed: %s", start)
	}
	dev := h.token(nova)
	for _, req := range []struct{ method, path, body string }{
		{"POST", "/__mock/clients", myApp},
		{"DELETE", "/__mock/clients/from-flag", ""},
		{"POST", "/__mock/clients", `{"clientId":"restreamkit-readonly","clientSecret":"new","redirectUris":["http://localhost/cb"]}`},
	} {
		if status, _, body := h.do(req.method, req.path, "", "application/json", []byte(req.body)); status >= 300 {
			t.Fatalf("%s %s: %d %s", req.method, req.path, status, body)
		}
	}
	if h.clientsListing() == start {
		t.Fatal("the control API changed nothing")
	}
	if status, _, body := h.do("POST", "/__mock/reset", "", "", nil); status != 204 {
		t.Fatalf("reset: %d %s", status, body)
	}
	if got := h.clientsListing(); got != start {
		t.Fatalf("after reset the clients are\n%s\nwant\n%s", got, start)
	}
	if status, _, _ := h.do("GET", "/v2/user/profile", dev, "", nil); status != 200 {
		t.Fatalf("reset ended the token of an unchanged client: %d", status)
	}
}

func TestStartUpClientsReplaceFixtureClientsOfTheSameID(t *testing.T) {
	replaced := oauth.Client{ID: "restreamkit-readonly", Secret: "s", Name: "Mine", RedirectURIs: []string{"http://localhost/cb"}, Scopes: []string{"chat.read"}}
	h := newHarness(t, mock.Options{Clients: []oauth.Client{replaced}})
	list := h.clientsListing()
	if strings.Count(list, `"clientId":"restreamkit-readonly"`) != 1 || !strings.Contains(list, `"name":"Mine"`) {
		t.Fatalf("the fixture client was not replaced in place: %s", list)
	}
}
