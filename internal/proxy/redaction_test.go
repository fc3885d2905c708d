package proxy_test

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/proxy"
)

// TestSecretsNeverLeaveInClear drives violations that carry secrets in every place the proxy
// reports from — JSON lines, JUnit, the summary, logs and refusal envelopes — and checks that no
// secret appears in any of them.
func TestSecretsNeverLeaveInClear(t *testing.T) {
	const (
		token      = "5e1f00d5c0ffee5e1f00d5c0ffee5e1f00d5c0ff"
		passphrase = "re_2046371_pp9"
		secret     = "s3cr3t-client-value-42"
		code       = "c0dec0dec0dec0dec0dec0dec0dec0dec0dec0de"
		cookie     = "sid=c00k1ec00k1ec00k1e"
		apiKey     = "ak_live_0123456789abcdef"
		proxyAuth  = "cHJveHk6cGFzc3dvcmQ0Mg"
		tokenA     = "aaaa1111bbbb2222cccc"
		tokenB     = "dddd3333eeee4444ffff"
	)
	for _, mode := range []proxy.Mode{proxy.Report, proxy.Enforce} {
		t.Run(string(mode), func(t *testing.T) {
			dir := t.TempDir()
			up := newBrokenUpstream(t)
			up.answer.Store(&canned{200, "application/json",
				`{"streamKey":"","srtUrl":"rtmp://live.restream.io?passphrase=` + passphrase + `","accessToken":"` + token + `"}`})
			var logs, summary bytes.Buffer
			opts := proxy.Options{Upstream: mustURL(t, up.url), RequestMode: mode, ResponseMode: mode,
				Report: dir + "/r.jsonl", JUnit: dir + "/j.xml", Summary: &summary, AddViolationsHeader: true,
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
			p, err := proxy.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(p.Handler())
			var answers strings.Builder
			collect := func(method, path, ctype, body, auth string) {
				_, b := send(t, ts.URL, method, path, ctype, body, auth)
				answers.Write(b)
			}
			collect("GET", "/v2/user/streamKey?accessToken="+token, "", "", "Bearer "+token)
			collect("POST", "/oauth/token", "application/x-www-form-urlencoded",
				"grant_type=authorization_code&code="+code+"&client_secret="+secret+"&refresh_token="+token+"&extra=1", "Basic "+secret)
			collect("POST", "/oauth/token", "application/x-www-form-urlencoded", "grant_type=password&client_secret="+secret, "")
			collect("POST", "/v2/user/channels", "application/json",
				`{"platformId":"29","streamKey":"`+passphrase+`","rtmpPassword":"`+secret+`"}`, "Bearer "+token)
			collect("GET", "/v2/user/nothing?code="+code+"&accessToken="+token, "", "", "Bearer "+token)
			// Credentials under header names, in the query where the spec has no place for them.
			collect("GET", "/v2/user/profile?Cookie="+url.QueryEscape(cookie)+"&X-Api-Key="+apiKey+
				"&Proxy-Authorization=Basic%20"+proxyAuth, "", "", "Bearer "+token)
			// Two credentials in one message (and pointer): a property named after them, after a
			// Kelvin sign (three bytes, one once lower-cased).
			collect("PATCH", "/v2/user/channel/1", "application/json", `{"\u212a Bearer `+tokenA+` Bearer `+tokenB+`":true}`, "Bearer "+token)
			// A broken form pair is quoted whole.
			collect("POST", "/oauth/token", "application/x-www-form-urlencoded", "client_secret="+secret+"%zz&grant_type=refresh_token", "")
			// A response body where none is documented is quoted.
			for _, body := range []string{`{"accessToken":"` + token + `"}`, "refresh_token=" + token + "&x=1"} {
				up.answer.Store(&canned{200, "application/json", body})
				collect("PATCH", "/v2/user/channel/1", "application/json", `{"active":true}`, "Bearer "+token)
			}
			_, metrics := send(t, ts.URL, "GET", "/__proxy/metrics", "", "", "")
			ts.Close()
			if err := p.Close(t.Context()); err != nil {
				t.Fatal(err)
			}
			if p.Violations() < 10 {
				t.Fatalf("the scenario must produce violations to be meaningful, got %d", p.Violations())
			}
			outputs := map[string]string{
				"report": readFile(t, dir+"/r.jsonl"), "junit": readFile(t, dir+"/j.xml"),
				"summary": summary.String(), "logs": logs.String(), "metrics": string(metrics),
			}
			if mode == proxy.Enforce { // every answer is then the proxy's own refusal, not the upstream's body
				outputs["refusals"] = answers.String()
			}
			for name, out := range outputs {
				for _, s := range []string{token, passphrase, secret, code, cookie, apiKey, proxyAuth, tokenA, tokenB} {
					// Any 10 characters of a secret count as a leak: reports shorten long values.
					if strings.Contains(out, s[:10]) || strings.Contains(out, s[len(s)-10:]) {
						t.Errorf("the %s shows a secret in clear (%s...):\n%s", name, s[:8], out)
					}
				}
			}
			if !strings.Contains(outputs["report"], "REDACTED") {
				t.Fatalf("the report should show redacted values:\n%s", outputs["report"])
			}
		})
	}
}
