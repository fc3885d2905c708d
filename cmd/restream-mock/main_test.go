package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/clitest"
)

// binary is the restream-mock built once for these tests.
var binary string

func TestMain(m *testing.M) { clitest.Main(m, "restream-mock", &binary) }

// started is a running restream-mock and what it printed at start.
type started struct {
	cmd       *exec.Cmd
	base      string
	dashboard string // the dashboard's URL, as the banner names it
	token     string
	out       *bufio.Reader
	stderr    *bytes.Buffer // complete once the process has exited (see stop)
}

// stop ends the mock with SIGTERM and returns what it wrote on stderr.
func (s *started) stop(t *testing.T) string {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("the mock exited with %v", err)
	}
	return s.stderr.String()
}

var (
	listenLine    = regexp.MustCompile(`on (http://\S+)`)
	dashboardLine = regexp.MustCompile(`dashboard on (http://\S+)`)
	tokenLine     = regexp.MustCompile(`Access token[^:]*: ([0-9a-f]{40})`)
)

// start runs the binary with args and env on a free port and waits for its banner.
func start(t *testing.T, env []string, args ...string) *started {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--addr", "127.0.0.1:0", "--streaming-addr", "127.0.0.1:0", "--chat-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := new(bytes.Buffer)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	s := &started{cmd: cmd, out: bufio.NewReader(stdout), stderr: stderr}
	deadline := time.Now().Add(10 * time.Second)
	for (s.base == "" || s.token == "") && time.Now().Before(deadline) {
		line, err := s.out.ReadString('\n')
		if err != nil {
			break
		}
		if m := listenLine.FindStringSubmatch(line); m != nil && s.base == "" {
			s.base = m[1]
		}
		if m := dashboardLine.FindStringSubmatch(line); m != nil {
			s.dashboard = m[1]
		}
		if m := tokenLine.FindStringSubmatch(line); m != nil {
			s.token = m[1]
		}
	}
	if s.base == "" || s.token == "" {
		t.Fatalf("the mock did not print its address and token (got %q, %q)", s.base, s.token)
	}
	return s
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestTheBannerTokenWorksForTheDefaultUser(t *testing.T) {
	s := start(t, nil)
	if !strings.HasPrefix(s.base, "http://127.0.0.1:") {
		t.Fatalf("the mock must listen on loopback, got %s", s.base)
	}
	code, body := get(t, s.base+"/v2/user/profile", s.token)
	if code != 200 || !strings.Contains(body, `"username":"nova_plays"`) {
		t.Fatalf("%d %s", code, body)
	}
}

func TestTheBannerNamesTheDashboardAndItAnswers(t *testing.T) {
	s := start(t, nil)
	if s.dashboard != s.base+"/__mock/ui/" {
		t.Fatalf("the banner names the dashboard %q, want %s/__mock/ui/", s.dashboard, s.base)
	}
	code, body := get(t, s.dashboard, "")
	if code != 200 || !strings.Contains(body, "<h1>Requests</h1>") {
		t.Fatalf("the dashboard answered %d", code)
	}
}

func TestEnvironmentVariablesConfigureTheMock(t *testing.T) {
	s := start(t, []string{"RESTREAM_MOCK_AUTO_APPROVE=true", "RESTREAM_MOCK_JOURNAL_SIZE=3"})
	_, body := get(t, s.base+"/__mock/settings", "")
	if !strings.Contains(body, `"autoApprove":true`) {
		t.Fatalf("RESTREAM_MOCK_AUTO_APPROVE was not applied: %s", body)
	}
	_, body = get(t, s.base+"/__mock/journal", "")
	if !strings.Contains(body, `"capacity":3`) {
		t.Fatalf("RESTREAM_MOCK_JOURNAL_SIZE was not applied: %s", body)
	}
}

func TestTheCommandLineWinsOverTheEnvironment(t *testing.T) {
	s := start(t, []string{"RESTREAM_MOCK_JOURNAL_SIZE=3"}, "--journal-size", "7")
	if _, body := get(t, s.base+"/__mock/journal", ""); !strings.Contains(body, `"capacity":7`) {
		t.Fatalf("the flag must win: %s", body)
	}
}

// startedStream starts a simulated stream for the default user through the control API and
// returns its streaming session id, which the seed decides.
func startedStream(t *testing.T, s *started) string {
	t.Helper()
	res, err := http.Post(s.base+"/__mock/streams", "application/json", strings.NewReader(`{"userId":2046371}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got struct{ Suid string }
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil || res.StatusCode != 201 || got.Suid == "" {
		t.Fatalf("starting a stream: %d %+v %v", res.StatusCode, got, err)
	}
	return got.Suid
}

func TestTheSeedFromTheFlagOrTheEnvironmentRepeatsTheSimulators(t *testing.T) {
	for _, tc := range []struct {
		name         string
		envA, envB   []string
		argsA, argsB []string
		same         bool
	}{
		{"the same --seed gives the same stream", nil, nil, []string{"--seed", "7"}, []string{"--seed", "7"}, true},
		{"RESTREAM_MOCK_SEED is the same seed as --seed", []string{"RESTREAM_MOCK_SEED=7"}, nil, nil, []string{"--seed", "7"}, true},
		{"another seed gives another stream", nil, nil, []string{"--seed", "7"}, []string{"--seed", "8"}, false},
		{"no seed gives another stream on each run", nil, nil, nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := startedStream(t, start(t, tc.envA, tc.argsA...))
			b := startedStream(t, start(t, tc.envB, tc.argsB...))
			if (a == b) != tc.same {
				t.Fatalf("streaming session ids %s and %s; want the same: %v", a, b, tc.same)
			}
		})
	}
}

// aliceFixtures writes a fixtures directory that adds one user, alice (id 99), with two
// channels, and nothing else: the rest comes from the embedded examples. channelID is the id of
// her second channel.
func aliceFixtures(t *testing.T, channelID int) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"getUserProfile.json": `{"operationId": "getUserProfile", "examples": [{"name": "alice", "user": 99,
  "request": {"method": "GET", "path": "/v2/user/profile"},
  "response": {"status": 200, "headers": {"Content-Type": "application/json"},
    "body": {"id": 99, "username": "alice", "email": "alice@example.com"}}}]}`,
		"listChannels.json": fmt.Sprintf(`{"operationId": "listChannels", "examples": [{"name": "alice", "user": 99,
  "request": {"method": "GET", "path": "/v2/user/channel/all"},
  "response": {"status": 200, "headers": {"Content-Type": "application/json"}, "body": [
    {"id": 990001, "streamingPlatformId": 5, "embedUrl": "https://www.youtube.com/embed/live_stream?channel=UCalice",
     "url": "https://www.youtube.com/channel/UCalice", "identifier": "alice", "displayName": "Alice on YouTube", "active": true},
    {"id": %d, "streamingPlatformId": 1, "embedUrl": "https://player.twitch.tv/?channel=alice",
     "url": "https://www.twitch.tv/alice", "identifier": "alice", "displayName": "Alice on Twitch", "active": true}]}}]}`, channelID),
	}
	if err := os.Mkdir(filepath.Join(dir, "operations"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, "operations", name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestAFixturesDirectoryIsLaidOverTheEmbeddedOnes(t *testing.T) {
	s := start(t, nil, "--fixtures", aliceFixtures(t, 990002))
	// The embedded users stay: the banner's token is nova_plays's.
	if _, body := get(t, s.base+"/v2/user/profile", s.token); !strings.Contains(body, `"nova_plays"`) {
		t.Fatalf("the embedded default user is gone: %s", body)
	}
	res, err := http.Post(s.base+"/__mock/tokens", "application/json", strings.NewReader(`{"userId":99,"scopes":["channels.read","stream.read"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"accessToken"`
	}
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if _, body := get(t, s.base+"/v2/user/channel/all", tok.AccessToken); !strings.Contains(body, "Alice on YouTube") || !strings.Contains(body, "Alice on Twitch") {
		t.Fatalf("alice's channels are not served: %s", body)
	}
	if code, body := get(t, s.base+"/v2/user/streamKey", tok.AccessToken); code != 200 || !strings.Contains(body, `"streamKey":"re_99_`) {
		t.Fatalf("alice's made-up stream key: %d %s", code, body)
	}
	// What the directory leaves out is said at start.
	if stderr := s.stop(t); !strings.Contains(stderr, "user 99 has no getStreamKey example") {
		t.Fatalf("the log does not say what the mock made up: %s", stderr)
	}
}

func TestFixturesOnlySeedsFromTheDirectoryAlone(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "examples"))); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "operations", "getWebchatUrl.json")); err != nil {
		t.Fatal(err)
	}
	over := start(t, nil, "--fixtures", dir)
	_, overBody := get(t, over.base+"/v2/user/webchat/url", over.token)
	alone := start(t, nil, "--fixtures", dir, "--fixtures-only")
	_, aloneBody := get(t, alone.base+"/v2/user/webchat/url", alone.token)
	if !strings.Contains(overBody, "webchatUrl") || !strings.Contains(aloneBody, "webchatUrl") || overBody == aloneBody {
		t.Fatalf("over the embedded examples %s, alone %s: want the embedded URL, then a made-up one", overBody, aloneBody)
	}
}

