package state_test

import (
	"regexp"
	"testing"

	"github.com/restreamkit/restreamkit/internal/clock"
	"github.com/restreamkit/restreamkit/internal/state"
)

var (
	madeUpKey  = regexp.MustCompile(`^re_77_[0-9a-f]{32}$`)
	madeUpChat = regexp.MustCompile(`^https://chat\.restream\.io/embed\?token=[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

func TestAUserAddedWithoutAKeyGetsTheSameMadeUpKeyAndChatInEveryRun(t *testing.T) {
	add := func() (string, string) {
		st, err := state.New(fixtureWorld(t), clock.New())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddUser(state.NewUser{ID: 77, Username: "seventy_seven"}); err != nil {
			t.Fatal(err)
		}
		key, err := st.StreamKey(77)
		if err != nil {
			t.Fatal(err)
		}
		chat, err := st.WebchatURL(77)
		if err != nil {
			t.Fatal(err)
		}
		return key.StreamKey, chat
	}
	key, chat := add()
	if !madeUpKey.MatchString(key) || !madeUpChat.MatchString(chat) {
		t.Fatalf("made up: a key of the shape re_77_<32 hex> %t, a chat URL with a v4 UUID %q", madeUpKey.MatchString(key), chat)
	}
	if key != state.MadeUpStreamKey(77) || chat != state.MadeUpWebchatURL(77) {
		t.Error("the store made up other values than the fixtures would")
	}
	if key2, chat2 := add(); key2 != key || chat2 != chat {
		t.Error("a second run made up other values")
	}
}
