package restreamtest_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/restreamtest"
)

// send makes one request of the app under test and returns its status.
func send(t *testing.T, rs *restreamtest.Server, token, method, path, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, rs.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := rs.Client(token).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestViolationsListTheRequestsThatBreakTheContract(t *testing.T) {
	cases := []struct {
		name    string
		method  string
		path    string
		body    string
		token   func(rs *restreamtest.Server) string
		status  int
		rule    string // "" when the request is not a contract break
		op      string
		problem string // in the violation's text
	}{
		{"a body of the wrong type", "PATCH", "/v2/user/channel/5120001", `{"active":"no"}`, nil, 400, "type", "updateChannel", `body "/active"`},
		{"malformed JSON", "PATCH", "/v2/user/channel/5120001", `{"active":`, nil, 400, "json-syntax", "updateChannel", "JSON"},
		{"a path parameter that is not an id", "GET", "/v2/user/channel/abc", "", nil, 400, "type", "getChannel", `path "id"`},
		{"a query parameter out of range", "GET", "/v2/user/events/history?limit=500", "", nil, 400, "maximum", "listEventHistory", `query "limit"`},
		{"an unknown path", "GET", "/v2/user/everything", "", nil, 404, "unknown-path", "", "/v2/user/everything"},
		{"a method the path does not have", "DELETE", "/v2/user/profile", "", nil, 405, "method-not-allowed", "", "DELETE"},
		{"a token without the scope", "GET", "/v2/user/channel/all", "", func(rs *restreamtest.Server) string {
			tok, err := rs.NewToken(nova, "profile.read")
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}, 403, "security", "listChannels", "channels.read"},
		{"an expired token is not a break: apps refresh", "GET", "/v2/user/profile", "", func(rs *restreamtest.Server) string {
			if err := rs.AdvanceClock(2 * time.Hour); err != nil {
				t.Fatal(err)
			}
			return rs.Token(nova)
		}, 401, "", "", ""},
		{"no token is not a break: the app meets a 401", "GET", "/v2/user/profile", "", func(*restreamtest.Server) string { return "" }, 401, "", "", ""},
		{"a channel that does not exist is not a break", "GET", "/v2/user/channel/999", "", nil, 404, "", "", ""},
		{"a good request is not a break", "PATCH", "/v2/user/channel/5120001", `{"active":false}`, nil, 200, "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := restreamtest.NewServer(t, restreamtest.Lenient()) // the violations are the point here
			token := rs.Token(nova)
			if c.token != nil {
				token = c.token(rs)
			}
			if status := send(t, rs, token, c.method, c.path, c.body); status != c.status {
				t.Fatalf("status %d, want %d", status, c.status)
			}
			vs := rs.Violations()
			if c.rule == "" {
				if len(vs) != 0 {
					t.Fatalf("want no violation, got %v", vs)
				}
				return
			}
			if len(vs) != 1 {
				t.Fatalf("want one violation, got %v", vs)
			}
			v := vs[0]
			if v.Method != c.method || v.Status != c.status || v.OperationID != c.op || len(v.Problems) == 0 || v.Problems[0].Rule != c.rule ||
				!strings.Contains(v.String(), c.problem) {
				t.Fatalf("violation %s (rule %q), want rule %q mentioning %q", v, v.Problems[0].Rule, c.rule, c.problem)
			}
		})
	}
}

func TestTheControlAPINeverCountsAsAViolation(t *testing.T) {
	rs := restreamtest.NewServer(t)
	if _, err := rs.RunChatScript(quiet, "opera"); !restreamtest.IsControlError(err, 400) {
		t.Fatalf("want the control API's 400, got %v", err)
	}
	if _, err := rs.NewToken(42); err == nil {
		t.Fatal("want a refusal for an unknown user")
	}
	if status := send(t, rs, "", "GET", "/__mock/nothing", ""); status != 404 {
		t.Fatalf("an unknown control path: %d", status)
	}
	if vs := rs.Violations(); len(vs) != 0 {
		t.Fatalf("control API requests counted: %v", vs)
	}
}

// fakeT is the part of testing.TB that a server's cleanup reports to.
type fakeT struct {
	testing.TB
	cleanups []func()
	errors   []string
}

func (f *fakeT) Helper()           {}
func (f *fakeT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeT) Fatalf(format string, args ...any) { f.TB.Fatalf(format, args...) }

// end runs the cleanups, last first, as the testing package does.
func (f *fakeT) end() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestAStrictServerFailsTheTestAtCleanupWithTheViolations(t *testing.T) {
	cases := []struct {
		name    string
		opts    []restreamtest.Option
		body    string
		failure string // "" when the test must pass
	}{
		{"a malformed request fails a strict test", nil, `{"active":"no"}`,
			`PATCH /v2/user/channel/5120001 (updateChannel) → 400 Bad Request: body "/active"`},
		{"a good request passes a strict test", nil, `{"active":false}`, ""},
		{"a malformed request passes a lenient test", []restreamtest.Option{restreamtest.Lenient()}, `{"active":"no"}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ft := &fakeT{TB: t}
			rs := restreamtest.NewServer(ft, c.opts...)
			send(t, rs, rs.Token(nova), "PATCH", "/v2/user/channel/5120001", c.body)
			ft.end()
			got := strings.Join(ft.errors, "\n")
			if c.failure == "" && got != "" || c.failure != "" && !strings.Contains(got, c.failure) {
				t.Fatalf("the test failed with %q, want %q", got, c.failure)
			}
		})
	}
}

// The proof that strict mode works for a user: a module outside this repository, with its own
// go.mod, whose test sends a malformed request fails `go test`.
func TestStrictModeFailsTheTestOfAnExternalModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs another module's tests")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	goSum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	modCache := goEnv(t, "GOMODCACHE")
	cases := []struct {
		name     string
		body     string
		fails    bool
		contains string
	}{
		{"a malformed request fails go test", `{"active":"no"}`, true, `PATCH /v2/user/channel/5120001 (updateChannel) → 400 Bad Request: body "/active"`},
		{"a good request passes go test", `{"active":false}`, false, "ok"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "go.mod", "module example.com/app\n\ngo 1.26\n\nrequire github.com/restreamkit/restreamkit v0.0.0\n\n"+
				"replace github.com/restreamkit/restreamkit => "+root+"\n")
			write(t, dir, "go.sum", string(goSum))
			write(t, dir, "app_test.go", fmt.Sprintf(externalTest, c.body))
			cmd := exec.Command("go", "test", "-count=1", ".")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off", "GOMODCACHE="+modCache)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			if (err != nil) != c.fails || !strings.Contains(out.String(), c.contains) {
				t.Fatalf("go test: %v, want failure %v and %q in:\n%s", err, c.fails, c.contains, out.String())
			}
		})
	}
}

// externalTest is the external module's test; %s is the body it sends.
const externalTest = `package app

import (
	"net/http"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/restreamtest"
)

func TestTheAppDisablesAChannel(t *testing.T) {
	rs := restreamtest.NewServer(t)
	req, _ := http.NewRequest(http.MethodPatch, rs.URL+"/v2/user/channel/5120001", strings.NewReader(` + "`%s`" + `))
	req.Header.Set("Content-Type", "application/json")
	res, err := rs.Client(rs.Token(restreamtest.Nova)).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}
`

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
