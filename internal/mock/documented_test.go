package mock_test

import (
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/fixtures"
	"github.com/restreamkit/restreamkit/internal/mock"
)

// TestEveryDocumentedErrorStatusIsReachable drives every operation into each error status its spec
// documents: 401 without a token, 403 with every scope but the one it needs, 404 for ids nobody
// has, 400 for a malformed parameter or body, 413 for a body over the limit. Success statuses are
// covered by TestEveryOperationAnswersItsHappyPath, the refusals every operation documents by
// TestEveryRefusalIsDocumentedForEveryOperation. The harness checks every answer against the
// spec, so each error is also the documented envelope.
func TestEveryDocumentedErrorStatusIsReachable(t *testing.T) {
	h := newHarness(t, mock.Options{MaxBodyBytes: 4096})
	seed, err := fixtures.Load(fixtures.Embedded(), fixtures.EmbeddedName)
	if err != nil {
		t.Fatal(err)
	}
	files := seed.Files
	full := h.token(nova)
	reached := map[string]map[string]bool{}
	hit := func(op string, status int) {
		if reached[op] == nil {
			reached[op] = map[string]bool{}
		}
		reached[op][strconv.Itoa(status)] = true
	}
	for _, op := range h.srv.Spec().Operations() {
		ex := successExample(files[op.ID])
		if ex == nil {
			t.Fatalf("%s has no success example to start from", op.ID)
		}
		path, body, ct := ex.Request.Path, []byte(ex.Request.Body), ex.Request.Headers["Content-Type"]
		if strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			body = formBody(t, ex.Request.Body)
		}
		query := encodeQuery(ex.Request.Query)
		send := func(path, query, token, ct string, body []byte) int {
			target := path
			if query != "" {
				target += "?" + query
			}
			status, _, resp := h.do(ex.Request.Method, target, token, ct, body)
			if status >= 400 {
				var e conformance.Envelope
				if json.Unmarshal(resp, &e) != nil || e.Error.StatusCode != status {
					t.Errorf("%s answered %d without the envelope: %s", op.ID, status, resp)
				}
			}
			return status
		}
		if len(op.Scopes) > 0 {
			hit(op.ID, send(path, query, "", ct, body))
			hit(op.ID, send(path, query, h.token(nova, conformance.AllScopesBut(op.Scopes[0])...), ct, body))
		}
		if unknown := unknownIDs(path, op.Path); unknown != path {
			hit(op.ID, send(unknown, query, full, ct, body))
		}
		if bad := malformedIDs(path, op.Path); bad != path {
			hit(op.ID, send(bad, query, full, ct, body))
		}
		for name := range ex.Request.Query {
			q := url.Values{}
			for k, v := range ex.Request.Query {
				q.Set(k, v)
			}
			q.Set(name, "not-valid-!")
			hit(op.ID, send(path, q.Encode(), full, ct, body))
		}
		// Out-of-range values of every query parameter the API has; operations without them ignore them.
		hit(op.ID, send(path, "source=9&scheduled=maybe&page=0&limit=0&pageSize=0&sortBy=Nope&timestamp=-1", full, ct, body))
		switch {
		case strings.HasPrefix(ct, "application/json"):
			hit(op.ID, send(path, query, full, ct, []byte(`{"undocumented":true}`)))
			hit(op.ID, send(path, query, full, ct, []byte(`{"x":"`+strings.Repeat("x", 5000)+`"}`)))
		case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
			hit(op.ID, send(path, query, full, ct, []byte("undocumented=1")))
			hit(op.ID, send(path, query, full, ct, []byte("x="+strings.Repeat("x", 5000))))
		}
		if op.ID == "showAuthorizeDialog" {
			q := url.Values{}
			for k, v := range ex.Request.Query {
				q.Set(k, v)
			}
			q.Set("redirect_uri", "https://elsewhere.example/cb")
			hit(op.ID, send(path, q.Encode(), "", "", nil))
		}
		h.do("POST", "/__mock/reset", "", "", nil)
	}
	// Statuses no request of this kind can reach, and where they are tested instead.
	elsewhere := map[string]string{
		"refreshToken 401":        "wrong client secret: TestTheTokenEndpointAuthenticatesClientsBothWays",
		"addEventDestination 409": "TestWritesShowInLaterReads",
		"addChannel 409":          "a full user: TestAUserCannotAddChannelsPastTheCap",
		"createEvent 409":         "a full user: TestAUserCannotCreateEventsPastTheCap",
		"showAuthorizeDialog 302": "TestAutoApproveRedirectsAtOnceForTheDefaultUser",
		"createClipsProject 404":  "another user's video: TestClipProjectCreationRefusesWhatTheUsersVideosCannotGive",
		"createClipsProject 409":  "a clipped video: TestClipProjectCreationRefusesWhatTheUsersVideosCannotGive",
		"createStudioCaption 404": "a brand of another user: TestStudioItemsBelongToABrandOfTheUser",
		"createStudioCaption 409": "a full user: TestAUserCannotAddStudioItemsPastTheCap",
		"createStudioQrCode 409":  "a full user: TestAUserCannotAddStudioItemsPastTheCap",
		"createStudioTicker 409":  "a full user: TestAUserCannotAddStudioItemsPastTheCap",
	}
	// The refusals every operation documents: TestEveryRefusalIsDocumentedForEveryOperation sends
	// each of them to every operation.
	refusals := map[string]bool{"400": true, "413": true, "429": true, "431": true, "5XX": true}
	var missing []string
	for _, op := range h.srv.Spec().Operations() {
		for _, status := range op.Statuses() {
			if status[0] == '2' || reached[op.ID][status] || elsewhere[op.ID+" "+status] != "" || refusals[status] {
				continue
			}
			missing = append(missing, op.ID+" "+status)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("documented statuses never reached: %v", missing)
	}
}

func successExample(f *fixtures.File) *fixtures.Example {
	if f == nil {
		return nil
	}
	for i := range f.Examples {
		if s := f.Examples[i].Response.Status; s >= 200 && s < 300 {
			return &f.Examples[i]
		}
	}
	return nil
}

func formBody(t *testing.T, raw json.RawMessage) []byte {
	var fields map[string]string
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	return []byte(encodeQuery(fields))
}

func encodeQuery(m map[string]string) string {
	q := url.Values{}
	for k, v := range m {
		q.Set(k, v)
	}
	return q.Encode()
}

// unknownIDs replaces the path's ids with well-formed ids nobody has.
func unknownIDs(path, template string) string {
	return replaceIDs(path, template, "999999999", "00000000-0000-4000-8000-000000000000")
}

// malformedIDs replaces the path's ids with values of the wrong form.
func malformedIDs(path, template string) string {
	return replaceIDs(path, template, "abc", "not-a-uuid")
}

func replaceIDs(path, template, number, id string) string {
	ps, ts := strings.Split(path, "/"), strings.Split(template, "/")
	if len(ps) != len(ts) {
		return path
	}
	for i, seg := range ts {
		if !strings.HasPrefix(seg, "{") {
			continue
		}
		if _, err := strconv.ParseInt(ps[i], 10, 64); err == nil {
			ps[i] = number
		} else {
			ps[i] = id
		}
	}
	return strings.Join(ps, "/")
}
