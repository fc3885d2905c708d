package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"net"
	"net/http/httptest"
	"os"

	"github.com/coder/websocket"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/restreamkit/restreamkit/internal/gateway"
	"github.com/restreamkit/restreamkit/restreamtest"
)

// firstID lists a collection through the facade and returns its first element's id.
func firstID(t *testing.T, r *rig, path string) string {
	t.Helper()
	ex := do(t, http.MethodGet, r.rest+path, "", nil)
	var items []map[string]any
	dec := json.NewDecoder(bytes.NewReader(ex.body))
	dec.UseNumber()
	if err := dec.Decode(&items); err != nil || len(items) == 0 {
		t.Fatalf("%s: %d %s", path, ex.status, ex.body)
	}
	return fmt.Sprint(items[0]["id"])
}

func TestEveryFacadeRouteAnswersFromTheMockAsItsDescriptionSays(t *testing.T) {
	r := newRig(t, rigOptions{})
	spec := loadFacadeSpec(t, r.rest)
	channel := firstID(t, r, "/v1/channels")
	upcoming := firstID(t, r, "/v1/events/upcoming")
	cases := []struct {
		method, path, body string
		want               int
		has                string // a piece of the answer that proves it came from the mock
	}{
		{"GET", "/openapi.json", "", 200, `"/v1/studio/qr-codes/order"`},
		{"GET", "/v1/platforms", "", 200, `"Twitch"`},
		{"GET", "/v1/channels", "", 200, `"streamingPlatformId"`},
		{"GET", "/v1/channels/" + channel, "", 200, `"id":` + channel},
		{"PATCH", "/v1/channels/" + channel, `{"active":true}`, 200, ""},
		{"GET", "/v1/channels/" + channel + "/meta", "", 200, `"title"`},
		{"PATCH", "/v1/channels/" + channel + "/meta", `{"title":"Speedrun night"}`, 200, ""},
		{"GET", "/v1/stream-key", "", 200, `"streamKey"`},
		{"GET", "/v1/events/upcoming", "", 200, `"scheduledFor"`},
		{"GET", "/v1/events/upcoming?source=2", "", 200, ""},
		{"GET", "/v1/events/in-progress", "", 200, `"status":"in-progress"`},
		{"GET", "/v1/events/history?page=2&limit=5", "", 200, `"items"`},
		{"GET", "/v1/events/" + upcoming, "", 200, `"id":"` + upcoming + `"`},
		{"GET", "/v1/events/" + upcoming + "/stream-key", "", 200, `"streamKey"`},
		{"GET", "/v1/studio/brands", "", 200, `"Nova Speedruns"`},
		{"GET", "/v1/studio/captions?brandId=" + novaBrand, "", 200, `"Variety streams every Friday"`},
		{"POST", "/v1/studio/captions", `{"brandId":"` + novaBrand + `","text":"Starting soon"}`, 201, `"Starting soon"`},
		{"GET", "/v1/studio/captions/" + novaCaption, "", 200, `"Variety streams every Friday"`},
		{"PATCH", "/v1/studio/captions/" + novaCaption, `{"text":"Nova Plays"}`, 200, `"text":"Nova Plays"`},
		{"DELETE", "/v1/studio/captions/" + novaCaption, "", 204, ""},
		{"GET", "/v1/studio/qr-codes", "", 200, `"Join the Discord"`},
		{"PATCH", "/v1/studio/qr-codes/order", `{"ids":["` + novaMerchQR + `","7cd21d6e-a1f5-453c-abe4-b446c2dd82fc","494f592c-183c-4b95-97ae-03624eefefe0"]}`, 204, ""},
		{"GET", "/v1/studio/qr-codes", "", 200, `{"qrCodes":[{"brandId":"` + novaBrand + `","id":"` + novaMerchQR + `"`}, // Merch first now
		{"POST", "/v1/studio/qr-codes", `{"brandId":"` + novaBrand + `","title":"Tips","link":"https://example.com/tips"}`, 201, `"Tips"`},
		{"GET", "/v1/studio/qr-codes/" + novaMerchQR, "", 200, `"Merch"`},
		{"PATCH", "/v1/studio/qr-codes/" + novaMerchQR, `{"shouldShowTitle":false}`, 200, `"shouldShowTitle":false`},
		{"DELETE", "/v1/studio/qr-codes/" + novaMerchQR, "", 204, ""},
		{"GET", "/v1/studio/tickers", "", 200, `"tickers"`},
		{"POST", "/v1/studio/tickers", `{"brandId":"` + novaBrand + `","text":"New merch drop"}`, 201, `"New merch drop"`},
		{"GET", "/v1/studio/fonts", "", 200, `"fonts"`},
		{"GET", "/v1/studio/countdown-music", "", 200, `"url"`},
		{"GET", "/v1/studio/audio-backgrounds", "", 200, `"Forest"`},
		{"GET", "/v1/storage/files", "", 200, `"Channel trailer 2026.mp4"`},
		{"POST", "/v1/clips/projects", `{"videoStorageFileId":"` + novaTrailer + `","title":"Trailer cuts"}`, 201, `"Trailer cuts"`},
		{"GET", "/v1/clips/projects?limit=1", "", 200, `"Trailer cuts"`},
		{"GET", "/v1/clips/projects/" + novaProject, "", 200, `"clips"`},
		// Errors: the mock's envelope with its status, or the facade's own for what it refuses. The
		// cases run in order: the caption and QR code deleted above are gone, and the trailer has
		// a project now.
		{"GET", "/v1/channels/999999999", "", 404, `"name":"channel_not_found"`},
		{"GET", "/v1/channels/abc", "", 400, `invalid_path_params`},
		{"PATCH", "/v1/channels/" + channel, `{"active":"no"}`, 400, `active`},
		{"GET", "/v1/events/history?limit=1000", "", 400, `limit`},
		{"GET", "/v1/studio/captions/" + novaCaption, "", 404, `studio_caption_not_found`},
		{"DELETE", "/v1/studio/qr-codes/" + novaMerchQR, "", 404, `studio_qr_code_not_found`},
		{"POST", "/v1/clips/projects", `{"videoStorageFileId":"` + novaTrailer + `"}`, 409, `clips_input_already_processed`},
		{"POST", "/v1/studio/tickers", `{"brandId":"` + novaBrand + `"}`, 400, `text`},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			ex := do(t, c.method, r.rest+c.path, c.body, nil)
			if ex.status != c.want || !strings.Contains(string(ex.body), c.has) {
				t.Fatalf("%d %s; want %d with %s", ex.status, ex.body, c.want, c.has)
			}
			spec.check(t, ex)
		})
	}
	if missed := spec.unanswered(); len(missed) > 0 {
		t.Errorf("no case answered these routes with a success; give each one: %v", missed)
	}
	t.Run("a path no route serves is the envelope's 404", func(t *testing.T) {
		if ex := do(t, "GET", r.rest+"/v1/nothing-here", "", nil); ex.status != 404 || errorName(ex.body) != "not_found" {
			t.Errorf("%d %s", ex.status, ex.body)
		}
	})
	if v := r.violations(t); len(v) > 0 {
		t.Errorf("the gateway's calls and the mock's answers broke the spec:\n%s", strings.Join(v, "\n"))
	}
}