func TestCheckFixturesReportsEveryProblemOrWhatTheMockMakesUp(t *testing.T) {
	run := func(args ...string) (string, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, binary, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	good := aliceFixtures(t, 990002)
	out, errOut, err := run("--check-fixtures", good)
	if err != nil || !strings.Contains(out, good+": the fixtures keep every rule (over the embedded examples): 4 users") ||
		!strings.Contains(out, "note: user 99 has no getStreamKey example") {
		t.Fatalf("a good directory: %v\nstdout %s\nstderr %s", err, out, errOut)
	}
	bad := aliceFixtures(t, 5120001) // nova_plays's Twitch channel
	if err := os.WriteFile(filepath.Join(bad, "operations", "getUserProfile.json"), []byte(`{"operationId": "getUserProfile", "examples": [{"name": "alice", "user": 99,
  "request": {"method": "GET", "path": "/v2/user/profile"},
  "response": {"status": 200, "headers": {"Content-Type": "application/json"}, "body": {"id": 99, "username": "alice"}}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err = run("--check-fixtures", bad)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("a bad directory: want exit status 1, got %v", err)
	}
	for _, want := range []string{
		"fixtures: 2 problems:",
		bad + "/operations/listChannels.json#/examples/0/response/body/1/id: channel 5120001 is already a channel of user 2046371",
		bad + "/operations/getUserProfile.json#/examples/0/response/body/email: response: missing required property \"email\"",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the report lacks %q:\n%s", want, errOut)
		}
	}
	if out != "" {
		t.Errorf("a failed check printed on stdout: %s", out)
	}
}

func TestBadConfigurationFailsWithAMessage(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"a missing fixtures directory", nil, []string{"--fixtures", "/nonexistent"}, "fixtures directory"},
		{"a missing directory to check", nil, []string{"--check-fixtures", "/nonexistent"}, "fixtures directory"},
		{"fixtures-only without a directory", nil, []string{"--fixtures-only"}, "--fixtures-only needs --fixtures DIR"},
		{"a bad environment value", []string{"RESTREAM_MOCK_JOURNAL_SIZE=many"}, nil, "RESTREAM_MOCK_JOURNAL_SIZE"},
		{"an unknown flag", nil, []string{"--nope"}, "unknown flag"},
		{"a seed that is not a number", []string{"RESTREAM_MOCK_SEED=many"}, nil, "RESTREAM_MOCK_SEED"},
		{"a negative seed", nil, []string{"--seed", "-1"}, "--seed"},
		{"a bad log level", nil, []string{"--log-level", "loud"}, "log level"},
		{"a journal over the maximum", nil, []string{"--journal-size", "10001"}, "journal size 10001: want 1 to 10000"},
		{"a journal too large from the environment", []string{"RESTREAM_MOCK_JOURNAL_SIZE=100000"}, nil, "journal size 100000"},
		{"a client without secret", nil, []string{"--client", "my-app"}, `--client: client "my-app": want ID:SECRET`},
		{"a client with a relative redirect URI from the environment", []string{"RESTREAM_MOCK_CLIENT=my-app:s3cr3t:/callback"}, nil, "redirectUris[0] \"/callback\" is not absolute"},
		{"one client id twice", nil, []string{"--client", "a:1", "--client", "a:2"}, `client "a" is given twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A mock that accepts the configuration would serve forever: the deadline ends it.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, append([]string{"--addr", "127.0.0.1:0", "--streaming-addr", "", "--chat-addr", ""}, tc.args...)...)
			cmd.Env = append(os.Environ(), tc.env...)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Fatalf("want a failure mentioning %q, got %v: %s", tc.want, err, out)
			}
		})
	}
}

