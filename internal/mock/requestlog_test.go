package mock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/restreamkit/restreamkit/internal/oauth"
)

// logLines is an io.Writer for a slog JSON handler that hands each record's line to the test.
type logLines chan []byte

func (l logLines) Write(p []byte) (int, error) {
	l <- bytes.Clone(p)
	return len(p), nil
}

// next returns the next line whose message is msg, decoded, and the raw line; it fails t when none
// comes within waitLimit (a deadline for a failure, not a timing assertion).
func (l logLines) next(t *testing.T, msg string) (map[string]any, string) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case line := <-l:
			var rec map[string]any
			if err := json.Unmarshal(line, &rec); err != nil {
				t.Fatalf("a log line is not JSON: %s", line)
			}
			if rec["msg"] == msg {
				return rec, string(line)
			}
		case <-deadline:
			t.Fatalf("no %q line was logged", msg)
		}
	}
}

// newLoggedHarness starts a mock whose log, at level, goes to the returned lines as JSON.
func newLoggedHarness(t *testing.T, level slog.Level) (*harness, logLines) {
	t.Helper()
	lines := make(logLines, 1000)
	opts := liveOptions()
	opts.Logger = slog.New(slog.NewJSONHandler(lines, &slog.HandlerOptions{Level: level}))
	return newHarness(t, opts), lines
}

// mint issues a token without the control API, so that the only log lines are the test's.
func mint(t *testing.T, h *harness) string {
	t.Helper()
	p, err := h.srv.OAuth().Issue(nova, devClient, oauth.AllScopes)
	if err != nil {
		t.Fatal(err)
	}
	return p.AccessToken
}

// Every request the gate answers is one info line that says what happened, and never the token.
func TestEveryRequestIsLoggedOnceAtInfoWithoutItsToken(t *testing.T) {
	h, lines := newLoggedHarness(t, slog.LevelInfo)
	tok := mint(t, h)
	tests := []struct {
		name                    string
		method, path, token, ct string
		body                    string
		want                    map[string]any // fields the line must have, as JSON decodes them
		absent                  []string       // fields the line must not have
	}{
		{"an authenticated read names its operation and its user", "GET", "/v2/user/profile", tok, "", "",
			map[string]any{"level": "INFO", "method": "GET", "path": "/v2/user/profile", "status": 200.0,
				"operation": "getUserProfile", "user": float64(nova), "violations": 0.0},
			[]string{"query", "error"}},
		{"a token in the query is redacted and the refusal named", "GET", "/v2/user/profile?accessToken=" + tok, "", "", "",
			map[string]any{"status": 401.0, "operation": "getUserProfile", "error": "invalid_token", "violations": 0.0},
			[]string{"user"}},
		{"a body the validator refuses counts what it found", "POST", "/__mock/clock/advance", "", "application/json",
			`{"seconds":"sixty","extra":1}`,
			map[string]any{"status": 400.0, "operation": "advanceClock", "violations": 2.0, "error": "invalid_body_params"},
			[]string{"user"}},
		{"a path the spec does not describe has no operation", "GET", "/v2/no-such-thing", "", "", "",
			map[string]any{"status": 404.0, "violations": 0.0, "error": "not_found"},
			[]string{"operation", "user"}},
		{"a control call is logged too", "GET", "/__mock/health", "", "", "",
			map[string]any{"status": 200.0, "operation": "getHealth"}, []string{"user"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.request(t, tt.method, tt.path, tt.token, tt.ct, []byte(tt.body))
			rec, raw := lines.next(t, "request")
			for k, v := range tt.want {
				if rec[k] != v {
					t.Errorf("%s = %v, want %v in %s", k, rec[k], v, raw)
				}
			}
			for _, k := range tt.absent {
				if _, ok := rec[k]; ok {
					t.Errorf("%s is set in %s", k, raw)
				}
			}
			if _, ok := rec["duration"].(float64); !ok {
				t.Errorf("no duration in %s", raw)
			}
			if strings.Contains(raw, tok) {
				t.Errorf("the log shows the token: %s", raw)
			}
			if q, ok := rec["query"].(string); ok && !strings.Contains(q, "REDACTED") {
				t.Errorf("the query is not redacted: %s", raw)
			}
		})
	}
}

// Above info the request log writes nothing. The response of a small request reaches the client
// only once the handler, and so the gate, has returned: its line would be written by then.
func TestTheRequestLogIsSilentAtWarn(t *testing.T) {
	h, lines := newLoggedHarness(t, slog.LevelWarn)
	h.request(t, "GET", "/__mock/health", "", "", nil)
	h.request(t, "GET", "/v2/no-such-thing", "", "", nil)
	if n := len(lines); n != 0 {
		t.Fatalf("%d lines were logged at warn: %s", n, <-lines)
	}
}

// A WebSocket is logged when it opens and when it closes (how long it lived, the close code and
// who closed it); a refused handshake is one line with its status. The accessToken never shows.
func TestWebSocketsAreLoggedAtUpgradeAndAtClose(t *testing.T) {
	h, lines := newLoggedHarness(t, slog.LevelInfo)
	tok := mint(t, h)
	ws, res, _, err := h.dialRaw(t, "chat", "accessToken="+tok)
	if err != nil {
		t.Fatalf("dial: %v %v", err, res)
	}
	opened, raw := lines.next(t, "websocket opened")
	if opened["path"] != "/chat/ws" || opened["user"] != float64(nova) || opened["feed"] != "chat" || opened["status"] != 101.0 {
		t.Errorf("opened: %s", raw)
	}
	if strings.Contains(raw, tok) || !strings.Contains(raw, "REDACTED") {
		t.Errorf("the opened line must redact the token: %s", raw)
	}
	if err := ws.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatal(err)
	}
	closed, raw := lines.next(t, "websocket closed")
	if closed["close_code"] != 1000.0 || closed["closed_by"] != "client" || closed["user"] != float64(nova) {
		t.Errorf("closed: %s", raw)
	}
	if _, ok := closed["duration"].(float64); !ok {
		t.Errorf("no duration in %s", raw)
	}

	_, res, _, err = h.dialRaw(t, "streaming", "accessToken=not-"+tok)
	if err == nil || res == nil || res.StatusCode != 401 {
		t.Fatalf("a bad token must be refused with 401: %v %v", err, res)
	}
	refused, raw := lines.next(t, "websocket refused")
	if refused["status"] != 401.0 || refused["feed"] != "streaming" || refused["error"] != "invalid_token" {
		t.Errorf("refused: %s", raw)
	}
	if strings.Contains(raw, tok) {
		t.Errorf("the refused line shows the token: %s", raw)
	}
}

// The server closing a socket (a close fault of the control API) is logged with its code.
func TestASocketTheServerClosesIsLoggedWithItsCode(t *testing.T) {
	h, lines := newLoggedHarness(t, slog.LevelInfo)
	tok := mint(t, h)
	ws, res, _, err := h.dialRaw(t, "chat", "accessToken="+tok)
	if err != nil {
		t.Fatalf("dial: %v %v", err, res)
	}
	go func() { // reading is what answers the server's close frame
		for {
			if _, _, err := ws.Read(context.Background()); err != nil {
				return
			}
		}
	}()
	lines.next(t, "websocket opened")
	h.call(t, "POST", "/__mock/faults", "", map[string]any{"target": "chat", "closeCode": 4001, "closeReason": "test", "userId": nova}, 201)
	closed, raw := lines.next(t, "websocket closed")
	if closed["close_code"] != 4001.0 || closed["closed_by"] != "server" {
		t.Errorf("closed: %s", raw)
	}
}
