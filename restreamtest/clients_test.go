package restreamtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/restreamkit/restreamkit/restreamtest"
)

// An app's own client, registered by the test, signs in to a callback on whatever port the test's
// listener got, and Reset removes the client again.
func TestAnAddedClientSignsInFromAnyLoopbackPort(t *testing.T) {
	rs := restreamtest.NewServer(t, restreamtest.WithAutoApprove(true))
	conf, err := rs.AddClient(restreamtest.Client{ID: "my-app", Secret: "my-app-secret", RedirectURIs: []string{"http://127.0.0.1/callback"}})
	if err != nil {
		t.Fatal(err)
	}
	app := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(app.Close)
	conf.RedirectURL = app.URL + "/callback"
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(conf.AuthCodeURL("st"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := res.Location()
	if err != nil {
		t.Fatalf("login answered %d without a redirect", res.StatusCode)
	}
	tok, err := conf.Exchange(context.Background(), loc.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, rs, tok.AccessToken, "/v2/user/profile"); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if err := rs.Reset(); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, rs, tok.AccessToken, "/v2/user/profile"); code != 401 {
		t.Fatalf("the token of a client Reset removed answers %d", code)
	}
	if err := rs.DeleteClient("my-app"); !restreamtest.IsControlError(err, 404) {
		t.Fatalf("deleting a client Reset removed: %v, want a 404", err)
	}
}

func TestAddClientRefusesABadClient(t *testing.T) {
	rs := restreamtest.NewServer(t)
	_, err := rs.AddClient(restreamtest.Client{ID: "my-app", Secret: "s", RedirectURIs: []string{"/callback"}})
	if !restreamtest.IsControlError(err, 400) {
		t.Fatalf("got %v, want a 400", err)
	}
}
