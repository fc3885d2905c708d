package proxy_test

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
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
			ts.Close()
			if err := p.Close(t.Context()); err != nil {
				t.Fatal(err)
			}
			if p.Violations() < 5 {
				t.Fatalf("the scenario must produce violations to be meaningful, got %d", p.Violations())
			}
			outputs := map[string]string{
				"report": readFile(t, dir+"/r.jsonl"), "junit": readFile(t, dir+"/j.xml"),
				"summary": summary.String(), "logs": logs.String(),
			}
			if mode == proxy.Enforce { // every answer is then the proxy's own refusal, not the upstream's body
				outputs["refusals"] = answers.String()
			}
			for name, out := range outputs {
				for _, s := range []string{token, passphrase, secret, code} {
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
