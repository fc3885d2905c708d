package capability_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/restreamkit/restreamkit/capabilities"
	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/validate"
	"github.com/restreamkit/restreamkit/openapi"
)

// The secret a test's environment holds; no message may ever contain it.
const testToken = "tok-3f9a-secret"

var (
	specOnce sync.Once
	spec     *validate.Spec
	specErr  error
)

// restreamSpec is the bundled spec, loaded once per test binary.
func restreamSpec(tb testing.TB) *validate.Spec {
	tb.Helper()
	specOnce.Do(func() { spec, specErr = validate.Load(openapi.FS, openapi.RestreamSpec) })
	if specErr != nil {
		tb.Fatal(specErr)
	}
	return spec
}

// options are Load's options with an environment that holds RESTREAM_ACCESS_TOKEN only.
func options(tb testing.TB) capability.Options {
	return capability.Options{Spec: restreamSpec(tb), Env: func(name string) (string, bool) {
		if name == "RESTREAM_ACCESS_TOKEN" {
			return testToken, true
		}
		return "", false
	}}
}

// errorLines splits a Load error into its messages.
func errorLines(err error) []string {
	if err == nil {
		return nil
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		return []string{err.Error()}
	}
	var lines []string
	for _, e := range joined.Unwrap() {
		lines = append(lines, e.Error())
	}
	return lines
}

func loadDefault(t *testing.T) *capability.Plan {
	t.Helper()
	opts := options(t)
	var warnings []string
	opts.Warn = func(w string) { warnings = append(warnings, w) }
	plan, err := capability.Load(capabilities.FS, capabilities.Default, opts)
	if err != nil {
		t.Fatalf("the embedded capability does not load:\n%s", strings.Join(errorLines(err), "\n"))
	}
	if len(warnings) > 0 || len(plan.Warnings) > 0 {
		t.Fatalf("the embedded capability loads with warnings: %q", warnings)
	}
	return plan
}

func TestTheEmbeddedCapabilityLoadsCleanWithTheIssuesRoutesAndTools(t *testing.T) {
	plan := loadDefault(t)
	if len(plan.APIs) != 1 || plan.APIs[0].Namespace != "restream" || plan.APIs[0].BaseURL.String() != "https://api.restream.io/v2" {
		t.Fatalf("APIs = %+v, want restream at https://api.restream.io/v2", plan.APIs)
	}
	if auth := plan.APIs[0].Auth; auth.Kind != "bearer" || auth.Token != testToken || auth.TokenVar != "RESTREAM_ACCESS_TOKEN" {
		t.Errorf("auth = %s from %s, want the bearer token of RESTREAM_ACCESS_TOKEN", auth.Kind, auth.TokenVar)
	}
	if len(plan.REST) != 1 || len(plan.MCP) != 1 {
		t.Fatalf("%d REST and %d MCP adapters, want one of each", len(plan.REST), len(plan.MCP))
	}
	rest, mcp := plan.REST[0], plan.MCP[0]
	if rest.Address != "127.0.0.1" || rest.Port != 8100 || mcp.Address != "127.0.0.1" || mcp.Port != 8101 || mcp.Transport != "http" {
		t.Errorf("REST on %s:%d, MCP (%s) on %s:%d; want 127.0.0.1:8100 and http on 127.0.0.1:8101", rest.Address, rest.Port, mcp.Transport, mcp.Address, mcp.Port)
	}
	var routes []string
	for _, r := range rest.Routes {
		routes = append(routes, r.Method+" "+r.Path+" → "+r.Call.Op.Method+" "+r.Call.Op.SpecPath)
	}
	wantRoutes := []string{
		"GET /v1/platforms → GET /v2/platform/all",
		"GET /v1/channels → GET /v2/user/channel/all",
		"GET /v1/channels/{id} → GET /v2/user/channel/{id}",
		"PATCH /v1/channels/{id} → PATCH /v2/user/channel/{id}",
		"GET /v1/channels/{id}/meta → GET /v2/user/channel-meta/{id}",
		"PATCH /v1/channels/{id}/meta → PATCH /v2/user/channel-meta/{id}",
		"GET /v1/stream-key → GET /v2/user/streamKey",
		"GET /v1/events/upcoming → GET /v2/user/events/upcoming",
		"GET /v1/events/in-progress → GET /v2/user/events/in-progress",
		"GET /v1/events/history → GET /v2/user/events/history",
		"GET /v1/events/{id} → GET /v2/user/events/{id}",
		"GET /v1/events/{id}/stream-key → GET /v2/user/events/{id}/streamKey",
		"GET /v1/studio/brands → GET /v2/user/studio/brands",
		"GET /v1/studio/captions → GET /v2/user/studio/captions",
		"POST /v1/studio/captions → POST /v2/user/studio/captions",
		"GET /v1/studio/captions/{id} → GET /v2/user/studio/captions/{captionId}",
		"PATCH /v1/studio/captions/{id} → PATCH /v2/user/studio/captions/{captionId}",
		"DELETE /v1/studio/captions/{id} → DELETE /v2/user/studio/captions/{captionId}",
		"GET /v1/studio/qr-codes → GET /v2/user/studio/qr-codes",
		"POST /v1/studio/qr-codes → POST /v2/user/studio/qr-codes",
		"GET /v1/studio/qr-codes/{id} → GET /v2/user/studio/qr-codes/{qrCodeId}",
		"PATCH /v1/studio/qr-codes/{id} → PATCH /v2/user/studio/qr-codes/{qrCodeId}",
		"DELETE /v1/studio/qr-codes/{id} → DELETE /v2/user/studio/qr-codes/{qrCodeId}",
		"PATCH /v1/studio/qr-codes/order → PATCH /v2/user/studio/qr-codes/order",
		"GET /v1/studio/tickers → GET /v2/user/studio/tickers",
		"POST /v1/studio/tickers → POST /v2/user/studio/tickers",
		"GET /v1/studio/fonts → GET /v2/user/studio/fonts",
		"GET /v1/studio/countdown-music → GET /v2/user/studio/audio/countdown-music",
		"GET /v1/studio/audio-backgrounds → GET /v2/user/studio/audio-backgrounds",
		"GET /v1/storage/files → GET /v2/user/storage/files",
		"GET /v1/clips/projects → GET /v2/user/clips/projects",
		"POST /v1/clips/projects → POST /v2/user/clips/projects",
		"GET /v1/clips/projects/{id} → GET /v2/user/clips/projects/{projectId}",
	}
	if !slices.Equal(routes, wantRoutes) {
		t.Errorf("routes:\n%s\nwant:\n%s", strings.Join(routes, "\n"), strings.Join(wantRoutes, "\n"))
	}
	var tools []string
	for _, tl := range mcp.Tools {
		tools = append(tools, tl.Name+" → "+tl.Call.Op.Spec.ID)
	}
	wantTools := []string{
		"list-platforms → listPlatforms",
		"get-user-profile → getUserProfile",
		"get-stream-key → getStreamKey",
		"list-channels → listChannels",
		"get-channel → getChannel",
		"update-channel → updateChannel",
		"get-channel-meta → getChannelMeta",
		"update-channel-meta → updateChannelMeta",
		"list-upcoming-events → listUpcomingEvents",
		"list-in-progress-events → listInProgressEvents",
		"list-event-history → listEventHistory",
		"get-event → getEvent",
		"get-event-stream-key → getEventStreamKey",
		"list-studio-brands → listStudioBrands",
		"list-studio-captions → listStudioCaptions",
		"get-studio-caption → getStudioCaption",
		"create-studio-caption → createStudioCaption",
		"update-studio-caption → updateStudioCaption",
		"delete-studio-caption → deleteStudioCaption",
		"list-studio-qr-codes → listStudioQrCodes",
		"get-studio-qr-code → getStudioQrCode",
		"create-studio-qr-code → createStudioQrCode",
		"update-studio-qr-code → updateStudioQrCode",
		"delete-studio-qr-code → deleteStudioQrCode",
		"reorder-studio-qr-codes → reorderStudioQrCodes",
		"list-studio-tickers → listStudioTickers",
		"create-studio-ticker → createStudioTicker",
		"list-studio-fonts → listStudioFonts",
		"list-studio-countdown-music → listStudioCountdownMusic",
		"list-studio-audio-backgrounds → listStudioAudioBackgrounds",
		"list-storage-files → listStorageFiles",
		"list-clips-projects → listClipsProjects",
		"get-clips-project → getClipsProject",
		"create-clips-project → createClipsProject",
	}
	if !slices.Equal(tools, wantTools) {
		t.Errorf("tools:\n%s\nwant:\n%s", strings.Join(tools, "\n"), strings.Join(wantTools, "\n"))
	}
}