func TestListeningBeyondLoopbackWarnsAndTheControlTokenGuards(t *testing.T) {
	const tok = "ctl-token-7f3a91"
	s := start(t, []string{"RESTREAM_MOCK_CONTROL_TOKEN=" + tok}, "--addr", "0.0.0.0:0")
	local := "http://127.0.0.1" + s.base[strings.LastIndexByte(s.base, ':'):] // the banner may say [::]
	if code, body := get(t, local+"/__mock/users", ""); code != 401 || !strings.Contains(body, "invalid_control_token") {
		t.Fatalf("the control API answered without the token: %d %s", code, body)
	}
	if code, body := get(t, local+"/__mock/users", tok); code != 200 {
		t.Fatalf("the control API refused its token: %d %s", code, body)
	}
	stderr := s.stop(t)
	if !strings.Contains(stderr, "listens beyond loopback") || !strings.Contains(stderr, "0.0.0.0:0") {
		t.Fatalf("no warning about the address:\n%s", stderr)
	}
	if strings.Contains(stderr, tok) {
		t.Fatalf("the log shows the control token:\n%s", stderr)
	}
}

func TestListeningOnLoopbackNeedsNoWarning(t *testing.T) {
	s := start(t, nil)
	if stderr := s.stop(t); strings.Contains(stderr, "beyond loopback") {
		t.Fatalf("a loopback listener was warned about:\n%s", stderr)
	}
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(binary, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "restream-mock ") {
		t.Fatalf("%v %q", err, out)
	}
}

