package mock_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/state"
)

// A user added at run time signs in and sees exactly what the test gave them.
func TestAnAddedUserGetsATokenAndSeesTheirProfileAndChannels(t *testing.T) {
	h := newHarness(t, mock.Options{})
	status, _, body := h.do("POST", "/__mock/users", "", "application/json", []byte(`{
		"id": 777, "username": "newbie", "email": "newbie@example.org",
		"channels": [
			{"streamingPlatformId": 1, "displayName": "Newbie on Twitch", "identifier": "newbie_tv",
			 "url": "https://www.twitch.tv/newbie_tv", "embedUrl": "https://player.twitch.tv/?channel=newbie_tv"},
			{"streamingPlatformId": 5, "displayName": "Newbie on YouTube", "active": false}
		]}`))
	if status != 201 {
		t.Fatalf("adding the user: %d %s", status, body)
	}
	tok := h.token(777)
	c := h.client(tok)
	prof, err := c.GetUserProfileWithResponse(context.Background())
	if err != nil || prof.JSON200 == nil {
		t.Fatalf("profile: %v %s", err, prof.Body)
	}
	if want := (restreamapi.Profile{Id: 777, Username: "newbie", Email: "newbie@example.org"}); *prof.JSON200 != want {
		t.Fatalf("profile %+v, want %+v", *prof.JSON200, want)
	}
	chs, err := c.ListChannelsWithResponse(context.Background())
	if err != nil || chs.JSON200 == nil {
		t.Fatalf("channels: %v %s", err, chs.Body)
	}
	got := *chs.JSON200
	if len(got) != 2 || got[0].Id == got[1].Id {
		t.Fatalf("channels %+v, want two with ids of their own", got)
	}
	want := []restreamapi.Channel{
		{Id: got[0].Id, StreamingPlatformId: 1, DisplayName: "Newbie on Twitch", Identifier: "newbie_tv", Active: true,
			Url: "https://www.twitch.tv/newbie_tv", EmbedUrl: "https://player.twitch.tv/?channel=newbie_tv"},
		{Id: got[1].Id, StreamingPlatformId: 5, DisplayName: "Newbie on YouTube", Identifier: "Newbie on YouTube"},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("channel %d is %+v, want %+v", i, got[i], want[i])
		}
	}
	users, err := h.ctl.ListMockUsersWithResponse(context.Background())
	if err != nil || users.JSON200 == nil {
		t.Fatalf("users: %v", err)
	}
	last := users.JSON200.Users[len(users.JSON200.Users)-1]
	if last.Id != 777 || last.Username != "newbie" {
		t.Fatalf("the sign-in accounts end with %+v, want the new user", last)
	}
}

// Without an id, the user gets the next one; without an e-mail, one made from the username.
func TestAnAddedUserWithoutIdGetsTheNextOne(t *testing.T) {
	h := newHarness(t, mock.Options{})
	var top int64
	for _, id := range []int64{nova, techtalks, quiet} {
		top = max(top, id)
	}
	status, _, body := h.do("POST", "/__mock/users", "", "application/json", []byte(`{"username":"solo"}`))
	if want := fmt.Sprintf(`{"email":"solo@example.com","id":%d,"username":"solo"}`, top+1); status != 201 || strings.TrimSpace(string(body)) != want {
		t.Fatalf("got %d %s, want 201 %s", status, body, want)
	}
	status, _, body = h.do("GET", "/v2/user/channel/all", h.token(top+1), "", nil)
	if status != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Fatalf("channels: %d %s, want none", status, body)
	}
}

