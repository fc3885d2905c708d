package upstream_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
	"github.com/restreamkit/restreamkit/restreamtest"
)

// firstChannel returns the id of the default user's first channel, asked of the mock directly.
func firstChannel(t *testing.T, rs *restreamtest.Server, token string) int64 {
	t.Helper()
	res, err := rs.Client(token).Get(rs.URL + "/v2/user/channel/all")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var channels []struct {
		ID int64 `json:"id"`
	}
	if err := json.NewDecoder(res.Body).Decode(&channels); err != nil || len(channels) == 0 {
		t.Fatalf("the mock lists no channels (%v)", err)
	}
	return channels[0].ID
}

// channelSummary maps a channel to {id, name, enabled}, as a capability's output mapping would.
func channelSummary() *capability.Mapping {
	return &capability.Mapping{Type: "object", Properties: []*capability.Property{
		{Name: "id", Mapping: &capability.Mapping{Type: "integer", Path: "$.id"}},
		{Name: "name", Mapping: &capability.Mapping{Type: "string", Path: "$.displayName"}},
		{Name: "enabled", Mapping: &capability.Mapping{Type: "boolean", Path: "$.active"}},
	}}
}

func TestGetChannelComesBackShapedByTheOutputMapping(t *testing.T) {
	rs, c, _, token := mockClient(t, upstream.Options{})
	id := firstChannel(t, rs, token)

	res := invoke(t, c, getChannel(t, api(t, token), channelSummary()), map[string]any{"id": float64(id)})

	if res.Status != http.StatusOK || !res.Mapped || res.Violations != 0 {
		t.Fatalf("status %d, mapped %v, %d violations: %s", res.Status, res.Mapped, res.Violations, res.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(res.Body, &got); err != nil {
		t.Fatalf("the body is not JSON: %s", res.Body)
	}
	if len(got) != 3 || got["id"] != float64(id) || got["enabled"] != true || got["name"] == "" {
		t.Errorf("the mapped channel is %s", res.Body)
	}
	if v, ok := res.Value.(map[string]any); !ok || len(v) != 3 {
		t.Errorf("Value is %#v, want the mapped object", res.Value)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestAnIDGivenAsTextByARESTCallerIsReadAsTheSlotsInteger(t *testing.T) {
	rs, c, _, token := mockClient(t, upstream.Options{})
	id := firstChannel(t, rs, token)
	res := invoke(t, c, getChannel(t, api(t, token)), map[string]any{"id": strings.TrimSpace(" " + jsonText(id))})
	if res.Status != http.StatusOK || res.Mapped {
		t.Fatalf("status %d, mapped %v: %s", res.Status, res.Mapped, res.Body)
	}
	if v, ok := res.Value.(map[string]any); !ok || v["id"] != json.Number(jsonText(id)) {
		t.Errorf("without outputs the upstream's channel passes through, got %#v", res.Value)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestUpdateChannelSendsABooleanAndTheMockDisablesTheChannel(t *testing.T) {
	rs, c, _, token := mockClient(t, upstream.Options{})
	id := firstChannel(t, rs, token)
	a := api(t, token)

	res := invoke(t, c, updateChannel(t, a), map[string]any{"id": float64(id), "active": false})
	if res.Status != http.StatusOK || len(res.Body) != 0 || res.Violations != 0 {
		t.Fatalf("status %d, %d violations: %q", res.Status, res.Violations, res.Body)
	}

	journal, err := rs.Journal("updateChannel")
	if err != nil {
		t.Fatal(err)
	}
	if len(journal) != 1 || journal[0].RequestBody != `{"active":false}` {
		t.Fatalf("the mock got %+v, want one PATCH with {\"active\":false}", journal)
	}
	after := invoke(t, c, getChannel(t, a, channelSummary()), map[string]any{"id": float64(id)})
	if after.Value.(map[string]any)["enabled"] != false {
		t.Errorf("after the update GET says %s", after.Body)
	}
}

func TestAnAbsentOptionalBodyFieldIsLeftOut(t *testing.T) {
	rs, c, _, token := mockClient(t, upstream.Options{})
	id := firstChannel(t, rs, token)
	title := &capability.Slot{Name: "title", SpecName: "title", In: "body", Required: true,
		Schema: map[string]any{"type": "string", "minLength": 1, "maxLength": 140}}
	desc := &capability.Slot{Name: "description", SpecName: "description", In: "body",
		Schema: map[string]any{"type": "string", "maxLength": 5000}}
	call := bind("mcp update-channel-meta", op(t, api(t, token), "updateChannelMeta", "/user/channel-meta/{id}", channelIDSlot(), title, desc))

	res := invoke(t, c, call, map[string]any{"id": float64(id), "title": "Speedrun night", "description": nil})

	if res.Status/100 != 2 || res.Violations != 0 {
		t.Fatalf("status %d, %d violations: %s", res.Status, res.Violations, res.Body)
	}
	journal, err := rs.Journal("updateChannelMeta")
	if err != nil {
		t.Fatal(err)
	}
	if len(journal) != 1 || journal[0].RequestBody != `{"title":"Speedrun night"}` {
		t.Fatalf("the mock got %+v, want the title alone", journal)
	}
}

func TestListPlatformsNeedsNoToken(t *testing.T) {
	_, c, _, _ := mockClient(t, upstream.Options{})
	public := &capability.API{Namespace: "restream", BaseURL: mustURL(t, nowhere)} // no auth at all
	names := &capability.Mapping{Type: "array", Path: "$", Items: &capability.Mapping{Type: "string", Path: "$.name"}}

	res := invoke(t, c, listPlatforms(t, public, names), nil)

	list, ok := res.Value.([]any)
	if res.Status != http.StatusOK || !res.Mapped || !ok || len(list) == 0 {
		t.Fatalf("status %d, mapped %v: %s", res.Status, res.Mapped, res.Body)
	}
	if _, ok := list[0].(string); !ok {
		t.Errorf("each platform maps to its name, got %#v", list[0])
	}
}

func TestEventHistoryPagesAreTheOnesAskedFor(t *testing.T) {
	_, c, _, token := mockClient(t, upstream.Options{})
	call := listEventHistory(t, api(t, token))
	cases := []struct {
		name string
		args map[string]any
		page float64
		max  int
	}{
		{"numbers from an MCP client", map[string]any{"page": float64(1), "limit": float64(1)}, 1, 1},
		{"text from a REST query", map[string]any{"page": "2", "limit": "1"}, 2, 1},
		{"no paging: the API's defaults", map[string]any{}, 1, 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := invoke(t, c, call, tc.args)
			var got struct {
				Items      []any `json:"items"`
				Pagination struct {
					Page  float64 `json:"page"`
					Limit float64 `json:"limit"`
				} `json:"pagination"`
			}
			if err := json.Unmarshal(res.Body, &got); err != nil || res.Status != http.StatusOK {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			if got.Pagination.Page != tc.page || len(got.Items) > tc.max || int(got.Pagination.Limit) != tc.max {
				t.Errorf("page %v limit %v with %d items, want page %v of at most %d", got.Pagination.Page, got.Pagination.Limit,
					len(got.Items), tc.page, tc.max)
			}
			if res.Violations != 0 {
				t.Errorf("%d violations", res.Violations)
			}
		})
	}
}

func TestUpstreamErrorsPassThroughWithTheirStatusAndEnvelope(t *testing.T) {
	rs, c, _, token := mockClient(t, upstream.Options{}, restreamtest.Lenient()) // it sends an id the mock refuses
	id := firstChannel(t, rs, token)
	// A slot that takes any text lets an id the upstream refuses reach it: the upstream's own 400
	// is what the caller should see.
	loose := &capability.Slot{Name: "id", SpecName: "id", In: "path", Required: true, Schema: map[string]any{"type": "string"}}
	cases := []struct {
		name    string
		call    *capability.Call
		args    map[string]any
		status  int
		errName string
	}{
		{"an unknown channel is 404", getChannel(t, api(t, token), channelSummary()), map[string]any{"id": float64(987654321)}, 404, "channel_not_found"},
		{"an id that is not a number is 400", bind("rest GET /v1/channels/{id}", op(t, api(t, token), "getChannel", "/user/channel/{id}", loose)),
			map[string]any{"id": "abc"}, 400, ""},
		{"a missing token is 401", getChannel(t, api(t, ""), channelSummary()), map[string]any{"id": float64(id)}, 401, "invalid_token"},
		{"a wrong token is 401", getChannel(t, api(t, "not-a-token"), channelSummary()), map[string]any{"id": float64(id)}, 401, "invalid_token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := invoke(t, c, tc.call, tc.args)
			if res.Status != tc.status || res.Mapped {
				t.Fatalf("status %d (mapped %v), want %d passed through: %s", res.Status, res.Mapped, tc.status, res.Body)
			}
			var env struct {
				Error struct {
					StatusCode int    `json:"statusCode"`
					Name       string `json:"name"`
				} `json:"error"`
			}
			if err := json.Unmarshal(res.Body, &env); err != nil || env.Error.StatusCode != tc.status {
				t.Fatalf("the body is not the upstream's envelope: %s", res.Body)
			}
			if tc.errName != "" && env.Error.Name != tc.errName {
				t.Errorf("envelope name %q, want %q", env.Error.Name, tc.errName)
			}
			if _, ok := res.Value.(map[string]any)["error"]; !ok {
				t.Errorf("Value is %#v, want the decoded envelope", res.Value)
			}
			if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type %q", res.Header.Get("Content-Type"))
			}
		})
	}
}