func TestSIGTERMShutsDownGracefully(t *testing.T) {
	s := start(t, nil)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the mock exited with %v after SIGTERM", err)
		}
	case <-ctx.Done():
		t.Fatal("the mock did not stop after SIGTERM")
	}
}

// Each request is one info line on stderr: key=value pairs in reading order for a terminal
// (--log-format text, the default) and one JSON object per line for machines. The token never
// shows, neither from the header nor from the query.
func TestEachRequestIsOneLogLineInTextOrJSON(t *testing.T) {
	tests := []struct {
		format string
		check  func(t *testing.T, line string)
	}{
		{"text", func(t *testing.T, line string) {
			want := `msg=request method=GET path=/v2/user/profile status=200 operation=getUserProfile user=`
			if !strings.Contains(line, want) || !strings.Contains(line, " duration=") || !strings.HasSuffix(line, " violations=0") {
				t.Fatalf("the text line does not read %q ... duration=... violations=0:\n%s", want, line)
			}
		}},
		{"json", func(t *testing.T, line string) {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("not a JSON line: %s", line)
			}
			if rec["msg"] != "request" || rec["method"] != "GET" || rec["status"] != 200.0 ||
				rec["operation"] != "getUserProfile" || rec["violations"] != 0.0 || rec["user"] == nil {
				t.Fatalf("the JSON line lacks a field: %s", line)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			s := start(t, nil, "--log-format", tt.format)
			if code, body := get(t, s.base+"/v2/user/profile", s.token); code != 200 {
				t.Fatalf("%d %s", code, body)
			}
			if code, _ := get(t, s.base+"/v2/user/profile?accessToken="+s.token, ""); code != 401 {
				t.Fatalf("a token in the query: %d", code)
			}
			stderr := s.stop(t)
			if strings.Contains(stderr, s.token) {
				t.Fatalf("the log shows the token:\n%s", stderr)
			}
			var lines []string
			for line := range strings.Lines(stderr) {
				if strings.Contains(line, "/v2/user/profile") {
					lines = append(lines, strings.TrimSuffix(line, "\n"))
				}
			}
			if len(lines) != 2 {
				t.Fatalf("want one line per request, got %d:\n%s", len(lines), stderr)
			}
			tt.check(t, lines[0])
		})
	}
}