func tool(t *testing.T, plan *capability.Plan, name string) *capability.Tool {
	t.Helper()
	for _, tl := range plan.MCP[0].Tools {
		if tl.Name == name {
			return tl
		}
	}
	t.Fatalf("no tool %s", name)
	return nil
}

func route(t *testing.T, plan *capability.Plan, method, path string) *capability.Route {
	t.Helper()
	for _, r := range plan.REST[0].Routes {
		if r.Method == method && r.Path == path {
			return r
		}
	}
	t.Fatalf("no route %s %s", method, path)
	return nil
}

// prop returns the schema of a property of an object schema.
func prop(s map[string]any, name string) map[string]any {
	props, _ := s["properties"].(map[string]any)
	p, _ := props[name].(map[string]any)
	return p
}

func required(s map[string]any) []string {
	var out []string
	l, _ := s["required"].([]any)
	for _, r := range l {
		out = append(out, r.(string))
	}
	slices.Sort(out)
	return out
}

func TestTheEmbeddedToolsHaveSchemasFromTheSpec(t *testing.T) {
	plan := loadDefault(t)
	tests := []struct {
		name  string
		check func(t *testing.T)
	}{
		{"update-channel requires id and active, an integer and a boolean", func(t *testing.T) {
			s := tool(t, plan, "update-channel").InputSchema
			if got := required(s); !slices.Equal(got, []string{"active", "id"}) {
				t.Errorf("required = %v, want [active id]", got)
			}
			if prop(s, "id")["type"] != "integer" || prop(s, "active")["type"] != "boolean" {
				t.Errorf("id is %v and active %v, want integer and boolean", prop(s, "id")["type"], prop(s, "active")["type"])
			}
			if prop(s, "id")["minimum"] != float64(1) {
				t.Errorf("id has no minimum 1 from the spec: %v", prop(s, "id"))
			}
		}},
		{"update-channel answers without a body, so it has no output schema", func(t *testing.T) {
			if tl := tool(t, plan, "update-channel"); tl.OutputSchema != nil || len(tl.Call.Outputs) != 0 {
				t.Errorf("outputSchema %v, outputs %d; want none", tl.OutputSchema, len(tl.Call.Outputs))
			}
		}},
		{"update-channel-meta requires title but not description, with the spec's length bounds", func(t *testing.T) {
			s := tool(t, plan, "update-channel-meta").InputSchema
			if got := required(s); !slices.Equal(got, []string{"id", "title"}) {
				t.Errorf("required = %v, want [id title]", got)
			}
			if prop(s, "title")["maxLength"] != uint64(140) || prop(s, "title")["minLength"] != uint64(1) {
				t.Errorf("title = %v, want minLength 1 and maxLength 140", prop(s, "title"))
			}
		}},
		{"get-channel-meta calls the spec's channel-meta path", func(t *testing.T) {
			op := tool(t, plan, "get-channel-meta").Call.Op
			if op.SpecPath != "/v2/user/channel-meta/{id}" || op.Path != "/user/channel-meta/{id}" || op.Spec.ID != "getChannelMeta" {
				t.Errorf("op = %s %s (%s), want /user/channel-meta/{id} (getChannelMeta)", op.Path, op.SpecPath, op.Spec.ID)
			}
			if out := tool(t, plan, "get-channel-meta").OutputSchema; out["type"] != "object" || prop(out, "title")["type"] != "string" {
				t.Errorf("outputSchema = %v, want the ChannelMeta object", out)
			}
		}},
		{"list-event-history exposes the API's pagination, both optional", func(t *testing.T) {
			s := tool(t, plan, "list-event-history").InputSchema
			if len(required(s)) != 0 || prop(s, "page")["minimum"] != float64(1) || prop(s, "limit")["maximum"] != float64(100) {
				t.Errorf("inputSchema = %v, want optional page (minimum 1) and limit (maximum 100)", s)
			}
			out := tool(t, plan, "list-event-history").OutputSchema
			if tool(t, plan, "list-event-history").WrapsResult || prop(out, "pagination")["type"] != "object" {
				t.Errorf("outputSchema = %v, want the EventHistory object unwrapped", out)
			}
		}},
		{"list-upcoming-events exposes the source enum", func(t *testing.T) {
			s := prop(tool(t, plan, "list-upcoming-events").InputSchema, "source")
			if fmt.Sprint(s["enum"]) != "[1 2 3]" {
				t.Errorf("source = %v, want enum [1 2 3]", s)
			}
		}},
		{"list-channels answers a list, wrapped under result as MCP requires an object", func(t *testing.T) {
			tl := tool(t, plan, "list-channels")
			res := prop(tl.OutputSchema, "result")
			if !tl.WrapsResult || tl.OutputSchema["type"] != "object" || res["type"] != "array" || prop(res["items"].(map[string]any), "active")["type"] != "boolean" {
				t.Errorf("WrapsResult %v, outputSchema %v; want {result: [Channel]}", tl.WrapsResult, tl.OutputSchema)
			}
			if got := required(tl.OutputSchema); !slices.Equal(got, []string{"result"}) {
				t.Errorf("required = %v, want [result]", got)
			}
		}},
		{"get-stream-key's nullable srtUrl is a one-type anyOf with null", func(t *testing.T) {
			s := prop(tool(t, plan, "get-stream-key").OutputSchema, "srtUrl")
			if fmt.Sprint(s["anyOf"]) != "[map[pattern:^srt:// type:string] map[type:null]]" {
				t.Errorf("srtUrl = %v", s)
			}
		}},
		{"output schemas allow fields the spec does not list, input schemas keep the spec's bounds", func(t *testing.T) {
			walk(tool(t, plan, "get-event").OutputSchema, "", func(at string, n map[string]any) {
				if _, ok := n["additionalProperties"]; ok {
					t.Errorf("get-event's output schema has additionalProperties at %q", at)
				}
			})
			if s := prop(tool(t, plan, "list-event-history").InputSchema, "limit"); s["maximum"] != float64(100) {
				t.Errorf("limit = %v, want maximum 100", s)
			}
		}},
		{"hints and titles come from the file", func(t *testing.T) {
			tl := tool(t, plan, "update-channel")
			h := tl.Hints
			if h.ReadOnly == nil || *h.ReadOnly || h.Idempotent == nil || !*h.Idempotent || h.Destructive == nil || *h.Destructive || tl.Title == "" {
				t.Errorf("update-channel hints %+v title %q, want not read-only, idempotent, not destructive, titled", h, tl.Title)
			}
			if h := tool(t, plan, "get-channel").Hints; h.ReadOnly == nil || !*h.ReadOnly {
				t.Errorf("get-channel is not read-only")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.check)
	}
}

var clientToolName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// walk calls f on every schema object in s (not on enum, default or const data).
func walk(s any, at string, f func(at string, s map[string]any)) {
	switch n := s.(type) {
	case map[string]any:
		f(at, n)
		for k, v := range n {
			if k == "enum" || k == "default" || k == "const" {
				continue
			}
			walk(v, at+"/"+k, f)
		}
	case []any:
		for i, v := range n {
			walk(v, fmt.Sprintf("%s/%d", at, i), f)
		}
	}
}

func TestEveryToolSchemaIsOneEveryMCPClientAccepts(t *testing.T) {
	plan := loadDefault(t)
	for _, tl := range plan.MCP[0].Tools {
		if !clientToolName.MatchString(tl.Name) {
			t.Errorf("tool name %q", tl.Name)
		}
		for kind, s := range map[string]map[string]any{"input": tl.InputSchema, "output": tl.OutputSchema} {
			if s == nil {
				continue
			}
			if s["type"] != "object" {
				t.Errorf("%s %s schema is not an object: %v", tl.Name, kind, s["type"])
			}
			walk(s, "", func(at string, n map[string]any) {
				for _, k := range []string{"$ref", "$schema", "$defs", "nullable"} {
					if _, ok := n[k]; ok {
						t.Errorf("%s %s schema has %s at %q", tl.Name, kind, k, at)
					}
				}
				if ty, ok := n["type"]; ok {
					if _, one := ty.(string); !one {
						t.Errorf("%s %s schema has type %v at %q, want a single type", tl.Name, kind, ty, at)
					}
				}
			})
		}
	}
}

func TestTheRoutesTakeTheirInputsWhereTheFacadeReadsThem(t *testing.T) {
	plan := loadDefault(t)
	tests := []struct {
		method, path string
		want         string // name:in:required, in order
	}{
		{"GET", "/v1/channels", ""},
		{"GET", "/v1/channels/{id}", "id:path:true"},
		{"PATCH", "/v1/channels/{id}", "id:path:true active:body:true"},
		{"PATCH", "/v1/channels/{id}/meta", "id:path:true description:body:false title:body:true"},
		{"GET", "/v1/events/history", "page:query:false limit:query:false"},
		{"GET", "/v1/events/{id}/stream-key", "id:path:true"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := route(t, plan, tt.method, tt.path)
			var got []string
			for _, in := range r.Inputs {
				got = append(got, fmt.Sprintf("%s:%s:%v", in.Name, in.In, in.Required))
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("inputs = %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
	t.Run("a nullable output field says nullable in OpenAPI 3.0's way", func(t *testing.T) {
		s := prop(route(t, plan, "GET", "/v1/stream-key").OutputSchema, "srtUrl")
		if s["type"] != "string" || s["nullable"] != true {
			t.Errorf("srtUrl = %v, want type string, nullable", s)
		}
	})
	t.Run("PATCH binds active from the body, keeping its type", func(t *testing.T) {
		r := route(t, plan, "PATCH", "/v1/channels/{id}")
		var got []string
		for _, b := range r.Call.Bindings {
			got = append(got, b.Slot.In+" "+b.Slot.Name+" ← "+b.Input)
		}
		if strings.Join(got, ", ") != "path id ← id, body active ← active" {
			t.Errorf("bindings = %v", got)
		}
	})
}

// seedDir finds the seed's capability files: shared/upstream/capabilities in a directory
// above this package (the checkout's parent, or the parent of the worktrees' directory).
func seedDir() string {
	dir, err := filepath.Abs(".")
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "shared", "upstream", "capabilities")
		if _, err := os.Stat(filepath.Join(p, "multistream-management.yaml")); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func TestTheSeedFilesFailWithTheExpectedErrors(t *testing.T) {
	src := seedDir()
	if src == "" {
		t.Skip("the seed files (shared/upstream/capabilities, beside the repository or above it) are not on this machine: they are reference only, never committed")
	}
	dir := t.TempDir()
	for _, f := range []string{"multistream-management.yaml", "shared/restream-api.yaml"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts := options(t)
	var warnings []string
	opts.Warn = func(w string) { warnings = append(warnings, w) }
	_, err := capability.Load(os.DirFS(dir), "multistream-management.yaml", opts)
	want := []string{
		"shared/restream-api.yaml:119: consumes restream operation update-channel (PATCH /user/channel/{id}) body: displayName is not a field of updateChannel's request body (it has: active)",
		"shared/restream-api.yaml:125: consumes restream operation get-channel-meta (GET /user/channel/{id}/meta): GET /v2/user/channel/{id}/meta is not an operation of the Restream API; did you mean GET /v2/user/channel-meta/{id} (getChannelMeta)?",
		"shared/restream-api.yaml:139: consumes restream operation update-channel-meta (PATCH /user/channel/{id}/meta): PATCH /v2/user/channel/{id}/meta is not an operation of the Restream API; did you mean PATCH /v2/user/channel-meta/{id} (updateChannelMeta)?",
		"shared/restream-api.yaml:163: consumes restream operation list-upcoming-events (GET /user/event/upcoming): GET /v2/user/event/upcoming is not an operation of the Restream API; did you mean GET /v2/user/events/upcoming (listUpcomingEvents)?",
		"shared/restream-api.yaml:176: consumes restream operation list-in-progress-events (GET /user/event/in-progress): GET /v2/user/event/in-progress is not an operation of the Restream API; did you mean GET /v2/user/events/in-progress (listInProgressEvents)?",
		"shared/restream-api.yaml:189: consumes restream operation list-event-history (GET /user/event/history): GET /v2/user/event/history is not an operation of the Restream API; did you mean GET /v2/user/events/history (listEventHistory)?",
		"shared/restream-api.yaml:213: consumes restream operation get-event (GET /user/event/{id}): GET /v2/user/event/{id} is not an operation of the Restream API; did you mean GET /v2/user/events/{id} (getEvent)?",
		"shared/restream-api.yaml:232: consumes restream operation get-event-stream-key (GET /user/event/{id}/streamKey): GET /v2/user/event/{id}/streamKey is not an operation of the Restream API; did you mean GET /v2/user/events/{id}/streamKey (getEventStreamKey)?",
		"multistream-management.yaml:250: mcp multistream-management-mcp tool update-channel: with displayName: displayName is not a value of updateChannel (it takes: id, active)",
	}
	if got := errorLines(err); !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantWarnings := []string{
		"shared/restream-api.yaml: consumes imported from capability.consumes",
		"shared/restream-api.yaml: the imported file's own exposed adapters are not started",
		"shared/restream-api.yaml: type, required and description on consumed inputParameters are not in the format",
		"multistream-management.yaml: fields the format does not define, read anyway: rest multistream-management-api: description",
		"multistream-management.yaml: rest.x / tools.x aliases accepted",
		"multistream-management.yaml: naftiko 1.0.0-alpha1 header with alpha2 fields, accepted: hints",
	}
	for _, w := range wantWarnings {
		if !slices.ContainsFunc(warnings, func(s string) bool { return strings.HasPrefix(s, w) }) {
			t.Errorf("no warning %q among:\n%s", w, strings.Join(warnings, "\n"))
		}
	}
}

func TestEachSeedDefectClassIsALoadErrorNamingTheElement(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"operation-not-in-spec.yaml", []string{
			"operation-not-in-spec.yaml:22: consumes restream operation get-channel-meta (GET /user/channel/{id}/meta): GET /v2/user/channel/{id}/meta is not an operation of the Restream API; did you mean GET /v2/user/channel-meta/{id} (getChannelMeta)?",
		}},
		{"unbound-variable.yaml", []string{
			"unbound-variable.yaml:16: consumes restream authentication: unbound {{RESTREAM_TOKEN}}: no bind declares RESTREAM_TOKEN",
		}},
		{"unknown-call-target.yaml", []string{
			"unknown-call-target.yaml:29: mcp defect-mcp tool get-channel: unknown call target restream.get-chanel: restream has no operation get-chanel; did you mean restream.get-channel?",
			"unknown-call-target.yaml:32: mcp defect-mcp tool get-channel-elsewhere: unknown call target twitch.get-channel: no consumed API has namespace twitch (consumed: restream)",
		}},
		{"duplicate-names-and-ports.yaml", []string{
			"duplicate-names-and-ports.yaml:33: mcp defect-mcp: port 19602 is also the port of rest defect-rest",
			"duplicate-names-and-ports.yaml:40: mcp defect-mcp tool list-channels: tool name list-channels is used twice",
		}},
		{"values-not-in-spec.yaml", []string{
			"values-not-in-spec.yaml:28: consumes restream operation update-channel (PATCH /user/channel/{id}) body: displayName is not a field of updateChannel's request body (it has: active)",
			"values-not-in-spec.yaml:40: mcp defect-mcp tool update-channel: with displayName: displayName is not a value of updateChannel (it takes: id, active)",
		}},
		{"output-type-differs.yaml", []string{
			"output-type-differs.yaml:25: consumes restream operation list-event-history (GET /user/events/history) inputParameter offset: offset is not a parameter of listEventHistory (it takes: page, limit)",
			"output-type-differs.yaml:32: mcp defect-mcp tool list-event-history outputParameters[0]: mapping $. is typed array, but selects an object of listEventHistory's 200 OK answer",
		}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".yaml"), func(t *testing.T) {
			plan, err := capability.Load(os.DirFS("testdata/defects"), tt.file, options(t))
			if plan != nil {
				t.Error("a plan came back with the errors")
			}
			if got := errorLines(err); !slices.Equal(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			var e *capability.Error
			if !errors.As(err, &e) || e.Line == 0 || e.Element == "" {
				t.Errorf("the first error is %#v, want an *Error with a line and an element", e)
			}
		})
	}
}

// capabilityFile is a small valid capability: one MCP tool over getChannel, the API imported
// from importPath (or inline when it is "").
func capabilityFile(importPath string) string {
	consumes := `
    - type: http
      namespace: restream
      baseUri: https://api.restream.io/v2
      authentication: {type: bearer, token: "{{RESTREAM_ACCESS_TOKEN}}"}
      resources:
        - name: channel
          path: /user/channel/{id}
          operations:
            - {name: get-channel, method: GET}`
	if importPath != "" {
		consumes = "\n    - {import: restream, location: " + importPath + "}"
	}
	return `naftiko: "1.0.0-alpha2"
binds:
  - namespace: env
    keys: {RESTREAM_ACCESS_TOKEN: RESTREAM_ACCESS_TOKEN}
capability:
  consumes:` + consumes + `
  exposes:
    - type: mcp
      namespace: test-mcp
      port: 19603
      tools:
        - {name: get-channel, description: "Get a channel", call: restream.get-channel}
`
}

// consumesFile is a consumes file declaring restream, or importing it from next.
func consumesFile(next string) string {
	if next != "" {
		return "naftiko: \"1.0.0-alpha2\"\nconsumes:\n  - {import: restream, location: " + next + "}\n"
	}
	return `naftiko: "1.0.0-alpha2"
consumes:
  - type: http
    namespace: restream
    baseUri: https://api.restream.io/v2
    authentication: {type: bearer, token: "{{RESTREAM_ACCESS_TOKEN}}"}
    resources:
      - name: channel
        path: /user/channel/{id}
        operations:
          - {name: get-channel, method: GET}
`
}

func TestImportsResolveRelativeToTheImportingFile(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"caps/main.yaml":          capabilityFile("./apis/restream.yaml"),
		"caps/apis/restream.yaml": consumesFile("../shared/real.yaml"),
		"caps/shared/real.yaml":   consumesFile(""),
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("from an os.DirFS", func(t *testing.T) {
		plan, err := capability.Load(os.DirFS(filepath.Join(dir, "caps")), "main.yaml", options(t))
		if err != nil {
			t.Fatal(err)
		}
		if got := plan.MCP[0].Tools[0].Call.Op.SpecPath; got != "/v2/user/channel/{id}" {
			t.Errorf("the tool calls %s", got)
		}
	})
	t.Run("from a file name, errors naming the file as given", func(t *testing.T) {
		if _, err := capability.LoadFile(filepath.Join(dir, "caps", "main.yaml"), options(t)); err != nil {
			t.Fatal(err)
		}
		_, err := capability.LoadFile(filepath.Join(dir, "caps", "missing.yaml"), options(t))
		if want := filepath.Join(dir, "caps", "missing.yaml") + ": cannot read the file"; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("err = %v, want it to start %q", err, want)
		}
	})
}

func TestImportsAndFilesAreBounded(t *testing.T) {
	deep := fstest.MapFS{"main.yaml": {Data: []byte(capabilityFile("./c0.yaml"))}}
	for i := range 10 {
		deep[fmt.Sprintf("c%d.yaml", i)] = &fstest.MapFile{Data: []byte(consumesFile(fmt.Sprintf("./c%d.yaml", i+1)))}
	}
	deep["c10.yaml"] = &fstest.MapFile{Data: []byte(consumesFile(""))}
	huge := capabilityFile("") + "# " + strings.Repeat("x", 1<<20) + "\n"
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"an import cycle is refused", fstest.MapFS{
			"main.yaml": {Data: []byte(capabilityFile("./a.yaml"))},
			"a.yaml":    {Data: []byte(consumesFile("./b.yaml"))},
			"b.yaml":    {Data: []byte(consumesFile("./a.yaml"))},
		}, `b.yaml:3: import restream: location "./a.yaml" closes an import cycle (main.yaml → a.yaml → b.yaml → a.yaml)`},
		{"a file importing itself is refused", fstest.MapFS{
			"main.yaml": {Data: []byte(capabilityFile("./main.yaml"))},
		}, `main.yaml:7: import restream: location "./main.yaml" closes an import cycle (main.yaml → main.yaml)`},
		{"imports nest at most 8 files deep", deep, "imports nest deeper than 8 files"},
		{"an import cannot leave the capability's directory", fstest.MapFS{
			"main.yaml": {Data: []byte(capabilityFile("../outside.yaml"))},
		}, `main.yaml:7: import restream: location "../outside.yaml" leaves the capability's directory`},
		{"an absolute or URL import is refused", fstest.MapFS{
			"main.yaml": {Data: []byte(capabilityFile("file:///etc/passwd"))},
		}, `must be a path relative to the importing file`},
		{"a capability file over 1 MiB is refused", fstest.MapFS{
			"main.yaml": {Data: []byte(huge)},
		}, "main.yaml: the file is larger than 1048576 bytes"},
		{"an imported file over 1 MiB is refused", fstest.MapFS{
			"main.yaml": {Data: []byte(capabilityFile("./big.yaml"))},
			"big.yaml":  {Data: []byte(consumesFile("") + "# " + strings.Repeat("x", 1<<20) + "\n")},
		}, "big.yaml: the file is larger than 1048576 bytes"},
		{"a second YAML document is refused", fstest.MapFS{
			"main.yaml": {Data: []byte(capabilityFile("") + "---\nnaftiko: x\n")},
		}, "the file holds more than one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := capability.Load(tt.fsys, "main.yaml", options(t))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestBindsComeFromTheEnvironmentAndNeverShowInMessages(t *testing.T) {
	fsys := fstest.MapFS{"main.yaml": {Data: []byte(capabilityFile(""))}}
	t.Run("a missing variable is an error naming it", func(t *testing.T) {
		opts := options(t)
		opts.Env = func(string) (string, bool) { return "", false }
		_, err := capability.Load(fsys, "main.yaml", opts)
		if want := "main.yaml:4: bind env: variable RESTREAM_ACCESS_TOKEN: the environment variable RESTREAM_ACCESS_TOKEN is not set"; err == nil || err.Error() != want {
			t.Errorf("err = %v, want %q", err, want)
		}
	})
	t.Run("a provided variable leaves the token to its source", func(t *testing.T) {
		opts := options(t)
		opts.Env = func(string) (string, bool) { return "", false }
		opts.Provided = []string{"RESTREAM_ACCESS_TOKEN"}
		plan, err := capability.Load(fsys, "main.yaml", opts)
		if err != nil {
			t.Fatal(err)
		}
		if a := plan.APIs[0].Auth; a.Token != "" || a.TokenVar != "RESTREAM_ACCESS_TOKEN" || a.Kind != "bearer" {
			t.Errorf("auth = %+v", a)
		}
	})
	t.Run("a bind variable in a request value is refused without its value", func(t *testing.T) {
		bad := strings.Replace(capabilityFile(""), "{name: get-channel, description: \"Get a channel\", call: restream.get-channel}",
			"{name: get-channel, description: \"Get a channel\", call: restream.get-channel, with: {id: \"{{RESTREAM_ACCESS_TOKEN}}\"}}", 1)
		_, err := capability.Load(fstest.MapFS{"main.yaml": {Data: []byte(bad)}}, "main.yaml", options(t))
		if err == nil || !strings.Contains(err.Error(), "{{RESTREAM_ACCESS_TOKEN}} is a bind variable: binds fill authentication only") {
			t.Errorf("err = %v", err)
		}
		if err != nil && strings.Contains(err.Error(), testToken) {
			t.Errorf("the error shows the token: %v", err)
		}
	})
}

func TestTheSeedDialectIsAcceptedWithWarnings(t *testing.T) {
	// An alpha1 header with alpha2 hints, consumes under capability in the imported file,
	// rest.x / tools.x aliases and {id} templates: the seed's dialect on spec paths.
	main := `naftiko: "1.0.0-alpha1"
binds:
  - namespace: env
    keys: {RESTREAM_ACCESS_TOKEN: RESTREAM_ACCESS_TOKEN}
capability:
  consumes:
    - {import: restream, location: ./shared/api.yaml}
  exposes:
    - type: rest
      port: 19604
      namespace: seedlike-api
      description: "not in the format"
      resources:
        - path: /v1/channels/{id}
          operations:
            - {method: PATCH, call: restream.update-channel, with: {id: rest.id}}
    - type: mcp
      port: 19605
      namespace: seedlike-mcp
      tools:
        - name: update-channel
          description: "Enable or disable a channel"
          hints: {readOnly: false, idempotent: true}
          call: restream.update-channel
          with: {id: tools.id, active: tools.active}
`
	shared := `naftiko: "1.0.0-alpha1"
capability:
  consumes:
    - type: http
      namespace: restream
      baseUri: https://api.restream.io/v2
      authentication: {type: bearer, token: "{{RESTREAM_ACCESS_TOKEN}}"}
      resources:
        - name: channel
          path: /user/channel/{id}
          operations:
            - name: update-channel
              method: PATCH
              inputParameters:
                - {name: id, in: path, type: integer, required: true, description: "Channel identifier"}
              body: {type: json, data: {active: "{{tools.active}}"}}
`
	plan, err := capability.Load(fstest.MapFS{"main.yaml": {Data: []byte(main)}, "shared/api.yaml": {Data: []byte(shared)}}, "main.yaml", options(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"shared/api.yaml: consumes imported from capability.consumes (the format puts an imported file's consumes at the top level), accepted",
		"shared/api.yaml: type, required and description on consumed inputParameters are not in the format; the spec's are used: update-channel.id",
		"shared/api.yaml: rest.x / tools.x aliases accepted for the calling adapter's inputs (the format writes <namespace>.x): tools.active",
		"main.yaml: fields the format does not define, read anyway: rest seedlike-api: description",
		"main.yaml: rest.x / tools.x aliases accepted for the calling adapter's inputs (the format writes <namespace>.x): rest.id; tools.id; tools.active",
		"main.yaml: naftiko 1.0.0-alpha1 header with alpha2 fields, accepted: hints",
	}
	if !slices.Equal(plan.Warnings, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(plan.Warnings, "\n"), strings.Join(want, "\n"))
	}
	r := plan.REST[0].Routes[0]
	if len(r.Inputs) != 2 || r.Inputs[1].Name != "active" || r.Inputs[1].In != "body" || !r.Inputs[1].Required {
		t.Errorf("the PATCH route's inputs are %+v, want id in path and active in the body (the consumed body's {{tools.active}})", r.Inputs)
	}
	if h := plan.MCP[0].Tools[0].Hints; h.ReadOnly == nil || *h.ReadOnly || h.Destructive != nil {
		t.Errorf("hints = %+v, want readOnly false and destructive unset", h)
	}
}

func TestEveryProblemOfAFileIsReportedAtOnce(t *testing.T) {
	bad := `naftiko: "1.0.0-alpha2"
binds:
  - namespace: env
    keys: {RESTREAM_ACCESS_TOKEN: RESTREAM_ACCESS_TOKEN}
capability:
  consumes:
    - type: http
      namespace: restream
      baseUri: https://api.restream.io/v2
      authentication: {type: bearer, token: "{{RESTREAM_TOKEN}}"}
      resources:
        - name: meta
          path: /user/channel/{id}/meta
          operations:
            - {name: get-channel-meta, method: GET}
  exposes:
    - type: rest
      port: 19606
      namespace: many-api
      resources:
        - path: /v1/x
          operations:
            - {method: GET, call: restream.nothing}
    - type: mcp
      port: 19606
      namespace: many-mcp
      tools:
        - {name: "bad name!", description: d, call: restream.get-channel-meta}
        - {name: t, description: d, call: other.op}
`
	_, err := capability.Load(fstest.MapFS{"main.yaml": {Data: []byte(bad)}}, "main.yaml", options(t))
	for _, want := range []string{
		"unbound {{RESTREAM_TOKEN}}",
		"did you mean GET /v2/user/channel-meta/{id} (getChannelMeta)?",
		"unknown call target restream.nothing: restream has no operation nothing",
		"port 19606 is also the port of rest many-api",
		`name "bad name!" does not match ^[A-Za-z0-9_-]{1,64}$`,
		"unknown call target other.op: no consumed API has namespace other",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("no error %q in:\n%v", want, err)
		}
	}
	if n := len(errorLines(err)); n != 6 {
		t.Errorf("%d errors, want 6:\n%v", n, err)
	}
}

func TestLoadRefusesAFileSystemWithoutTheFile(t *testing.T) {
	_, err := capability.Load(fstest.MapFS{}, "nothing.yaml", options(t))
	if want := "nothing.yaml: cannot read the file: " + fs.ErrNotExist.Error(); err == nil || err.Error() != want {
		t.Errorf("err = %v", err)
	}
}

// withTool is capabilityFile("") with its tool written as tool (a YAML flow mapping).
func withTool(tool string) fstest.MapFS {
	f := strings.Replace(capabilityFile(""), `{name: get-channel, description: "Get a channel", call: restream.get-channel}`, tool, 1)
	return fstest.MapFS{"main.yaml": {Data: []byte(f)}}
}

func TestToolInputsMustAgreeWithTheSpec(t *testing.T) {
	tests := []struct {
		name, tool, want string
	}{
		{"a declared type other than the spec's is refused",
			`{name: t, description: d, call: restream.get-channel, inputParameters: [{name: id, type: string, description: x}]}`,
			"main.yaml:21: mcp test-mcp tool t inputParameter id: type string, but the spec's id is integer"},
		{"an input the spec requires cannot be declared optional",
			`{name: t, description: d, call: restream.get-channel, inputParameters: [{name: id, type: integer, description: x, required: false}]}`,
			"main.yaml:21: mcp test-mcp tool t inputParameter id: id is declared optional, but getChannel requires it"},
		{"a declared input that fills nothing is refused",
			`{name: t, description: d, call: restream.get-channel, inputParameters: [{name: extra, type: string, description: x}]}`,
			"main.yaml:21: mcp test-mcp tool t inputParameter extra: extra fills no value of getChannel (it takes: id)"},
		{"a tool cannot name REST inputs",
			`{name: t, description: d, call: restream.get-channel, with: {id: rest.id}}`,
			"main.yaml:21: mcp test-mcp tool t: with id: rest.id refers to REST inputs, but this is an MCP tool test-mcp: write test-mcp.id"},
		{"a literal must fit the spec's type",
			`{name: t, description: d, call: restream.get-channel, with: {id: abc}}`,
			`main.yaml:21: mcp test-mcp tool t: id: "abc" is not an integer, as the spec's id is`},
		{"a with key the operation does not take is refused",
			`{name: t, description: d, call: restream.get-channel, with: {channel: test-mcp.id}}`,
			"main.yaml:21: mcp test-mcp tool t: with channel: channel is not a value of getChannel (it takes: id)"},
		{"another adapter's namespace is not an input reference",
			`{name: t, description: d, call: restream.get-channel, with: {id: "{{other.id}}"}}`,
			"main.yaml:21: mcp test-mcp tool t: with id: {{other.id}}: other is not this adapter's namespace (test-mcp) nor an alias (rest, tools)"},
		{"a tool without a description is refused",
			`{name: t, call: restream.get-channel}`,
			"main.yaml:21: mcp test-mcp tool t: description is missing: the format requires one, and it is what a model reads to choose the tool"},
		{"an orchestrated tool is refused",
			`{name: t, description: d, steps: [{type: call, name: a, call: restream.get-channel}]}`,
			"main.yaml:21: mcp test-mcp tool t: orchestrated or referenced tools (steps, mappings, ref) are not supported by restream-gateway: call one operation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := capability.Load(withTool(tt.tool), "main.yaml", options(t))
			if got := errorLines(err); len(got) != 1 || got[0] != tt.want {
				t.Errorf("errors = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("an input used in a template of a required value is required", func(t *testing.T) {
		plan, err := capability.Load(withTool(`{name: t, description: d, call: restream.get-channel, with: {id: "{{test-mcp.chan}}0"}}`), "main.yaml", options(t))
		if err != nil {
			t.Fatal(err)
		}
		tl := plan.MCP[0].Tools[0]
		if got := required(tl.InputSchema); !slices.Equal(got, []string{"chan"}) || prop(tl.InputSchema, "chan")["type"] != "string" {
			t.Errorf("inputSchema = %v, want a required string chan", tl.InputSchema)
		}
		if b := tl.Call.Bindings[0]; b.Template != "{{chan}}0" || b.Input != "" {
			t.Errorf("binding = %+v, want the template {{chan}}0", b)
		}
	})
}

// restFile is a capability whose REST adapter serves resources (YAML list items, indented by
// eight spaces) over getChannel, updateChannel and listEventHistory.
func restFile(resources string) fstest.MapFS {
	f := `naftiko: "1.0.0-alpha2"
binds:
  - namespace: env
    keys: {RESTREAM_ACCESS_TOKEN: RESTREAM_ACCESS_TOKEN}
capability:
  consumes:
    - type: http
      namespace: restream
      baseUri: https://api.restream.io/v2
      authentication: {type: bearer, token: "{{RESTREAM_ACCESS_TOKEN}}"}
      resources:
        - name: channel
          path: /user/channel/{id}
          operations:
            - {name: get-channel, method: GET}
            - {name: update-channel, method: PATCH}
        - name: history
          path: /user/events/history
          operations:
            - {name: list-event-history, method: GET}
  exposes:
    - type: rest
      namespace: test-api
      port: 19607
      resources:
` + resources
	return fstest.MapFS{"main.yaml": {Data: []byte(f)}}
}

func TestRESTRoutesMustBeServableAndBound(t *testing.T) {
	tests := []struct {
		name, resources string
		want            []string
	}{
		{"two routes of one method and path shape are refused", `
        - path: /v1/channels/{id}
          operations: [{method: GET, call: restream.get-channel}]
        - path: /v1/channels/{channel}
          operations: [{method: GET, call: restream.get-channel, with: {id: test-api.channel}}]
`, []string{"main.yaml:30: rest test-api GET /v1/channels/{channel}: GET /v1/channels/{channel} is already served by rest test-api GET /v1/channels/{id}"}},
		{"a path variable that fills nothing is refused", `
        - path: /v1/users/{user}/channels/{id}
          operations: [{method: GET, call: restream.get-channel}]
`, []string{"main.yaml:28: rest test-api GET /v1/users/{user}/channels/{id}: the path's {user} fills no value of getChannel (it takes: id); bind it with `with`"}},
		{"a path that is not a template of whole segments is refused", `
        - path: /v1/channels/ch-{id}
          operations: [{method: GET, call: restream.get-channel}]
`, []string{`main.yaml:27: rest test-api /v1/channels/ch-{id}: path "/v1/channels/ch-{id}": segment "ch-{id}" is not a whole-segment variable {name}`}},
		{"a forward resource is refused", `
        - path: /v1/anything
          forward: {targetNamespace: restream}
`, []string{"main.yaml:27: rest test-api /v1/anything: forward is not supported by restream-gateway: every route calls one declared operation"}},
		{"an output mapping that is not JSONPath is refused", `
        - path: /v1/events
          operations: [{method: GET, call: restream.list-event-history, outputParameters: [{type: array, mapping: "$.items[?"}]}]
`, []string{`main.yaml:28: rest test-api GET /v1/events outputParameters[0]: mapping "$.items[?" is not a JSONPath (RFC 9535): `}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := capability.Load(restFile(tt.resources), "main.yaml", options(t))
			got := errorLines(err)
			if len(got) != len(tt.want) {
				t.Fatalf("errors = %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("error %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
	t.Run("implicit inputs: path variables, the operation's query parameters and body fields", func(t *testing.T) {
		plan, err := capability.Load(restFile(`
        - path: /v1/channels/{id}
          operations: [{method: PATCH, call: restream.update-channel}]
        - path: /v1/events
          operations: [{method: GET, call: restream.list-event-history, outputParameters: [{type: array, mapping: "$.items"}]}]
`), "main.yaml", options(t))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range plan.REST[0].Routes {
			for _, in := range r.Inputs {
				got = append(got, fmt.Sprintf("%s %s:%s:%v", r.Method, in.Name, in.In, in.Required))
			}
		}
		if want := "PATCH id:path:true PATCH active:body:true GET page:query:false GET limit:query:false"; strings.Join(got, " ") != want {
			t.Errorf("inputs = %q, want %q", strings.Join(got, " "), want)
		}
		out := plan.REST[0].Routes[1].OutputSchema
		if out["type"] != "array" || out["items"].(map[string]any)["type"] != "object" {
			t.Errorf("the $.items output schema is %v, want the array of events", out)
		}
	})
}
