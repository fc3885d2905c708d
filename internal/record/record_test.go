package record

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/fixtures"
)

func TestStandInsKeepTheShapeAndTheOwnerAndAreTheSameForTheSameValue(t *testing.T) {
	ps := pseudonyms{salt: []byte("salt one")}
	other := pseudonyms{salt: []byte("salt two")}
	tests := []struct {
		name, key, value string
		shape            *regexp.Regexp
	}{
		{"a stream key keeps its user", "streamKey", "re_2046371_189459c7825e1561f401", regexp.MustCompile(`^re_2046371_[0-9a-f]{20}$`)},
		{"a token stays 40 hex digits", "access_token", "9614c1f0e1b2a3d4c5b6a7980112233445566778", regexp.MustCompile(`^[0-9a-f]{40}$`)},
		{"an e-mail address becomes one of example.com", "email", "nova.plays@example.com", regexp.MustCompile(`^user-[0-9a-f]{10}@example\.com$`)},
		{"an SRT URL keeps its parameters in order and its stream id", "srtUrl",
			"srt://live.restream.io:2010?streamid=srt_2046371_e8f11f75_c848d4e79383&passphrase=re_2046371_189459c7825e1561f401",
			regexp.MustCompile(`^srt://live\.restream\.io:2010\?streamid=srt_2046371_e8f11f75_c848d4e79383&passphrase=re_2046371_[0-9a-f]{20}$`)},
		{"a URL's secret query value is replaced, the rest kept", "webchatUrl",
			"https://chat.restream.io/embed?token=9e0f3a52-4c1b-4d8e-a2f7-6b5c3d1e0a94",
			regexp.MustCompile(`^https://chat\.restream\.io/embed\?token=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ps.value(tt.key, tt.value).(string)
			if got == tt.value || !tt.shape.MatchString(got) {
				t.Fatalf("%q became %q", tt.value, got)
			}
			if again := ps.value(tt.key, tt.value); again != got {
				t.Errorf("the same value got two stand-ins: %q, %q", got, again)
			}
			if elsewhere := other.value(tt.key, tt.value); elsewhere == got {
				t.Errorf("another salt gave the same stand-in %q", got)
			}
		})
	}
	// Ordinary values stay.
	for key, v := range map[string]string{"displayName": "Nova Plays", "url": "https://www.twitch.tv/nova_plays", "id": "5120001"} {
		if got := ps.value(key, v); got != v {
			t.Errorf("%s %q became %q", key, v, got)
		}
	}
	// The passphrase of an SRT key and the stream key it is are replaced alike.
	body := ps.body([]byte(`{"streamKey":"re_1_aaaaaaaaaaaaaaaa","passPhrase":"re_1_aaaaaaaaaaaaaaaa","url":"srt://h:1?streamid=srt_1_x&passphrase=re_1_aaaaaaaaaaaaaaaa"}`))
	var k struct{ StreamKey, PassPhrase, URL string }
	if err := json.Unmarshal(body, &k); err != nil {
		t.Fatal(err)
	}
	if k.StreamKey != k.PassPhrase || !strings.HasSuffix(k.URL, "&passphrase="+k.StreamKey) || k.StreamKey == "re_1_aaaaaaaaaaaaaaaa" {
		t.Errorf("the key was replaced differently in its three places: %s", body)
	}
}

// profile and channels are exchanges of a user's token.
func profile(token string, id int64) Exchange {
	return Exchange{OperationID: "getUserProfile", UserToken: token, Method: "GET", Path: "/v2/user/profile", Status: 200,
		ResponseContentType: "application/json",
		ResponseBody:        []byte(`{"id":` + itoa(id) + `,"username":"u` + itoa(id) + `","email":"u` + itoa(id) + `@example.org"}`)}
}

func channels(token string, ids ...int64) Exchange {
	var items []string
	for _, id := range ids {
		items = append(items, `{"id":`+itoa(id)+`,"streamingPlatformId":5,"embedUrl":"https://www.youtube.com/embed/live_stream?channel=x","url":"https://www.youtube.com/channel/x","identifier":"x","displayName":"X","active":true}`)
	}
	return Exchange{OperationID: "listChannels", UserToken: token, Method: "GET", Path: "/v2/user/channel/all", Status: 200,
		ResponseContentType: "application/json", ResponseBody: []byte("[" + strings.Join(items, ",") + "]")}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestRunsIntoOneDirectoryAddUpAndTheSameCallIsReplaced(t *testing.T) {
	dir := t.TempDir()
	run := func(xs ...Exchange) Summary {
		t.Helper()
		r, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range xs {
			r.Add(x)
		}
		sum, err := r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.Problems)+len(sum.LeftOut) != 0 {
			t.Fatalf("the recording breaks rules: %+v", sum)
		}
		return sum
	}
	run(profile("token-a", 901), channels("token-a", 9010001))
	// A token is known by its getUserProfile answer in each run: tokens are never kept.
	sum := run(profile("token-b", 902), channels("token-b", 9020001), profile("token-a", 901), channels("token-a", 9010001, 9010002))
	if sum.Examples != 4 {
		t.Fatalf("want 4 examples (two users' profiles and channel lists), got %d", sum.Examples)
	}
	seed, err := fixtures.Overlay(os.DirFS(dir), dir)
	if err != nil {
		t.Fatal(err)
	}
	count := map[int64]int{}
	for _, u := range seed.World.Users {
		count[u.Profile.Id] = len(u.Channels)
	}
	if count[901] != 2 || count[902] != 1 {
		t.Errorf("user 901 has %d channels (want the later answer's 2), user 902 %d (want 1)", count[901], count[902])
	}
}

func TestWhatCannotBeRecordedIsCountedWithTheReason(t *testing.T) {
	r, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r.Add(Exchange{OperationID: "refreshToken", Method: "POST", Path: "/oauth/token", Status: 200})
	r.Add(channels("token-without-profile", 9030001))
	r.Add(Exchange{OperationID: "listPlatforms", Method: "GET", Path: "/v2/platform/all", Status: 503})
	sum, err := r.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"an OAuth endpoint", "getUserProfile answer was not seen", "5xx"} {
		found := false
		for why, n := range sum.Skipped {
			found = found || (strings.Contains(why, want) && n == 1)
		}
		if !found {
			t.Errorf("no reason mentions %q once: %v", want, sum.Skipped)
		}
	}
	if sum.Examples != 0 {
		t.Errorf("%d examples were written", sum.Examples)
	}
}

func TestAnAnswerThatContradictsTheRestIsLeftOutAndSaid(t *testing.T) {
	dir := t.TempDir()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	r.Add(profile("token-a", 901))
	r.Add(channels("token-a", 9010001))
	// Read after the channel was renamed: it differs from the list read before.
	r.Add(Exchange{OperationID: "getChannel", UserToken: "token-a", Method: "GET", Path: "/v2/user/channel/9010001", Status: 200,
		ResponseContentType: "application/json",
		ResponseBody:        []byte(`{"id":9010001,"streamingPlatformId":5,"embedUrl":"https://www.youtube.com/embed/live_stream?channel=x","url":"https://www.youtube.com/channel/x","identifier":"x","displayName":"Renamed","active":true}`)})
	sum, err := r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.LeftOut) != 1 || !strings.Contains(sum.LeftOut[0], "getChannel GET /v2/user/channel/9010001 (user 901): channel 9010001 differs from its listChannels item") {
		t.Fatalf("left out: %q", sum.LeftOut)
	}
	if sum.Examples != 2 || len(sum.Problems) != 0 {
		t.Errorf("want the two consistent examples and no problem left, got %+v", sum)
	}
	if _, err := fixtures.Overlay(os.DirFS(dir), dir); err != nil {
		t.Errorf("the written directory does not load: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "operations", "getChannel.json")); !os.IsNotExist(err) {
		t.Errorf("a file with no example left was written: %v", err)
	}
}

func TestARecordingHoldsAtMostMaxExamples(t *testing.T) {
	r, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i := range MaxExamples + 1 {
		r.Add(Exchange{OperationID: "getChannel", UserToken: "t", Method: "GET", Path: "/v2/user/channel/" + itoa(int64(i)), Status: 404,
			ResponseContentType: "application/json", ResponseBody: []byte(`{}`)})
	}
	if n := len(r.examples); n != MaxExamples {
		t.Fatalf("%d examples kept", n)
	}
	if r.skipped["past the 10000 examples a recording holds"] != 1 {
		t.Fatalf("the one past the cap is not counted: %v", r.skipped)
	}
	// The same call again replaces its example rather than counting as one more.
	r.Add(Exchange{OperationID: "getChannel", UserToken: "t", Method: "GET", Path: "/v2/user/channel/0", Status: 404,
		ResponseContentType: "application/json", ResponseBody: []byte(`{}`)})
	if r.skipped["past the 10000 examples a recording holds"] != 1 {
		t.Fatalf("a replacement was refused: %v", r.skipped)
	}
}

func FuzzStandInsKeepJSONValidAndStable(f *testing.F) {
	for _, seed := range []string{
		`{"streamKey":"re_1_abcdef0123456789","email":"a@b.c","srtUrl":"srt://h:1?streamid=srt_1_x&passphrase=re_1_abc"}`,
		`[{"token":"x"},{"webchatUrl":"https://x/y?token=1&z=2"}]`, `"plain"`, `{"code":["a","b"]}`, `{}`, `not json`,
	} {
		f.Add([]byte(seed))
	}
	ps := pseudonyms{salt: []byte("fuzz")}
	f.Fuzz(func(t *testing.T, body []byte) {
		out := ps.body(body)
		if out == nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("%q became invalid JSON %q", body, out)
		}
		if again := ps.body(body); string(again) != string(out) {
			t.Fatalf("two stand-ins for %q: %q, %q", body, out, again)
		}
	})
}
