package mock_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/mock"
)

func TestResetRestoresTheFixturesAndKeepsTokens(t *testing.T) {
	h := newHarness(t, mock.Options{})
	ctx := context.Background()
	tok := h.token(nova)
	c := h.client(tok)
	initial := h.state()
	c.DeleteChannelWithResponse(ctx, novaTwitch)
	c.CreateEventWithResponse(ctx, restreamapi.EventCreate{StreamType: restreamapi.Studio})
	h.do("POST", "/__mock/clock/advance", "", "application/json", []byte(`{"seconds":60}`))
	if h.state() == initial {
		t.Fatal("the writes did not change the world")
	}
	r, err := h.ctl.ResetMockWithResponse(ctx)
	if err != nil || r.StatusCode() != 204 {
		t.Fatal(err, r.StatusCode())
	}
	if h.state() != initial {
		t.Fatal("reset did not restore the fixture world")
	}
	clk, _ := h.ctl.GetClockWithResponse(ctx)
	if clk.JSON200.OffsetSeconds != 0 {
		t.Fatalf("reset must put the clock back, offset %v", clk.JSON200.OffsetSeconds)
	}
	if got, _ := c.GetChannelWithResponse(ctx, novaTwitch); got.StatusCode() != 200 {
		t.Fatalf("the token must survive a reset: %d", got.StatusCode())
	}
}

func TestStateExportsAndImports(t *testing.T) {
	h := newHarness(t, mock.Options{})
	ctx := context.Background()
	c := h.client(h.token(nova))
	c.UpdateChannelWithResponse(ctx, novaTwitch, restreamapi.ChannelUpdate{Active: false})
	saved := h.state()

	h.do("POST", "/__mock/reset", "", "", nil)
	status, _, body := h.do("PUT", "/__mock/state", "", "application/json", []byte(saved))
	if status != 204 {
		t.Fatalf("import: %d %s", status, body)
	}
	if h.state() != saved {
		t.Fatal("export after import differs from what was imported")
	}
	got, _ := c.GetChannelWithResponse(ctx, novaTwitch)
	if got.JSON200.Active {
		t.Fatal("the imported world is not the one served")
	}

	t.Run("an inconsistent world is refused and changes nothing", func(t *testing.T) {
		var w map[string]any
		if err := json.Unmarshal([]byte(saved), &w); err != nil {
			t.Fatal(err)
		}
		users := w["users"].([]any)
		users = append(users, users[0]) // the same user twice
		w["users"] = users
		status, _, body := h.do("PUT", "/__mock/state", "", "application/json", mustJSON(t, w))
		wantError(t, status, body, 400, "invalid_body_params", "2046371")
		if h.state() != saved {
			t.Fatal("a refused import changed the world")
		}
	})
	t.Run("a misspelt field is refused", func(t *testing.T) {
		doc := strings.Replace(saved, `"ingestId"`, `"ingestIdentifier"`, 1)
		status, _, body := h.do("PUT", "/__mock/state", "", "application/json", []byte(doc))
		wantError(t, status, body, 400, "invalid_body_params", "ingestIdentifier")
	})
	t.Run("dropping a user kills their tokens", func(t *testing.T) {
		tok := h.token(quiet)
		var w map[string]any
		json.Unmarshal([]byte(saved), &w)
		var kept []any
		for _, u := range w["users"].([]any) {
			if int64(u.(map[string]any)["profile"].(map[string]any)["id"].(float64)) != quiet {
				kept = append(kept, u)
			}
		}
		w["users"] = kept
		if status, _, body := h.do("PUT", "/__mock/state", "", "application/json", mustJSON(t, w)); status != 204 {
			t.Fatalf("import: %d %s", status, body)
		}
		status, _, body := h.do("GET", "/v2/user/profile", tok, "", nil)
		wantError(t, status, body, 401, "invalid_token")
	})
}