func TestAFacadePatchKeepsJSONTypesAndChangesTheMocksState(t *testing.T) {
	r := newRig(t, rigOptions{})
	channel := firstID(t, r, "/v1/channels")
	if ex := do(t, "PATCH", r.rest+"/v1/channels/"+channel, `{"active":false}`, nil); ex.status != 200 {
		t.Fatalf("PATCH: %d %s", ex.status, ex.body)
	}
	res, err := r.mock.Client(r.token).Get(r.mock.URL + "/v2/user/channel/" + channel)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var ch struct{ Active *bool }
	if err := json.NewDecoder(res.Body).Decode(&ch); err != nil || ch.Active == nil || *ch.Active {
		t.Fatalf("the mock's channel after the facade's PATCH: active %v (%v); want false", ch.Active, err)
	}
}

func TestUpstreamFailuresAreEnvelopesWithTheirStatus(t *testing.T) {
	closed := func() string { // an address nothing listens on
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return "http://" + ln.Addr().String() + "/v2"
	}()
	cases := []struct {
		name   string
		opts   rigOptions
		fault  *restreamtest.Fault
		status int
		error  string
	}{
		{"a token without the scope gets Restream's 403", rigOptions{scopes: []string{"profile.read"}, lenient: true}, nil, 403, "insufficient_scope"},
		{"a token Restream does not know gets its 401", rigOptions{edit: func(c *gateway.Config) {
			c.Getenv = func(string) string { return "not-a-token-restream-issued" }
		}}, nil, 401, "invalid_token"},
		{"Restream's 5xx passes with its status", rigOptions{}, &restreamtest.Fault{OperationID: "listChannels", Status: 503}, 503, ""},
		{"an upstream that does not answer in time is 504", rigOptions{edit: func(c *gateway.Config) { c.UpstreamTimeout = 100 * time.Millisecond }},
			&restreamtest.Fault{OperationID: "listChannels", Latency: time.Minute}, 504, "upstream_timeout"},
		{"an upstream that is down is 502", rigOptions{edit: func(c *gateway.Config) { c.Upstream = closed }}, nil, 502, "upstream_unavailable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, c.opts)
			if c.fault != nil {
				if _, err := r.mock.AddFault(*c.fault); err != nil {
					t.Fatal(err)
				}
			}
			ex := do(t, http.MethodGet, r.rest+"/v1/channels", "", nil)
			if ex.status != c.status || errorName(ex.body) == "" || c.error != "" && errorName(ex.body) != c.error {
				t.Errorf("facade: %d %s; want %d %s in Restream's envelope", ex.status, ex.body, c.status, c.error)
			}
			cs := connect(t, r.mcp, "2026-07-28", nil)
			res, _ := call(t, cs, "list-channels", nil)
			if !res.IsError || res.StructuredContent != nil || !strings.Contains(text(res), fmt.Sprint(c.status)) {
				t.Errorf("MCP: isError %t, structured %v, %s; want an error result naming %d", res.IsError, res.StructuredContent, text(res), c.status)
			}
		})
	}
}