// The clients of --client and of RESTREAM_MOCK_CLIENT join the fixtures' clients; the control API
// lists them with their secrets redacted, and one of them signs in from a port it never registered.
func TestClientFlagsRegisterClientsThatSignIn(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		args []string
	}{
		{"from the command line", nil, []string{"--client", "my-app:app-secret-9f2c:http://localhost/cb", "--client", "restreamkit-readonly:ro-secret-77aa"}},
		{"from the environment, white space between clients", []string{"RESTREAM_MOCK_CLIENT=my-app:app-secret-9f2c:http://localhost/cb restreamkit-readonly:ro-secret-77aa"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, tc.env, append(tc.args, "--auto-approve")...)
			_, body := get(t, s.base+"/__mock/clients", "")
			for _, want := range []string{`"clientId":"restreamkit-dev"`, `"clientId":"my-app"`, `"redirectUris":["http://localhost/cb"]`,
				`"clientId":"restreamkit-readonly","clientSecret":"[REDACTED:`, `"redirectUris":["http://localhost/callback","http://127.0.0.1/callback","http://[::1]/callback"]`} {
				if !strings.Contains(body, want) {
					t.Fatalf("the clients lack %s: %s", want, body)
				}
			}
			if strings.Contains(body, "app-secret-9f2c") || strings.Contains(body, "ro-secret-77aa") {
				t.Fatalf("the listing shows a secret: %s", body)
			}
			noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := noRedirect.Get(s.base + "/login?response_type=code&client_id=my-app&redirect_uri=http%3A%2F%2Flocalhost%3A5173%2Fcb")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			loc, _ := res.Location()
			if res.StatusCode != http.StatusFound || loc == nil || loc.Host != "localhost:5173" || loc.Query().Get("code") == "" {
				t.Fatalf("login answered %d, Location %v; want a code sent to localhost:5173", res.StatusCode, loc)
			}
			form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {"http://localhost:5173/cb"}}
			req, _ := http.NewRequest("POST", s.base+"/oauth/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth("my-app", "app-secret-9f2c")
			tok, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(tok.Body)
			tok.Body.Close()
			if tok.StatusCode != 200 || !strings.Contains(string(b), `"accessToken"`) {
				t.Fatalf("the code exchange answered %d %s", tok.StatusCode, b)
			}
		})
	}
}

func TestTheCommandLineRules(t *testing.T) {
	clitest.CommandLineRules(t, clitest.Rules{Binary: binary, EnvPrefix: "RESTREAM_MOCK_",
		Numeric:   []string{"max-body-bytes", "journal-size", "chat-heartbeat", "stream-interval"},
		AddrFlags: []string{"addr", "streaming-addr", "chat-addr"},
		Args:      []string{"--addr", "127.0.0.1:0", "--streaming-addr", "127.0.0.1:0", "--chat-addr", "127.0.0.1:0", "--print-token=false"}})
}