func TestTheJournalIsBoundedAndRedacted(t *testing.T) {
	h := newHarness(t, mock.Options{JournalSize: 5})
	tok := h.token(nova)
	for i := 0; i < 8; i++ {
		h.do("GET", "/v2/user/profile", tok, "", nil)
	}
	h.do("POST", "/oauth/token", "", "application/x-www-form-urlencoded",
		[]byte("grant_type=refresh_token&refresh_token=secretrefresh&client_id=restreamkit-dev&client_secret=restreamkit-dev-secret"))
	h.do("GET", "/v2/user/profile?accessToken="+tok, "", "", nil)
	status, _, body := h.do("GET", "/__mock/journal", "", "", nil)
	if status != 200 {
		t.Fatal(status)
	}
	var j controlapi.Journal
	if err := json.Unmarshal(body, &j); err != nil {
		t.Fatal(err)
	}
	if len(j.Entries) != 5 || j.Capacity != 5 || j.Dropped < 5 {
		t.Fatalf("want the 5 newest entries and the rest counted as dropped, got %d entries, %d dropped", len(j.Entries), j.Dropped)
	}
	for _, secret := range []string{tok, "secretrefresh", "restreamkit-dev-secret"} {
		if strings.Contains(string(body), secret) {
			t.Fatalf("the journal shows a secret in clear: %s", body)
		}
	}
	last := j.Entries[len(j.Entries)-1]
	if last.Path != "/v2/user/profile" || last.Status != 401 || !strings.Contains(last.Query, "REDACTED") {
		t.Fatalf("the newest entry is %+v", last)
	}
	token := j.Entries[len(j.Entries)-2]
	if token.OperationId != "refreshToken" || token.RequestBody == nil || !strings.Contains(*token.RequestBody, "grant_type=refresh_token") {
		t.Fatalf("the token request entry is %+v", token)
	}
	if h := j.Entries[0].Headers; h == nil || !strings.HasPrefix((*h)["Authorization"], "Bearer [REDACTED:") {
		t.Fatalf("the journal must keep headers with credentials redacted, got %v", h)
	}
	profile := j.Entries[0]
	if profile.UserId == nil || *profile.UserId != nova || profile.OperationId != "getUserProfile" {
		t.Fatalf("an authenticated entry must name its user and operation: %+v", profile)
	}
	control := controlapi.Control
	limited, _ := h.ctl.GetJournalWithResponse(context.Background(), &controlapi.GetJournalParams{Limit: ptrInt(2), Include: &control})
	// The first journal read was recorded after it was answered, so it is now the newest entry.
	if e := limited.JSON200.Entries; len(e) != 2 || e[0].Id != last.Id || e[1].OperationId != "getJournal" {
		t.Fatalf("limit must keep the newest entries, got %+v", limited.JSON200.Entries)
	}
	h.ctl.ClearJournalWithResponse(context.Background())
	cleared, _ := h.ctl.GetJournalWithResponse(context.Background(), &controlapi.GetJournalParams{Include: &control})
	// The journal request itself is recorded only after it is answered.
	if len(cleared.JSON200.Entries) != 1 || cleared.JSON200.Entries[0].OperationId != "clearJournal" {
		t.Fatalf("after clearing, only the clear request remains, got %+v", cleared.JSON200.Entries)
	}
}

func ptrInt(n int) *int { return &n }

func TestSettingsSwitchAutoApprove(t *testing.T) {
	h := newHarness(t, mock.Options{})
	ctx := context.Background()
	on := true
	r, err := h.ctl.UpdateSettingsWithResponse(ctx, controlapi.SettingsUpdate{AutoApprove: &on})
	if err != nil || !r.JSON200.AutoApprove {
		t.Fatal(err, r)
	}
	res, err := noRedirect.Get(devConfig(h.url).AuthCodeURL("s"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 302 {
		t.Fatalf("with auto-approve on the dialog must redirect, got %d", res.StatusCode)
	}
	users, _ := h.ctl.ListMockUsersWithResponse(ctx)
	if users.JSON200.DefaultUser != nova || len(users.JSON200.Users) != 3 {
		t.Fatalf("users: %+v", users.JSON200)
	}
}

func TestTokensCanBeMintedAndRevokedInBulk(t *testing.T) {
	h := newHarness(t, mock.Options{})
	ctx := context.Background()
	bad := []struct {
		name string
		body controlapi.IssueTokenJSONRequestBody
		want int
	}{
		{"an unknown user", controlapi.IssueTokenJSONRequestBody{UserId: 42}, 404},
		{"an unknown client", controlapi.IssueTokenJSONRequestBody{UserId: nova, ClientId: strPtr("nope")}, 404},
		{"an unknown scope", controlapi.IssueTokenJSONRequestBody{UserId: nova, Scopes: &[]string{"everything"}}, 400},
	}
	for _, tc := range bad {
		r, err := h.ctl.IssueTokenWithResponse(ctx, tc.body)
		if err != nil || r.StatusCode() != tc.want {
			t.Fatalf("%s: %v %d", tc.name, err, r.StatusCode())
		}
	}
	tok := h.token(techtalks)
	r, _ := h.ctl.RevokeAllTokensWithResponse(ctx)
	if r.StatusCode() != 204 {
		t.Fatal(r.StatusCode())
	}
	status, _, body := h.do("GET", "/v2/user/profile", tok, "", nil)
	wantError(t, status, body, 401, "invalid_token")
}

func strPtr(s string) *string { return &s }

// TestResetRestoresTheStartUpSettings proves a reset puts autoApprove back to what the mock started
// with (Options.AutoApprove, the --auto-approve flag), whichever way a test switched it, so a
// setting cannot leak from one test into the next.
func TestResetRestoresTheStartUpSettings(t *testing.T) {
	for _, tc := range []struct {
		name           string
		startUp, patch bool
	}{
		{"a reset turns off the auto-approve a test turned on", false, true},
		{"a reset turns back on the auto-approve the flag gave and a test turned off", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, mock.Options{AutoApprove: tc.startUp})
			ctx := context.Background()
			if r, err := h.ctl.UpdateSettingsWithResponse(ctx, controlapi.SettingsUpdate{AutoApprove: &tc.patch}); err != nil || r.JSON200 == nil || r.JSON200.AutoApprove != tc.patch {
				t.Fatalf("switching autoApprove to %v: %v %v", tc.patch, err, r)
			}
			if r, err := h.ctl.ResetMockWithResponse(ctx); err != nil || r.StatusCode() != 204 {
				t.Fatal(err, r.StatusCode())
			}
			got, err := h.ctl.GetSettingsWithResponse(ctx)
			if err != nil || got.JSON200 == nil {
				t.Fatal(err, got)
			}
			if got.JSON200.AutoApprove != tc.startUp {
				t.Fatalf("autoApprove after a reset = %v, want the start-up %v", got.JSON200.AutoApprove, tc.startUp)
			}
		})
	}
}