// The embedded capability's tools, sorted: TestEveryMCPToolRunsAgainstTheMock calls each one.
var embeddedTools = []string{"create-clips-project", "create-studio-caption", "create-studio-qr-code",
	"create-studio-ticker", "delete-studio-caption", "delete-studio-qr-code", "get-channel",
	"get-channel-meta", "get-clips-project", "get-event", "get-event-stream-key", "get-stream-key",
	"get-studio-caption", "get-studio-qr-code", "get-user-profile", "list-channels", "list-clips-projects",
	"list-event-history", "list-in-progress-events", "list-platforms", "list-storage-files",
	"list-studio-audio-backgrounds", "list-studio-brands", "list-studio-captions",
	"list-studio-countdown-music", "list-studio-fonts", "list-studio-qr-codes", "list-studio-tickers",
	"list-upcoming-events", "reorder-studio-qr-codes", "update-channel", "update-channel-meta",
	"update-studio-caption", "update-studio-qr-code"}

func TestEveryMCPToolRunsAgainstTheMock(t *testing.T) {
	for _, version := range []string{"2026-07-28", "2025-11-25", "2025-06-18"} {
		t.Run(version, func(t *testing.T) {
			r := newRig(t, rigOptions{})
			cs := connect(t, r.mcp, version, nil)
			list, err := cs.ListTools(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tl := range list.Tools {
				names = append(names, tl.Name)
			}
			if slices.Sort(names); !slices.Equal(names, embeddedTools) {
				t.Fatalf("tools %v, want %v", names, embeddedTools)
			}
			called := map[string]bool{}
			// run calls a tool that must succeed and answer text holding has.
			run := func(tool string, args map[string]any, has string) map[string]any {
				t.Helper()
				called[tool] = true
				res, sc := call(t, cs, tool, args)
				if res.IsError || !strings.Contains(text(res), has) {
					t.Errorf("%s(%v): isError %t, %s; want %s", tool, args, res.IsError, text(res), has)
				}
				return sc
			}
			_, channels := call(t, cs, "list-channels", nil)
			items, _ := channels["result"].([]any)
			if len(items) == 0 {
				t.Fatalf("list-channels: %v", channels)
			}
			channel := items[0].(map[string]any)["id"]
			_, upcoming := call(t, cs, "list-upcoming-events", nil)
			events, _ := upcoming["result"].([]any)
			if len(events) == 0 {
				t.Fatalf("list-upcoming-events: %v", upcoming)
			}
			event := events[0].(map[string]any)["id"]
			for _, c := range []struct {
				tool string
				args map[string]any
				has  string
			}{
				{"list-channels", nil, `streamingPlatformId`},
				{"list-upcoming-events", nil, fmt.Sprint(event)},
				{"list-platforms", nil, `Twitch`},
				{"get-user-profile", nil, `nova_plays`},
				{"get-stream-key", nil, `streamKey`},
				{"get-channel", map[string]any{"id": channel}, `streamingPlatformId`},
				{"get-channel-meta", map[string]any{"id": channel}, `title`},
				{"update-channel-meta", map[string]any{"id": channel, "title": "From an assistant"}, ``},
				{"update-channel", map[string]any{"id": channel, "active": true}, ``},
				{"list-in-progress-events", nil, `in-progress`},
				{"list-event-history", map[string]any{"page": 1, "limit": 3}, `items`},
				{"get-event", map[string]any{"id": event}, fmt.Sprint(event)},
				{"get-event-stream-key", map[string]any{"id": event}, `streamKey`},
				{"list-studio-brands", nil, `Nova Speedruns`},
				{"list-studio-fonts", nil, `fonts`},
				{"list-studio-countdown-music", nil, `url`},
				{"list-studio-audio-backgrounds", nil, `Forest`},
				{"list-studio-tickers", map[string]any{"brandId": novaBrand}, `tickers`},
				{"list-storage-files", nil, `Channel trailer 2026.mp4`},
				{"list-clips-projects", map[string]any{"limit": 2}, `projects`},
			} {
				run(c.tool, c.args, c.has)
			}
			if res, _ := call(t, cs, "get-channel-meta", map[string]any{"id": channel}); !strings.Contains(text(res), "From an assistant") {
				t.Errorf("get-channel-meta after update-channel-meta: %s", text(res))
			}

			// A caption's life: created, listed under its brand, changed, read, deleted.
			caption := run("create-studio-caption", map[string]any{"brandId": novaBrand, "text": "Back in five", "secondaryText": "Grab a drink"}, "Back in five")["id"]
			run("list-studio-captions", map[string]any{"brandId": novaBrand}, fmt.Sprint(caption))
			run("update-studio-caption", map[string]any{"captionId": caption, "secondaryText": ""}, `"secondaryText":null`)
			run("get-studio-caption", map[string]any{"captionId": caption}, "Back in five")
			run("delete-studio-caption", map[string]any{"captionId": caption}, "")
			if res, _ := call(t, cs, "get-studio-caption", map[string]any{"captionId": caption}); !res.IsError || !strings.Contains(text(res), "404") {
				t.Errorf("get-studio-caption after delete-studio-caption: isError %t, %s; want a 404", res.IsError, text(res))
			}

			// A QR code's life, and the order of the list.
			qr := run("create-studio-qr-code", map[string]any{"brandId": novaBrand, "title": "Schedule", "link": "https://example.com/schedule"}, "Schedule")["id"]
			run("update-studio-qr-code", map[string]any{"qrCodeId": qr, "shouldShowTitle": true}, `"shouldShowTitle":true`)
			run("get-studio-qr-code", map[string]any{"qrCodeId": qr}, "https://example.com/schedule")
			var ids []any
			for _, q := range run("list-studio-qr-codes", nil, fmt.Sprint(qr))["qrCodes"].([]any) {
				ids = append(ids, q.(map[string]any)["id"])
			}
			slices.Reverse(ids)
			run("reorder-studio-qr-codes", map[string]any{"ids": ids}, "")
			var order []any
			for _, q := range run("list-studio-qr-codes", nil, "")["qrCodes"].([]any) {
				order = append(order, q.(map[string]any)["id"])
			}
			if !slices.Equal(order, ids) {
				t.Errorf("list-studio-qr-codes after reorder-studio-qr-codes: %v, want %v", order, ids)
			}
			run("delete-studio-qr-code", map[string]any{"qrCodeId": qr}, "")
			run("create-studio-ticker", map[string]any{"brandId": novaBrand, "text": "Giveaway at 100 subs"}, "Giveaway at 100 subs")

			// A clip project of a ready video, with a time range object passed through.
			project := run("create-clips-project", map[string]any{"videoStorageFileId": novaTrailer, "singleClipMode": true,
				"selectedTimeRange": map[string]any{"startSeconds": 10, "endSeconds": 40}}, `"generatingClipsNow":true`)["projectId"]
			run("get-clips-project", map[string]any{"projectId": project}, `"generatingClipsNow":true`)
			run("list-clips-projects", nil, fmt.Sprint(project))

			for _, tool := range embeddedTools {
				if !called[tool] {
					t.Errorf("tool %s was not called: give it a case", tool)
				}
			}
			if v := r.violations(t); len(v) > 0 {
				t.Errorf("the gateway's calls and the mock's answers broke the spec:\n%s", strings.Join(v, "\n"))
			}
		})
	}
}

func TestAStudioToolWithoutTheStudioScopeIsAToolErrorNamingIt(t *testing.T) {
	r := newRig(t, rigOptions{scopes: []string{"profile.read", "channels.read"}, lenient: true})
	cs := connect(t, r.mcp, "2025-11-25", nil)
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"list-studio-brands", nil},
		{"create-studio-ticker", map[string]any{"brandId": novaBrand, "text": "Hi"}},
		{"create-clips-project", map[string]any{"videoStorageFileId": novaTrailer}},
	} {
		res, _ := call(t, cs, c.tool, c.args)
		if !res.IsError || !strings.Contains(text(res), "403") || !strings.Contains(text(res), "insufficient_scope") {
			t.Errorf("%s with a token without its scope: isError %t, %s; want Restream's 403 insufficient_scope", c.tool, res.IsError, text(res))
		}
	}
	if res, _ := call(t, cs, "list-channels", nil); res.IsError {
		t.Errorf("list-channels with channels.read: %s", text(res))
	}
}