func TestProbeSaysWhetherTheMockOnAddrIsHealthy(t *testing.T) {
	s := start(t, nil)
	addr := strings.TrimPrefix(s.base, "http://")
	if code, _, stderr := clitest.Run(t, binary, nil, "--probe", "--addr", addr); code != 0 {
		t.Fatalf("--probe against a running mock exited %d: %s", code, stderr)
	}
	_, port, _ := strings.Cut(addr, ":")
	// A container's HEALTHCHECK runs with the address the mock listens on, every interface.
	if code, _, stderr := clitest.Run(t, binary, []string{"RESTREAM_MOCK_ADDR=0.0.0.0:" + port}, "--probe"); code != 0 {
		t.Fatalf("--probe with 0.0.0.0 exited %d: %s", code, stderr)
	}
	s.stop(t)
	if code, _, stderr := clitest.Run(t, binary, nil, "--probe", "--addr", addr); code != 1 || !strings.Contains(stderr, "probe:") {
		t.Fatalf("--probe against a stopped mock exited %d: %s", code, stderr)
	}
}

// TestTheDockerfileSetsWhatTheBinaryUnderstands reads the Dockerfile, which CI cannot build,
// and checks what it tells the binary: every ENV variable is one the mock reads, its addresses
// and EXPOSE agree, the final image runs as a user without privileges, and its HEALTHCHECK
// passes against a mock started with its environment.
func TestTheDockerfileSetsWhatTheBinaryUnderstands(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	final := text[strings.LastIndex(text, "\nFROM "):]
	if !strings.HasPrefix(final, "\nFROM scratch") || !regexp.MustCompile(`\nUSER [1-9][0-9]*:[1-9][0-9]*\n`).MatchString(final) {
		t.Fatal("the final stage must be FROM scratch with a numeric user other than root")
	}
	env := regexp.MustCompile(`(RESTREAM_MOCK_[A-Z_]+)=(\S+)`).FindAllStringSubmatch(final, -1)
	_, help, helpErr := clitest.Run(t, binary, nil, "--help")
	help += helpErr
	var vars []string
	exposed := regexp.MustCompile(`\nEXPOSE ([0-9 ]+)\n`).FindStringSubmatch(final)
	if exposed == nil {
		t.Fatal("no EXPOSE")
	}
	for _, kv := range env {
		if !strings.Contains(help, kv[1]) {
			t.Errorf("the mock does not read %s", kv[1])
		}
		_, port, _ := strings.Cut(kv[2], ":")
		if !strings.Contains(" "+exposed[1]+" ", " "+port+" ") {
			t.Errorf("%s listens on %s, which is not exposed (%s)", kv[1], port, exposed[1])
		}
		vars = append(vars, kv[1])
	}
	if len(vars) != 3 {
		t.Fatalf("want the three addresses set, got %v", vars)
	}
	hc := regexp.MustCompile(`\nHEALTHCHECK .*CMD \["/usr/local/bin/restream-mock", "([^"]+)"\]`).FindStringSubmatch(final)
	if hc == nil {
		t.Fatal("no HEALTHCHECK running the binary")
	}
	// The mock as the image starts it (every interface; a free port, since tests share the
	// machine), then the HEALTHCHECK's command with the same environment.
	port := freePort(t)
	containerEnv := []string{"RESTREAM_MOCK_ADDR=0.0.0.0:" + port, "RESTREAM_MOCK_STREAMING_ADDR=", "RESTREAM_MOCK_CHAT_ADDR="}
	cmd := exec.Command(binary)
	cmd.Env = append(os.Environ(), containerEnv...)
	out := clitest.NewOutput()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	out.Await(t, regexp.MustCompile(`REST, OAuth and control API on`), nil)
	if code, _, stderr := clitest.Run(t, binary, containerEnv, hc[1]); code != 0 {
		t.Fatalf("the HEALTHCHECK (%s) fails: %s", hc[1], stderr)
	}
}

// freePort returns a port nothing listens on at the moment.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
