package conformance

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/oauth2"

	"github.com/restreamkit/restreamkit/internal/oauth"
)

// DevConfig is the x/oauth2 configuration of the dev client against a base URL.
func DevConfig(base string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     DevClient,
		ClientSecret: DevSecret,
		RedirectURL:  DevRedirect,
		Endpoint:     oauth2.Endpoint{AuthURL: base + "/login", TokenURL: base + "/oauth/token"},
	}
}

// WalkConsent loads the consent page of an authorize URL like a browser, signs in as user and
// presses approve or deny. It returns where the page sends the browser.
func WalkConsent(t T, authURL string, user int64, approve bool) *url.URL {
	t.Helper()
	res, err := NoRedirect.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("the dialog answered %d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), page)
	}
	for _, want := range []string{"Restreamkit Dev App", "nova_plays", "techtalks_daily", "approve", "deny"} {
		if !strings.Contains(string(page), want) {
			t.Fatalf("the consent page does not show %q", want)
		}
	}
	action, id, ok := oauth.ConsentForm(page)
	if !ok {
		t.Fatalf("no form or request field on the consent page:\n%s", page)
	}
	decision := "deny"
	if approve {
		decision = "approve"
	}
	target, _ := url.Parse(authURL)
	target, _ = target.Parse(action)
	form := url.Values{oauth.FieldRequest: {id}, oauth.FieldAccount: {strconv.FormatInt(user, 10)}, oauth.FieldDecision: {decision}}
	res, err = NoRedirect.PostForm(target.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("the consent form answered %d: %s", res.StatusCode, body)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// IsOAuthError reports whether err is an x/oauth2 RetrieveError carrying the envelope.
func IsOAuthError(err error, status int, name string) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return false
	}
	return re.Response.StatusCode == status && strings.Contains(string(re.Body), `"name":"`+name+`"`)
}