func TestUpdateChannelDisablesItOnTheMockAndClosesItsChatConnection(t *testing.T) {
	const quiet, channel = 4410087, 7340021 // one Twitch channel
	r := newRig(t, rigOptions{user: quiet})
	chat, _, err := websocket.Dial(t.Context(), r.mock.ChatSocket(r.token), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer chat.CloseNow()
	frame := func() (action string, payload map[string]any) {
		_, data, err := chat.Read(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var f struct {
			Action  string         `json:"action"`
			Payload map[string]any `json:"payload"`
		}
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		return f.Action, f.Payload
	}
	action, info := frame()
	if action != "connection_info" {
		t.Fatalf("first chat frame %s, want connection_info", action)
	}

	cs := connect(t, r.mcp, "2025-11-25", nil)
	if res, _ := call(t, cs, "update-channel", map[string]any{"id": channel, "active": false}); res.IsError {
		t.Fatalf("update-channel: %s", text(res))
	}

	action, closed := frame()
	if action != "connection_closed" || closed["reason"] != "removed" || closed["connectionUuid"] != info["connectionUuid"] {
		t.Errorf("after update-channel the chat feed sent %s %v; want connection_closed removed for %v", action, closed, info["connectionUuid"])
	}
	ex := do(t, http.MethodGet, r.rest+fmt.Sprintf("/v1/channels/%d", channel), "", nil)
	if !strings.Contains(string(ex.body), `"active":false`) {
		t.Errorf("the channel through the facade after update-channel: %s", ex.body)
	}
}

func TestMCPToolErrors(t *testing.T) {
	r := newRig(t, rigOptions{})
	cs := connect(t, r.mcp, "2025-11-25", nil)
	t.Run("an argument outside its schema is invalid params naming it, and nothing is sent", func(t *testing.T) {
		before := r.hits.Load()
		_, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "get-channel", Arguments: map[string]any{"id": "abc"}})
		if err == nil || !strings.Contains(err.Error(), "id") {
			t.Fatalf("err %v, want invalid params naming id", err)
		}
		if r.hits.Load() != before {
			t.Error("the invalid call reached the upstream")
		}
	})
	t.Run("an unknown id is an error result with Restream's message", func(t *testing.T) {
		res, _ := call(t, cs, "get-channel", map[string]any{"id": 999999999})
		if !res.IsError || res.StructuredContent != nil || !strings.Contains(text(res), "404") {
			t.Fatalf("isError %t structured %v text %s; want a 404 error result", res.IsError, res.StructuredContent, text(res))
		}
	})
}

