package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/restreamkit/restreamkit/internal/clitest"
	"github.com/restreamkit/restreamkit/restreamtest"
)

var binary string

func TestMain(m *testing.M) { clitest.Main(m, "restream-gateway", &binary) }

var (
	restLine = regexp.MustCompile(`^restream-gateway \S+: rest \S+ on (http://\S+)$`)
	mcpLine  = regexp.MustCompile(`^restream-gateway \S+: mcp \S+ on (http://\S+)$`)
)

// gateway is a running restream-gateway.
type gateway struct {
	cmd        *exec.Cmd
	rest, mcp  string // base URLs
	stdout     *clitest.Output
	stderr     *clitest.Output
	mock       *restreamtest.Server
	mockToken  string
	upstreamV2 string
}

// start runs the binary with the embedded capability in front of a fresh mock, both adapters on
// free loopback ports, the token and the upstream given through the environment.
func start(t *testing.T, args ...string) *gateway {
	t.Helper()
	rs := restreamtest.NewServer(t)
	g := &gateway{mock: rs, mockToken: rs.Token(rs.DefaultUser), upstreamV2: rs.URL + "/v2"}
	g.cmd = exec.Command(binary, append([]string{"--rest-addr", "127.0.0.1:0", "--mcp-addr", "127.0.0.1:0"}, args...)...)
	g.cmd.Env = append(os.Environ(), "RESTREAM_ACCESS_TOKEN="+g.mockToken, "RESTREAM_GATEWAY_UPSTREAM="+g.upstreamV2)
	g.stdout, g.stderr = clitest.NewOutput(), clitest.NewOutput()
	g.cmd.Stdout, g.cmd.Stderr = g.stdout, g.stderr
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.cmd.Process.Kill(); g.cmd.Wait() })
	// The banner is on standard error: standard output may carry the report (--report -).
	g.rest = g.stderr.Await(t, restLine, nil)[1]
	g.mcp = g.stderr.Await(t, mcpLine, nil)[1] + "/mcp"
	return g
}

// stop sends SIGTERM and waits for a clean exit.
func (g *gateway) stop(t *testing.T) {
	t.Helper()
	g.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- g.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the gateway exited with %v\n%s", err, g.stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the gateway did not stop after SIGTERM")
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// runBinary runs the gateway to completion and returns its exit code and output.
func runBinary(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	return clitest.Run(t, binary, env, args...)
}

func TestTheBinaryServesBothAdaptersInFrontOfTheMockAndStopsCleanly(t *testing.T) {
	g := start(t, "--report", filepath.Join(t.TempDir(), "violations.jsonl"))
	if code, body := get(t, g.rest+"/v1/channels"); code != 200 || !strings.Contains(body, `"streamingPlatformId"`) {
		t.Errorf("GET /v1/channels: %d %s", code, body)
	}
	if code, body := get(t, g.rest+"/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("GET /healthz: %d %s", code, body)
	}
	if code, _ := get(t, strings.TrimSuffix(g.mcp, "/mcp")+"/healthz"); code != 200 {
		t.Errorf("the MCP server's /healthz: %d", code)
	}
	cs := connectHTTP(t, g.mcp)
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "get-user-profile"})
	if err != nil || res.IsError {
		t.Fatalf("get-user-profile over HTTP: %v %+v", err, res)
	}
	cs.Close()
	g.stop(t)
	if strings.Contains(g.stderr.String(), g.mockToken) {
		t.Error("the gateway's log shows the access token")
	}
}

func connectHTTP(t *testing.T, endpoint string) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "cmd-test", Version: "1"}, nil)
	cs, err := client.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: endpoint, MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// embeddedTools is how many tools the embedded capability exposes (internal/gateway's
// TestEveryMCPToolRunsAgainstTheMock names and calls each).
const embeddedTools = 34

func TestStdioServesTheToolsToAGoSDKClient(t *testing.T) {
	rs := restreamtest.NewServer(t)
	cmd := exec.Command(binary, "--stdio", "--upstream", rs.URL+"/v2")
	cmd.Env = append(os.Environ(), "RESTREAM_ACCESS_TOKEN="+rs.Token(rs.DefaultUser))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "desktop-assistant", Version: "1"}, nil)
	cs, err := client.Connect(t.Context(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	defer cs.Close()
	list, err := cs.ListTools(t.Context(), nil)
	if err != nil || len(list.Tools) != embeddedTools {
		t.Fatalf("tools over stdio: %v, %d tools", err, len(list.Tools))
	}
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "list-channels"})
	if err != nil || res.IsError || res.StructuredContent == nil {
		t.Fatalf("list-channels over stdio: %v %+v", err, res)
	}
}

