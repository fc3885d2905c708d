package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/restreamkit/restreamkit/internal/fixtures"
	"github.com/restreamkit/restreamkit/internal/oauth"
)

// ReplayExamples replays every example of examples/operations against a
// freshly reset mock and compares the answer with the documented one: the same status, and for
// reads the same body (timestamps compared as instants). Writes may differ only in the ids they
// create, download links only in their signature. This is what keeps the examples, which seed
// the mock, and the mock's behaviour from drifting apart.
func ReplayExamples(t T, tg Target) {
	seed, err := fixtures.Load(fixtures.Embedded(), fixtures.EmbeddedName)
	if err != nil {
		t.Fatal(err)
	}
	files := seed.Files
	ops := make([]string, 0, len(files))
	for op := range files {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	replayed := 0
	for _, op := range ops {
		for _, ex := range files[op].Examples {
			Run(t, op+"/"+ex.Name, func(t T) {
				tg.Reset(t)
				status, body := replay(t, tg, op, ex)
				if status != ex.Response.Status {
					t.Fatalf("status %d, documented %d: %s", status, ex.Response.Status, body)
				}
				compareBodies(t, op, ex, body)
				replayed++
			})
		}
	}
	if replayed < 150 && !partial(t) {
		t.Fatalf("only %d examples were replayed", replayed)
	}
}

// replay sends an example's request, with a real credential standing in for the documented one.
func replay(t T, tg Target, op string, ex fixtures.Example) (int, []byte) {
	t.Helper()
	path := ex.Request.Path
	if len(ex.Request.Query) > 0 {
		q := url.Values{}
		for k, v := range ex.Request.Query {
			q.Set(k, v)
		}
		path += "?" + q.Encode()
	}
	token := ""
	if ex.User != 0 {
		token = tg.Token(t, ex.User)
		switch ex.Response.Status {
		case 401: // documented with a revoked token
			tg.Do(t, "POST", "/oauth/revoke", "", "application/x-www-form-urlencoded", []byte("token="+token))
		case 403:
			if strings.Contains(string(ex.Response.Body), "insufficient_scope") {
				opDef, _ := Spec(t).Operation(op)
				token = tg.Token(t, ex.User, AllScopesBut(opDef.Scopes[0])...)
			}
		}
	}
	body := []byte(ex.Request.Body)
	ct := ex.Request.Headers["Content-Type"]
	if strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		var fields map[string]string
		if err := json.Unmarshal(ex.Request.Body, &fields); err != nil {
			t.Fatalf("a form body must be an object of strings: %v", err)
		}
		form := url.Values{}
		for k, v := range fields {
			form.Set(k, v)
		}
		substituteOAuthValues(t, tg, ex, form)
		body = []byte(form.Encode())
	}
	req, _ := http.NewRequest(ex.Request.Method, tg.API+path, bytes.NewReader(body))
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	for k, v := range ex.Request.Headers {
		req.Header.Set(k, v)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := NoRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, buf.Bytes()
}

// substituteOAuthValues replaces the codes and refresh tokens of OAuth examples, which only the
// documented session knew, with live ones in the same situation.
func substituteOAuthValues(t T, tg Target, ex fixtures.Example, form url.Values) {
	t.Helper()
	ctx := context.Background()
	conf := DevConfig(tg.API)
	switch {
	case form.Get("grant_type") == "authorization_code" && form.Get("code") != "":
		form.Set("code", WalkConsent(t, conf.AuthCodeURL("s"), Nova, true).Query().Get("code"))
	case form.Get("grant_type") == "refresh_token" && ex.Response.Status == 200:
		form.Set("refresh_token", tg.Pair(t, Nova).RefreshToken)
	case form.Get("grant_type") == "refresh_token" && strings.Contains(string(ex.Response.Body), "invalid_grant"):
		rt := tg.Pair(t, Nova).RefreshToken
		if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token(); err != nil {
			t.Fatal(err)
		}
		form.Set("refresh_token", rt) // rotated by the refresh above
	}
}

// AllScopesBut lists every scope except one, in canonical spelling.
func AllScopesBut(scope string) []string {
	skip, _ := oauth.ParseScope(scope)
	var out []string
	for _, s := range oauth.AllScopes.List() {
		if s != skip {
			out = append(out, s.String())
		}
	}
	return out
}

// compareBodies checks a replayed body against the example's.
func compareBodies(t T, op string, ex fixtures.Example, got []byte) {
	t.Helper()
	want := ex.Response.Body
	if len(want) == 0 {
		if op != "showAuthorizeDialog" && len(got) != 0 {
			t.Fatalf("documented without a body, got %s", got)
		}
		return
	}
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("the answer is not JSON: %s", got)
	}
	if ex.Response.Status >= 400 { // errors: the same name, and a message of the same kind
		we, ge := w.(map[string]any)["error"].(map[string]any), g.(map[string]any)["error"].(map[string]any)
		if we["name"] != ge["name"] || we["message"] != ge["message"] {
			t.Fatalf("error %v %q, documented %v %q", ge["name"], ge["message"], we["name"], we["message"])
		}
		return
	}
	mask := map[string]bool{}
	switch op {
	case "addChannel", "createEvent", "addEventDestination", "createStudioCaption", "createStudioQrCode", "createStudioTicker":
		mask["id"] = true
	case "refreshToken":
		for _, k := range []string{"access_token", "refresh_token", "accessToken", "refreshToken", "expires",
			"accessTokenExpiresAt", "accessTokenExpiresEpoch", "refreshTokenExpiresAt", "refreshTokenExpiresEpoch"} {
			mask[k] = true
		}
	case "createClipsProject": // a new id, made now
		mask["projectId"], mask["createdAt"] = true, true
	case "getEventRecordingDownloadUrl", "getStorageFileDownloadUrl", "getClipDownloadUrl":
		mask["downloadUrl"] = true
	}
	if diff := diffJSON("", w, g, mask); diff != "" {
		t.Fatalf("the answer differs from the example at %s\n got: %s", diff, got)
	}
}

// diffJSON returns the pointer of the first difference between two decoded JSON values, or "".
// Strings that are both timestamps compare as instants; masked keys only need the same type.
func diffJSON(at string, want, got any, mask map[string]bool) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s (keys %v vs %v)", at, keys(w), keys(g))
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return at + "/" + k + " (missing)"
			}
			if mask[k] {
				if reflect.TypeOf(wv) != reflect.TypeOf(gv) {
					return at + "/" + k + " (type)"
				}
				continue
			}
			if d := diffJSON(at+"/"+k, wv, gv, mask); d != "" {
				return d
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s (length %d vs %d)", at, len(w), lenOf(got))
		}
		for i := range w {
			if d := diffJSON(fmt.Sprintf("%s/%d", at, i), w[i], g[i], mask); d != "" {
				return d
			}
		}
		return ""
	case string:
		if g, ok := got.(string); ok {
			wt, err1 := time.Parse(time.RFC3339Nano, w)
			gt, err2 := time.Parse(time.RFC3339Nano, g)
			if err1 == nil && err2 == nil && wt.Equal(gt) {
				return ""
			}
		}
	}
	if !reflect.DeepEqual(want, got) {
		return fmt.Sprintf("%s (%v vs %v)", at, want, got)
	}
	return ""
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func lenOf(v any) int {
	if a, ok := v.([]any); ok {
		return len(a)
	}
	return -1
}
