package proxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/proxy"
	"github.com/restreamkit/restreamkit/restreamtest"
)

// recordedCall is one call of the recorded run: who makes it (0: nobody, a public operation).
type recordedCall struct {
	user int64
	path string
}

// theRun is what the client does in the recorded run: reads of three users' worlds, public
// lists, and a call answered 404.
var theRun = []recordedCall{
	{restreamtest.Nova, "/v2/user/profile"},
	{restreamtest.Nova, "/v2/user/channel/all"},
	{restreamtest.Nova, "/v2/user/channel/5120001"},
	{restreamtest.Nova, "/v2/user/channel-meta/5120001"},
	{restreamtest.Nova, "/v2/user/streamKey"},
	{restreamtest.Nova, "/v2/user/webchat/url"},
	{restreamtest.Nova, "/v2/user/ingest"},
	{restreamtest.Nova, "/v2/user/events/upcoming"},
	{restreamtest.Nova, "/v2/user/events/in-progress"},
	{restreamtest.Nova, "/v2/user/channel/6230011"}, // techtalks_daily's: 404
	{restreamtest.QuietNewcomer, "/v2/user/profile"},
	{restreamtest.QuietNewcomer, "/v2/user/channel/all"},
	{restreamtest.QuietNewcomer, "/v2/user/streamKey"},
	{0, "/v2/platform/all"},
	{0, "/v2/server/all"},
}

// play makes the calls of theRun against base, with tokens from token, and returns the answers.
func play(t *testing.T, base string, token func(int64) string) []string {
	t.Helper()
	var out []string
	for _, c := range theRun {
		req, _ := http.NewRequest("GET", base+c.path, nil)
		if c.user != 0 {
			req.Header.Set("Authorization", "Bearer "+token(c.user))
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		out = append(out, res.Status+" "+masked(t, body))
	}
	return out
}

// masked returns a JSON body in canonical form, with the values a recording replaces (secrets
// and e-mail addresses) masked, so that two answers compare on everything else.
func masked(t *testing.T, body []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	var mask func(v any) any
	mask = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				switch k {
				case "email", "streamKey", "srtUrl", "webchatUrl":
					v[k] = "*"
				default:
					v[k] = mask(x)
				}
			}
		case []any:
			for i, x := range v {
				v[i] = mask(x)
			}
		}
		return v
	}
	out, _ := json.Marshal(mask(v))
	return string(out)
}

func TestARecordingServedByTheMockGivesTheSameAnswers(t *testing.T) {
	rs := restreamtest.NewServer(t)
	dir := filepath.Join(t.TempDir(), "recorded")
	var summary bytes.Buffer
	p, err := proxy.New(proxy.Options{Upstream: mustURL(t, rs.URL), Record: dir, Summary: &summary})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(p.Handler())
	first := play(t, ts.URL, rs.Token)
	ts.Close()
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(summary.String(), "recording: 15 examples in ") {
		t.Fatalf("the summary does not count the 15 calls:\n%s", summary.String())
	}

	// The mock restarted on the recording answers the same calls the same way.
	replay := restreamtest.NewServer(t, restreamtest.WithFixturesDir(dir))
	second := play(t, replay.URL, replay.Token)
	for i := range theRun {
		if first[i] != second[i] {
			t.Errorf("%s as %d:\nrecorded %s\nreplayed %s", theRun[i].path, theRun[i].user, first[i], second[i])
		}
	}

	// Secrets and e-mail addresses stayed out of the files, replaced the same way everywhere.
	var files strings.Builder
	entries, _ := os.ReadDir(filepath.Join(dir, "operations"))
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(dir, "operations", e.Name()))
		files.Write(data)
	}
	novaKey := originalStreamKey(t, rs)
	for _, secret := range []string{novaKey, "nova.plays@example.com"} {
		if strings.Contains(files.String(), secret) {
			t.Errorf("the recording holds %.12s...", secret)
		}
	}
	_, body := replayGet(t, replay.URL+"/v2/user/streamKey", replay.Token(restreamtest.Nova))
	var key struct {
		StreamKey string `json:"streamKey"`
		SrtURL    string `json:"srtUrl"`
	}
	json.Unmarshal(body, &key)
	if !strings.HasPrefix(key.StreamKey, "re_2046371_") || key.StreamKey == novaKey || !strings.HasSuffix(key.SrtURL, "&passphrase="+key.StreamKey) {
		t.Errorf("the stand-in key %q is not a key of nova_plays used in her SRT URL %q", key.StreamKey, key.SrtURL)
	}
}

// originalStreamKey returns nova_plays's stream key as the mock serves it.
func originalStreamKey(t *testing.T, rs *restreamtest.Server) string {
	t.Helper()
	_, body := replayGet(t, rs.URL+"/v2/user/streamKey", rs.Token(restreamtest.Nova))
	var key struct {
		StreamKey string `json:"streamKey"`
	}
	if err := json.Unmarshal(body, &key); err != nil || key.StreamKey == "" {
		t.Fatalf("no stream key: %s", body)
	}
	return key.StreamKey
}

func replayGet(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, body
}