// A refused user is a 4xx that names what is wrong, and the world stays as it was.
func TestARefusedUserNamesTheFieldAndChangesNothing(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantText   string
	}{
		{"without a username", `{"channels":[]}`, 400, "username"},
		{"with an empty username", `{"username":""}`, 400, "username"},
		{"with a username of spaces", `{"username":"a b"}`, 400, "username"},
		{"with a username too long", `{"username":"` + strings.Repeat("a", 65) + `"}`, 400, "username"},
		{"with an e-mail that is not one", `{"username":"x","email":"nope"}`, 400, "email"},
		{"with id 0", `{"id":0,"username":"x"}`, 400, "id"},
		{"with an id past 2^53-1", `{"id":9007199254740992,"username":"x"}`, 400, "id"},
		{"with an unknown field", `{"username":"x","nickname":"y"}`, 400, "nickname"},
		{"with a channel of an unknown platform", `{"username":"x","channels":[{"streamingPlatformId":99999,"displayName":"c"}]}`, 400, "streamingPlatformId"},
		{"with a channel without a name", `{"username":"x","channels":[{"streamingPlatformId":1}]}`, 400, "displayName"},
		{"with a channel name too long", `{"username":"x","channels":[{"streamingPlatformId":1,"displayName":"` + strings.Repeat("c", 257) + `"}]}`, 400, "displayName"},
		{"with too many channels", `{"username":"x","channels":[` + strings.TrimSuffix(strings.Repeat(`{"streamingPlatformId":1,"displayName":"c"},`, 51), ",") + `]}`, 400, "channels"},
		{"with a stream key with spaces", `{"username":"x","streamKey":"a b"}`, 400, "streamKey"},
		{"with the id of a fixture user", fmt.Sprintf(`{"id":%d,"username":"x"}`, nova), 409, "exists"},
		{"with the username of a fixture user", `{"username":"nova_plays"}`, 409, "taken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, mock.Options{})
			before := h.state()
			status, _, body := h.do("POST", "/__mock/users", "", "application/json", []byte(tt.body))
			if status != tt.wantStatus || !strings.Contains(string(body), tt.wantText) {
				t.Fatalf("got %d %s, want %d naming %q", status, body, tt.wantStatus, tt.wantText)
			}
			if h.state() != before {
				t.Fatal("a refused user changed the world")
			}
		})
	}
}

// The mock holds at most state.MaxUsers users; the one past it is a 409.
func TestTheUserPastTheCapIsRefused(t *testing.T) {
	h := newHarness(t, mock.Options{})
	users, _ := h.ctl.ListMockUsersWithResponse(context.Background())
	for i := len(users.JSON200.Users); i < state.MaxUsers; i++ {
		status, _, body := h.do("POST", "/__mock/users", "", "application/json", fmt.Appendf(nil, `{"username":"u%d"}`, i))
		if status != 201 {
			t.Fatalf("user %d: %d %s", i, status, body)
		}
	}
	before := h.state()
	status, _, body := h.do("POST", "/__mock/users", "", "application/json", []byte(`{"username":"one-too-many"}`))
	if status != 409 || !strings.Contains(string(body), "user_limit_reached") {
		t.Fatalf("got %d %s, want 409 user_limit_reached", status, body)
	}
	if h.state() != before {
		t.Fatal("the refused user changed the world")
	}
}

// An added user is part of the exported world, and a reset goes back to the fixtures: the
// user is gone and their token stops working.
func TestAnAddedUserIsExportedAndGoneAfterAReset(t *testing.T) {
	h := newHarness(t, mock.Options{})
	if status, _, body := h.do("POST", "/__mock/users", "", "application/json", []byte(`{"id":4242,"username":"temp"}`)); status != 201 {
		t.Fatalf("adding: %d %s", status, body)
	}
	tok := h.token(4242)
	if !strings.Contains(h.state(), `"username":"temp"`) {
		t.Fatal("the exported world lacks the added user")
	}
	if status, _, body := h.do("POST", "/__mock/reset", "", "", nil); status != 204 {
		t.Fatalf("reset: %d %s", status, body)
	}
	if strings.Contains(h.state(), `"username":"temp"`) {
		t.Fatal("the added user outlived the reset")
	}
	if status, _, _ := h.do("GET", "/v2/user/profile", tok, "", nil); status != 401 {
		t.Fatalf("the added user's token answered %d after the reset, want 401", status)
	}
}