func TestTheGatewayGuardsItsDoor(t *testing.T) {
	r := newRig(t, rigOptions{})
	endpoints := []struct {
		name, method, url, body string
		header                  map[string]string
	}{
		{"REST facade", "GET", r.rest + "/v1/channels", "", nil},
		{"MCP endpoint", "POST", r.mcp, `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",` +
			`"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"}}}}`,
			map[string]string{"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/list"}},
	}
	attacks := []struct {
		name   string
		header map[string]string
		status int
		error  string
	}{
		{"a DNS-rebinding request (Host: evil.example)", map[string]string{"Host": "evil.example"}, 403, "host_not_allowed"},
		{"a rebinding request naming the port", map[string]string{"Host": "evil.example:8100"}, 403, "host_not_allowed"},
		{"a page of another origin", map[string]string{"Origin": "http://evil.example"}, 403, "cross_site_request"},
		{"a page of another loopback port", map[string]string{"Origin": "http://127.0.0.1:1"}, 403, "cross_site_request"},
		{"a sandboxed frame", map[string]string{"Origin": "null"}, 403, "cross_site_request"},
	}
	for _, e := range endpoints {
		for _, a := range attacks {
			t.Run(e.name+": "+a.name, func(t *testing.T) {
				before := r.hits.Load()
				h := map[string]string{}
				for k, v := range e.header {
					h[k] = v
				}
				for k, v := range a.header {
					h[k] = v
				}
				ex := do(t, e.method, e.url, e.body, h)
				if ex.status != a.status || errorName(ex.body) != a.error {
					t.Errorf("%d %s; want %d %s", ex.status, ex.body, a.status, a.error)
				}
				if r.hits.Load() != before {
					t.Error("the refused request reached the upstream")
				}
			})
		}
		t.Run(e.name+": the same request from its own origin passes", func(t *testing.T) {
			h := map[string]string{"Origin": strings.TrimSuffix(strings.TrimSuffix(e.url, "/mcp"), "/v1/channels")}
			for k, v := range e.header {
				h[k] = v
			}
			if ex := do(t, e.method, e.url, e.body, h); ex.status != 200 {
				t.Errorf("%d %s; want 200", ex.status, ex.body)
			}
		})
	}
}

