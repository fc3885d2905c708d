package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/restreamkit/restreamkit/internal/clitest"
)

// stdioHelperEnv, set to 1, makes the test binary an MCP server over stdio instead of running
// tests (see TestMain): the command the TypeScript client launches, as a desktop assistant
// launches restream-gateway --stdio.
const stdioHelperEnv = "MCPSERVER_TEST_STDIO_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(stdioHelperEnv) == "1" {
		os.Exit(serveStdioHelper())
	}
	os.Exit(m.Run())
}

// serveStdioHelper serves the hand-built adapter through a fake invoker on stdin and stdout
// until stdin ends, and returns the exit code.
func serveStdioHelper() int {
	srv, err := New(testAdapter(), newFakeInvoker(), Options{Version: "1.2.3"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.ServeStdio(ctx, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// tsSummary is what testdata/ts-client.mjs prints.
type tsSummary struct {
	Server *struct {
		Name, Version string
	} `json:"server"`
	ProtocolVersion string `json:"protocolVersion"`
	SessionID       string `json:"sessionId"`
	Instructions    string `json:"instructions"`
	Tools           []struct {
		Name         string          `json:"name"`
		Annotations  json.RawMessage `json:"annotations"`
		InputSchema  map[string]any  `json:"inputSchema"`
		OutputSchema map[string]any  `json:"outputSchema"`
	} `json:"tools"`
	Problems []string `json:"problems"`
	Calls    []struct {
		Name              string         `json:"name"`
		IsError           bool           `json:"isError"`
		Text              string         `json:"text"`
		StructuredContent map[string]any `json:"structuredContent"`
		Error             string         `json:"error"`
	} `json:"calls"`
	Error string `json:"error"`
}

// nodeAndSDK returns node's path and the repository root, whose node_modules holds the
// TypeScript SDK (npm ci); clitest.Node skips the test without them, or fails it in CI.
func nodeAndSDK(t *testing.T) (node, root string) {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	return clitest.Node(t, root, "@modelcontextprotocol/sdk"), root
}

// runTSClient runs the TypeScript SDK's client script with args and returns its summary and
// whether it exited 0.
func runTSClient(t *testing.T, env []string, args ...string) (tsSummary, bool) {
	t.Helper()
	node, _ := nodeAndSDK(t)
	cmd := exec.CommandContext(t.Context(), node, append([]string{"testdata/ts-client.mjs"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running the TypeScript client: %v\n%s", err, stderr.String())
	}
	var sum tsSummary
	if jerr := json.Unmarshal(stdout.Bytes(), &sum); jerr != nil {
		t.Fatalf("the TypeScript client printed no summary (%v):\n%s\n%s", jerr, stdout.String(), stderr.String())
	}
	if sum.Error != "" {
		t.Fatalf("the TypeScript client failed: %s\n%s", sum.Error, stderr.String())
	}
	if stderr.Len() > 0 && (t.Failed() || testing.Verbose()) {
		t.Logf("TypeScript client stderr:\n%s", stderr.String())
	}
	return sum, err == nil
}

// tsTransports are the two ways the TypeScript client reaches the server: a URL served by
// Handler over real HTTP, or the test binary relaunched as a stdio server (TestMain). They
// return the client's transport arguments, its extra environment, and the fake invoker when it
// lives in this process.
var tsTransports = []struct {
	name    string
	session bool
	start   func(t *testing.T, opts Options) (args, env []string, inv *fakeInvoker)
}{
	{"Streamable HTTP", true, func(t *testing.T, opts Options) ([]string, []string, *fakeInvoker) {
		_, inv, url := newTestServer(t, opts)
		return []string{url}, nil, inv
	}},
	{"stdio", false, func(t *testing.T, _ Options) ([]string, []string, *fakeInvoker) {
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		return []string{"--stdio", exe}, []string{stdioHelperEnv + "=1"}, nil
	}},
}

func TestTypeScriptSDKClientListsChecksAndCallsTools(t *testing.T) {
	for _, tr := range tsTransports {
		t.Run(tr.name, func(t *testing.T) {
			nodeAndSDK(t)
			args, env, inv := tr.start(t, Options{Version: "1.2.3"})
			sum, ok := runTSClient(t, env, append([]string{
				"--call", "get-channel", `{"id":2}`,
				"--call", "update-channel", `{"id":1,"active":false}`,
				"--call", "get-channel", `{"id":1}`,
			}, args...)...)
			if !ok {
				t.Errorf("the client reported a failure: %+v", sum)
			}
			if sum.ProtocolVersion != v20251125 || (sum.SessionID != "") != tr.session {
				t.Errorf("protocol %q session %q, want the SDK's 2025-11-25, with a session: %t",
					sum.ProtocolVersion, sum.SessionID, tr.session)
			}
			if sum.Server == nil || sum.Server.Name != "restream-tools" || sum.Server.Version != "1.2.3" ||
				sum.Instructions != "Manage a creator's multistreaming." {
				t.Errorf("server %+v instructions %q", sum.Server, sum.Instructions)
			}

			if len(sum.Problems) != 0 {
				t.Errorf("schema problems the client found: %v", sum.Problems)
			}
			want := map[string]map[string]any{}
			for _, tl := range testAdapter().Tools {
				in := maps.Clone(tl.InputSchema)
				in["additionalProperties"] = false
				want[tl.Name] = in
			}
			for _, tl := range sum.Tools {
				if w, ok := want[tl.Name]; !ok || !sameJSON(t, tl.InputSchema, w) {
					t.Errorf("%s: the client sees inputSchema %v, want %v", tl.Name, tl.InputSchema, w)
				}
				delete(want, tl.Name)
			}
			if len(want) != 0 {
				t.Errorf("tools the client did not list: %v", want)
			}

			if len(sum.Calls) != 3 {
				t.Fatalf("calls %+v", sum.Calls)
			}
			if c := sum.Calls[0]; c.IsError || !sameJSON(t, c.StructuredContent, map[string]any{"id": 2, "displayName": "Channel 2", "active": true}) {
				t.Errorf("get-channel 2: %+v", c)
			}
			if c := sum.Calls[1]; c.IsError || c.StructuredContent != nil || !strings.Contains(c.Text, "204") {
				t.Errorf("update-channel: %+v", c)
			}
			if c := sum.Calls[2]; c.IsError || c.StructuredContent["active"] != false {
				t.Errorf("get-channel 1 after update-channel: %+v, want it inactive", c)
			}
			if inv != nil {
				inv.mu.Lock()
				defer inv.mu.Unlock()
				if inv.active[1] {
					t.Error("update-channel through the TypeScript client did not reach the upstream")
				}
			}
		})
	}
}

func TestTypeScriptSDKClientAcceptsEveryKindOfErrorResult(t *testing.T) {
	// The TypeScript client throws when a tool with an outputSchema answers a successful
	// result without structuredContent; every answer the server cannot send as conforming
	// structuredContent is therefore an isError result, which it hands over as it is.
	_, _, url := newTestServer(t, Options{MaxResultBytes: 1000})
	sum, ok := runTSClient(t, nil,
		"--call", "get-channel", `{"id":404}`, // upstream 404
		"--call", "get-channel", `{"id":4242}`, // answer off its schema
		"--call", "get-channel", `{"id":9000}`, // answer over the cap
		"--call", "get-channel", `{"id":502}`, // upstream unreachable
		"--call", "get-channel", `{"id":"x"}`, // invalid arguments
		url)
	if ok {
		t.Error("the client reported success for failing calls")
	}
	if len(sum.Calls) != 5 {
		t.Fatalf("calls %+v", sum.Calls)
	}
	for i, c := range sum.Calls[:4] {
		if !c.IsError || c.StructuredContent != nil || c.Error != "" || c.Text == "" {
			t.Errorf("call %d: %+v, want an isError result with text", i, c)
		}
	}
	if c := sum.Calls[4]; !strings.Contains(c.Error, "-32602") || !strings.Contains(c.Error, "/id") {
		t.Errorf("invalid arguments: %+v, want the invalid params error naming /id", c)
	}
}