func TestTheTypeScriptSDKClientDrivesTheBinary(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	node := clitest.Node(t, root, "@modelcontextprotocol/sdk")
	script := filepath.Join(root, "internal", "gateway", "mcpserver", "testdata", "ts-client.mjs")
	g := start(t)
	channel := func() string {
		_, body := get(t, g.rest+"/v1/channels")
		var items []struct{ ID json.Number }
		if err := json.Unmarshal([]byte(body), &items); err != nil || len(items) == 0 {
			t.Fatalf("channels: %s", body)
		}
		return items[0].ID.String()
	}()
	calls := []string{"--call", "get-channel", fmt.Sprintf(`{"id":%s}`, channel),
		"--call", "update-channel-meta", fmt.Sprintf(`{"id":%s,"title":"Set by the TypeScript SDK"}`, channel),
		"--call", "get-channel-meta", fmt.Sprintf(`{"id":%s}`, channel)}
	for _, transport := range []struct {
		name string
		args []string
	}{
		{"Streamable HTTP", []string{g.mcp}},
		{"stdio", []string{"--stdio", binary, "--stdio", "--upstream", g.upstreamV2}},
	} {
		t.Run(transport.name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), node, append(append([]string{script}, calls...), transport.args...)...)
			cmd.Env = append(os.Environ(), "RESTREAM_ACCESS_TOKEN="+g.mockToken)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("the TypeScript client: %v\n%s\n%s", err, stdout.String(), stderr.String())
			}
			var sum struct {
				Tools    []struct{ Name string }
				Problems []string
				Calls    []struct {
					Name, Text string
					IsError    bool
				}
			}
			if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
				t.Fatalf("%v: %s", err, stdout.String())
			}
			if len(sum.Tools) != embeddedTools || len(sum.Problems) > 0 || len(sum.Calls) != 3 {
				t.Fatalf("tools %d, schema problems %v, calls %d", len(sum.Tools), sum.Problems, len(sum.Calls))
			}
			if last := sum.Calls[2]; last.IsError || !strings.Contains(last.Text, "Set by the TypeScript SDK") {
				t.Errorf("get-channel-meta after update-channel-meta: %+v", last)
			}
		})
	}
}

func TestStartUpProblemsAreNamedAndExit1(t *testing.T) {
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(broken, []byte(`naftiko: "1.0.0-alpha2"
capability:
  consumes:
    - type: http
      namespace: restream
      baseUri: https://api.restream.io/v2
      resources:
        - path: /user/channel/{id}/meta
          name: meta
          operations:
            - method: GET
              name: get-meta
  exposes:
    - type: rest
      namespace: api
      port: 8100
      resources:
        - path: /v1/meta/{id}
          name: meta
          operations:
            - method: GET
              name: meta
              call: restream.get-meta
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"no token", nil, nil, []string{"RESTREAM_ACCESS_TOKEN"}},
		{"a capability with an operation the spec lacks", []string{"RESTREAM_ACCESS_TOKEN=t"}, []string{"--capability", broken},
			[]string{"broken.yaml", "did you mean GET /v2/user/channel-meta/{id} (getChannelMeta)?"}},
		{"a capability file that is not there", []string{"RESTREAM_ACCESS_TOKEN=t"}, []string{"--capability", "/nonexistent/cap.yaml"}, []string{"cap.yaml"}},
		{"a public address without an auth token", []string{"RESTREAM_ACCESS_TOKEN=t"}, []string{"--rest-addr", "0.0.0.0:0"}, []string{"--auth-token"}},
		{"a mode that does not exist", []string{"RESTREAM_ACCESS_TOKEN=t"}, []string{"--mode", "strict"}, []string{"--mode"}},
		{"half an OAuth set-up", []string{"RESTREAM_ACCESS_TOKEN=t", "RESTREAM_GATEWAY_CLIENT_ID=app"}, nil, []string{"--client-secret"}},
		{"the report on standard output in stdio mode", []string{"RESTREAM_ACCESS_TOKEN=t"}, []string{"--stdio", "--report", "-"}, []string{"--report"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := append([]string{"RESTREAM_ACCESS_TOKEN="}, c.env...)
			code, _, stderr := runBinary(t, env, c.args...)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	if code, out, _ := runBinary(t, nil, "--version"); code != 0 || !strings.HasPrefix(out, "restream-gateway ") {
		t.Errorf("--version: %d %q", code, out)
	}
	code, help, _ := runBinary(t, nil, "--help")
	if code != 0 {
		t.Errorf("--help: exit %d", code)
	}
	for _, flag := range []string{"--capability", "--upstream", "--rest-addr", "--mcp-addr", "--stdio", "--auth-token",
		"--allow-host", "--allow-origin", "--read-only", "--mode", "--report", "--refresh-token", "$RESTREAM_GATEWAY_UPSTREAM"} {
		if !strings.Contains(help, flag) {
			t.Errorf("--help lacks %s", flag)
		}
	}
}

func TestTheCommandLineRules(t *testing.T) {
	clitest.CommandLineRules(t, clitest.Rules{Binary: binary, EnvPrefix: "RESTREAM_GATEWAY_",
		Numeric:   []string{"upstream-timeout", "max-result-bytes"},
		AddrFlags: []string{"rest-addr", "mcp-addr"},
		Args:      []string{"--rest-addr", "127.0.0.1:0", "--mcp-addr", "127.0.0.1:0"},
		Env:       []string{"RESTREAM_ACCESS_TOKEN=t"}})
}

func TestReportOnStdoutIsNotMixedWithTheBanner(t *testing.T) {
	g := start(t, "--report", "-")
	if code, _ := get(t, g.rest+"/v1/channels"); code != 200 {
		t.Fatalf("GET /v1/channels: %d", code)
	}
	g.stop(t)
	if out := g.stdout.String(); out != "" {
		t.Fatalf("a valid call left standard output, which carries the report, not empty:\n%s", out)
	}
}

func TestASharedAddressInUseNamesBothFlags(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	code, _, stderr := runBinary(t, []string{"RESTREAM_ACCESS_TOKEN=t"}, "--rest-addr", addr, "--mcp-addr", addr)
	want := "--rest-addr, --mcp-addr " + addr + " (RESTREAM_GATEWAY_REST_ADDR, RESTREAM_GATEWAY_MCP_ADDR): address already in use; " +
		"choose another with --rest-addr or RESTREAM_GATEWAY_REST_ADDR, --mcp-addr or RESTREAM_GATEWAY_MCP_ADDR"
	if code != 1 || !strings.Contains(stderr, want) {
		t.Fatalf("exit %d, want %q:\n%s", code, want, stderr)
	}
}