func TestAnAuthTokenGuardsEveryEndpointButHealth(t *testing.T) {
	const secret = "gw-inbound-7f3b2c"
	r := newRig(t, rigOptions{edit: func(c *gateway.Config) { c.AuthToken = secret }})
	cases := []struct {
		name, url, auth string
		want            int
	}{
		{"no token", r.rest + "/v1/channels", "", 401},
		{"a wrong token", r.rest + "/v1/channels", "Bearer gw-inbound-7f3b2d", 401},
		{"another scheme", r.rest + "/v1/channels", "Basic " + secret, 401},
		{"the token", r.rest + "/v1/channels", "Bearer " + secret, 200},
		{"the MCP endpoint without it", r.mcp, "", 401},
		{"metrics without it", r.rest + "/metrics", "", 401},
		{"health without it", r.rest + "/healthz", "", 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{}
			if c.auth != "" {
				h["Authorization"] = c.auth
			}
			method := "GET"
			if strings.HasSuffix(c.url, "/mcp") {
				method = "POST"
			}
			ex := do(t, method, c.url, "", h)
			if ex.status != c.want {
				t.Errorf("%d %s; want %d", ex.status, ex.body, c.want)
			}
			if c.want == 401 && !strings.HasPrefix(ex.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge: %v", ex.header)
			}
		})
	}
	t.Run("the MCP client with the token works", func(t *testing.T) {
		client := &http.Client{Transport: bearer{secret}}
		cs := connect(t, r.mcp, "2025-11-25", client)
		if res, _ := call(t, cs, "get-user-profile", nil); res.IsError {
			t.Errorf("get-user-profile: %s", text(res))
		}
	})
}

// bearer adds an Authorization header to every request.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func TestAPublicAddressNeedsAnAuthToken(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.10:8100"} {
		c := gateway.Config{RESTAddr: addr, Getenv: func(string) string { return "t" }}
		if _, err := c.Gateway(); err == nil || !strings.Contains(err.Error(), "--auth-token") {
			t.Errorf("REST on %s without --auth-token: %v; want an error asking for it", addr, err)
		}
	}
}

// readingTools counts the embedded tools that only read: the get- and list- ones.
var readingTools = func() (n int) {
	for _, tool := range embeddedTools {
		if strings.HasPrefix(tool, "get-") || strings.HasPrefix(tool, "list-") {
			n++
		}
	}
	return n
}()

func TestReadOnlyExposesOnlyTheToolsThatRead(t *testing.T) {
	r := newRig(t, rigOptions{edit: func(c *gateway.Config) { c.ReadOnly = true }})
	cs := connect(t, r.mcp, "2026-07-28", nil)
	list, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range list.Tools {
		if !strings.HasPrefix(tl.Name, "get-") && !strings.HasPrefix(tl.Name, "list-") || tl.Annotations == nil || !tl.Annotations.ReadOnlyHint {
			t.Errorf("tool %s is exposed in read-only mode", tl.Name)
		}
	}
	if len(list.Tools) != readingTools {
		t.Errorf("%d tools, want the %d that read", len(list.Tools), readingTools)
	}
}

func TestOneAddressServesBothAdapters(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port, for both adapters
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := newRig(t, rigOptions{edit: func(c *gateway.Config) { c.RESTAddr, c.MCPAddr = addr, addr }})
	if len(r.gw.Servers()) != 1 || !strings.HasPrefix(r.mcp, r.rest+"/") {
		t.Fatalf("servers %v; REST at %s, MCP at %s: want one server", r.gw.Servers(), r.rest, r.mcp)
	}
	if ex := do(t, "GET", r.rest+"/v1/platforms", "", nil); ex.status != 200 {
		t.Errorf("facade: %d", ex.status)
	}
	cs := connect(t, r.mcp, "2025-06-18", nil)
	if res, _ := call(t, cs, "list-platforms", nil); res.IsError {
		t.Errorf("list-platforms: %s", text(res))
	}
}

func TestMetricsCountEachRouteAndTool(t *testing.T) {
	r := newRig(t, rigOptions{})
	do(t, "GET", r.rest+"/v1/platforms", "", nil)
	cs := connect(t, r.mcp, "2026-07-28", nil)
	call(t, cs, "get-user-profile", nil)
	ex := do(t, "GET", r.rest+"/metrics", "", nil)
	for _, want := range []string{`restream_gateway_upstream_calls_total{call="rest GET /v1/platforms",outcome="2xx"} 1`,
		`restream_gateway_upstream_calls_total{call="mcp get-user-profile",outcome="2xx"} 1`} {
		if !strings.Contains(string(ex.body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(string(ex.body), r.token) {
		t.Error("/metrics shows the access token")
	}
}

func TestTheGatewayCanRenewItsOwnToken(t *testing.T) {
	mock := restreamtest.NewServer(t)
	tok, err := mock.SignIn(t.Context(), nova)
	if err != nil {
		t.Fatal(err)
	}
	c := gateway.Config{Upstream: mock.URL + "/v2", RESTAddr: "127.0.0.1:0", MCPAddr: "127.0.0.1:0",
		ClientID: mock.OAuth2.ClientID, ClientSecret: mock.OAuth2.ClientSecret, RefreshToken: tok.RefreshToken,
		TokenFile: t.TempDir() + "/refresh-token", Getenv: func(string) string { return "" }}
	g, err := c.Gateway()
	if err != nil {
		t.Fatalf("no RESTREAM_ACCESS_TOKEN but a refresh set-up: %v", err)
	}
	defer g.Close()
	srv := httptest.NewServer(g.Servers()[0].Handler)
	defer srv.Close()
	if ex := do(t, "GET", srv.URL+"/v1/channels", "", nil); ex.status != 200 {
		t.Fatalf("with a renewed token: %d %s", ex.status, ex.body)
	}
	saved, err := os.ReadFile(c.TokenFile)
	if err != nil || len(saved) == 0 || strings.Contains(string(saved), tok.RefreshToken) {
		t.Errorf("token file after the renewal: %q (%v); want the rotated refresh token", saved, err)
	}
}
