package token_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restreamkit/restreamkit/internal/gateway/token"
	"github.com/restreamkit/restreamkit/restreamtest"
)

func TestStaticGivesItsToken(t *testing.T) {
	got, err := token.Static("abc").Token(context.Background())
	if err != nil || got != "abc" {
		t.Fatalf("Token() = %q, %v", got, err)
	}
}

func TestStaticWithoutATokenSaysSoRatherThanSendingAnEmptyBearer(t *testing.T) {
	if _, err := token.Static("").Token(context.Background()); !errors.Is(err, token.ErrNoToken) {
		t.Fatalf("err %v, want ErrNoToken", err)
	}
}

// clock is an injected clock that a test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// counter is a RoundTripper that counts the requests to the token endpoint it forwards.
type counter struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/oauth/token") {
		c.n.Add(1)
	}
	return c.next.RoundTrip(r)
}

// logBuffer collects a source's logs, so that a test can look for token values in them.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fixture is a mock with a signed-in user's refresh token, and the options of a source for it.
type fixture struct {
	rs      *restreamtest.Server
	refresh string // the refresh token the sign-in gave
	clock   *clock
	count   *counter
	logs    *logBuffer
	state   string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	rs := restreamtest.NewServer(t)
	tok, err := rs.SignIn(context.Background(), rs.DefaultUser)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("the sign-in gave no refresh token")
	}
	return &fixture{rs: rs, refresh: tok.RefreshToken, clock: newClock(), count: &counter{next: http.DefaultTransport},
		logs: &logBuffer{}, state: filepath.Join(t.TempDir(), "refresh.json")}
}

func (f *fixture) options() token.RefreshOptions {
	return token.RefreshOptions{
		TokenURL: f.rs.OAuth2.Endpoint.TokenURL, ClientID: restreamtest.DevClientID, ClientSecret: restreamtest.DevClientSecret,
		RefreshToken: f.refresh, StateFile: f.state, HTTPClient: &http.Client{Transport: f.count},
		Now: f.clock.Now, Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

func (f *fixture) source(t *testing.T) *token.Refreshing {
	t.Helper()
	src, err := token.NewRefreshing(f.options())
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// profileStatus calls Restream's profile with an access token.
func (f *fixture) profileStatus(t *testing.T, access string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", f.rs.URL+"/v2/user/profile", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// savedRefresh reads the state file, checking that only its owner can read it.
func (f *fixture) savedRefresh(t *testing.T) string {
	t.Helper()
	fi, err := os.Stat(f.state)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("the state file's mode is %v, want 0600", perm)
	}
	data, err := os.ReadFile(f.state)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(data, &st); err != nil || st.RefreshToken == "" {
		t.Fatalf("the state file holds %q", data)
	}
	return st.RefreshToken
}

func token1(t *testing.T, src *token.Refreshing) string {
	t.Helper()
	access, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return access
}

func TestARenewedTokenWorksAndTheRotatedRefreshTokenIsSavedPrivately(t *testing.T) {
	f := newFixture(t)
	src := f.source(t)
	access := token1(t, src)
	if st := f.profileStatus(t, access); st != 200 {
		t.Fatalf("Restream answered %d to the renewed access token", st)
	}
	saved := f.savedRefresh(t)
	if saved == f.refresh {
		t.Fatal("the state file holds the refresh token the mock rotated away")
	}
	dir, _ := os.ReadDir(filepath.Dir(f.state))
	if len(dir) != 1 {
		t.Fatalf("the state directory holds %d files, want only the state file (no temporary left)", len(dir))
	}
	for _, secret := range []string{access, f.refresh, saved, restreamtest.DevClientSecret} {
		if strings.Contains(f.logs.String(), secret) {
			t.Fatalf("a token or secret is in the logs:\n%s", f.logs)
		}
	}
	if !strings.Contains(f.logs.String(), "renewed the Restream access token") {
		t.Fatalf("the renewal is not logged:\n%s", f.logs)
	}
}

func TestTheTokenIsRenewedWhenTheClockSaysItIsDueAndNotBefore(t *testing.T) {
	f := newFixture(t)
	opts := f.options()
	opts.Skew = 5 * time.Minute
	src, err := token.NewRefreshing(opts)
	if err != nil {
		t.Fatal(err)
	}
	first := token1(t, src)
	if again := token1(t, src); again != first || f.count.n.Load() != 1 {
		t.Fatalf("a second call renewed (%d renewals) or changed the token", f.count.n.Load())
	}
	// The mock's access tokens live an hour: due 5 minutes before.
	f.clock.Advance(55*time.Minute - time.Second)
	if got := token1(t, src); got != first || f.count.n.Load() != 1 {
		t.Fatalf("renewed %d times before the token was due", f.count.n.Load()-1)
	}
	f.clock.Advance(time.Second)
	if got := token1(t, src); got != first {
		t.Fatal("a token in its last minutes is still good: it must be handed out while the renewal runs")
	}
	f.clock.Advance(5 * time.Minute) // expired by the source's clock: only the renewed token will do
	second := token1(t, src)
	if second == first {
		t.Fatal("an expired token was handed out")
	}
	if n := f.count.n.Load(); n != 2 {
		t.Fatalf("%d renewals, want 2 (the one started in the last minutes serves the expired token's callers)", n)
	}
	if st := f.profileStatus(t, second); st != 200 {
		t.Fatalf("Restream answered %d to the second access token", st)
	}
}

func TestARestartCarriesOnWithTheSavedRefreshTokenNotTheOneItWasGiven(t *testing.T) {
	f := newFixture(t)
	token1(t, f.source(t)) // rotates f.refresh away; presenting it again would be refused
	rotated := f.savedRefresh(t)

	restarted := f.source(t) // the same options: f.refresh, now used, and the state file
	access := token1(t, restarted)
	if st := f.profileStatus(t, access); st != 200 {
		t.Fatalf("Restream answered %d after the restart", st)
	}
	if now := f.savedRefresh(t); now == rotated || now == f.refresh {
		t.Fatal("the restart's rotation was not saved")
	}
}

func TestAStateFileWrittenByHandIsRead(t *testing.T) {
	f := newFixture(t)
	if err := os.WriteFile(f.state, []byte(f.refresh+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := f.options()
	opts.RefreshToken = ""
	src, err := token.NewRefreshing(opts)
	if err != nil {
		t.Fatal(err)
	}
	if st := f.profileStatus(t, token1(t, src)); st != 200 {
		t.Fatalf("Restream answered %d", st)
	}
	f.savedRefresh(t) // rewritten as JSON, 0600
}

// TestConcurrentCallsShareOneRenewal holds the token request until every caller waits (synctest
// says when all are blocked), so the callers surely overlap.
func TestConcurrentCallsShareOneRenewal(t *testing.T) {
	f := newFixture(t)
	synctest.Test(t, func(t *testing.T) {
		entered := make(chan struct{}, 100)
		release := make(chan struct{})
		forward := &http.Transport{DisableKeepAlives: true} // no connection outlives the bubble
		gate := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			entered <- struct{}{}
			<-release
			return forward.RoundTrip(r)
		})
		opts := f.options()
		opts.HTTPClient = &http.Client{Transport: gate}
		opts.Now = time.Now // the bubble's clock
		src, err := token.NewRefreshing(opts)
		if err != nil {
			t.Fatal(err)
		}
		const callers = 20
		got := make([]string, callers)
		errs := make([]error, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() { got[i], errs[i] = src.Token(context.Background()) })
		}
		synctest.Wait() // every caller is blocked: one in the token request, the others waiting for it
		if n := len(entered); n != 1 {
			t.Fatalf("%d token requests for %d concurrent callers, want 1", n, callers)
		}
		close(release)
		wg.Wait()
		for i := range callers {
			if errs[i] != nil || got[i] != got[0] || got[i] == "" {
				t.Fatalf("caller %d got %q, %v; caller 0 got %q", i, got[i], errs[i], got[0])
			}
		}
		if len(entered) != 1 {
			t.Fatalf("%d token requests, want 1", len(entered))
		}
		forward.CloseIdleConnections()
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestACallerThatGivesUpDoesNotLoseTheRotation cancels the only caller while its renewal is in
// flight: the renewal completes anyway, so the rotated refresh token is kept and saved.
func TestACallerThatGivesUpDoesNotLoseTheRotation(t *testing.T) {
	f := newFixture(t)
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		forward := &http.Transport{DisableKeepAlives: true}
		opts := f.options()
		opts.Now = time.Now
		opts.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			<-release
			return forward.RoundTrip(r)
		})}
		src, err := token.NewRefreshing(opts)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() {
			_, err := src.Token(ctx)
			done <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("the cancelled caller got %v", err)
		}
		close(release)
		access, err := src.Token(context.Background()) // waits for the renewal still in flight
		if err != nil {
			t.Fatal(err)
		}
		if access == "" {
			t.Fatal("no token")
		}
		forward.CloseIdleConnections()
	})
	if f.savedRefresh(t) == f.refresh {
		t.Fatal("the rotation was lost with the caller")
	}
}

func TestARefusedRefreshTokenSaysToAuthorizeAgain(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, f *fixture)
	}{
		{"a revoked refresh token", func(t *testing.T, f *fixture) {
			res, err := http.PostForm(f.rs.URL+"/oauth/revoke", url.Values{"token": {f.refresh}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("revoke answered %d", res.StatusCode)
			}
		}},
		{"a refresh token already used", func(t *testing.T, f *fixture) {
			opts := f.options()
			opts.StateFile = "" // another process renews with it and keeps the rotation to itself
			other, err := token.NewRefreshing(opts)
			if err != nil {
				t.Fatal(err)
			}
			token1(t, other)
			f.count.n.Store(0)
		}},
		{"a refresh token the endpoint never issued", func(t *testing.T, f *fixture) { f.refresh = "not-a-refresh-token" }},
		{"a refresh token whose time has passed", func(t *testing.T, f *fixture) {
			if err := f.rs.AdvanceClock(366 * 24 * time.Hour); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.spoil(t, f)
			src := f.source(t)
			_, err := src.Token(context.Background())
			if !errors.Is(err, token.ErrInvalidGrant) || !strings.Contains(err.Error(), "authorize the gateway again") {
				t.Fatalf("err %v, want ErrInvalidGrant telling the user to authorize again", err)
			}
			if strings.Contains(err.Error(), f.refresh) || strings.Contains(f.logs.String(), f.refresh) {
				t.Fatal("the refused refresh token is in the error or the logs")
			}
			f.clock.Advance(time.Hour) // long past any retry delay: the refusal is final
			if _, again := src.Token(context.Background()); !errors.Is(again, token.ErrInvalidGrant) {
				t.Fatalf("the second call got %v", again)
			}
			if n := f.count.n.Load(); n != 1 {
				t.Fatalf("%d token requests, want 1: a refused refresh token is not presented again", n)
			}
		})
	}
}

func TestRefusedClientCredentialsAreNamed(t *testing.T) {
	f := newFixture(t)
	opts := f.options()
	opts.ClientSecret = "wrong-secret"
	src, err := token.NewRefreshing(opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Token(context.Background())
	if !errors.Is(err, token.ErrInvalidClient) || !strings.Contains(err.Error(), "client id and secret") {
		t.Fatalf("err %v, want ErrInvalidClient", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") || strings.Contains(f.logs.String(), "wrong-secret") {
		t.Fatal("the client secret is in the error or the logs")
	}
}

func TestAnUnreachableEndpointIsRetriedAfterTheDelayNotOnEveryCall(t *testing.T) {
	f := newFixture(t)
	down := true
	var mu sync.Mutex
	f.count.next = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return nil, errors.New("connection refused")
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	src := f.source(t)
	if _, err := src.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("err %v, want the transport's failure", err)
	}
	f.clock.Advance(token.RetryDelay - time.Second)
	if _, err := src.Token(context.Background()); err == nil || f.count.n.Load() != 1 {
		t.Fatalf("err %v after %d requests: a failure is not retried within the delay", err, f.count.n.Load())
	}
	mu.Lock()
	down = false
	mu.Unlock()
	f.clock.Advance(time.Second)
	if st := f.profileStatus(t, token1(t, src)); st != 200 || f.count.n.Load() != 2 {
		t.Fatalf("after the delay: status %d, %d requests", st, f.count.n.Load())
	}
}

// TestATokenStillValidOutlivesAFailedRenewal renews in the token's last minutes while the
// endpoint is down: the still valid token keeps being handed out.
func TestATokenStillValidOutlivesAFailedRenewal(t *testing.T) {
	f := newFixture(t)
	var down atomic.Bool
	f.count.next = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if down.Load() {
			return nil, errors.New("connection refused")
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	src := f.source(t)
	first := token1(t, src)
	down.Store(true)
	f.clock.Advance(time.Hour - time.Minute) // due (2 minutes before), not expired
	for range 3 {
		if got := token1(t, src); got != first {
			t.Fatal("the valid token was not handed out")
		}
	}
	f.clock.Advance(time.Minute) // expired: the failure shows, after the retry delay
	if _, err := src.Token(context.Background()); err == nil {
		t.Fatal("an expired token was handed out")
	}
}

func TestNewRefreshingRefusesWhatCannotWork(t *testing.T) {
	f := newFixture(t)
	badState := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(badState, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(o *token.RefreshOptions)
		says string
	}{
		{"no token URL", func(o *token.RefreshOptions) { o.TokenURL = "" }, "no token URL"},
		{"a relative token URL", func(o *token.RefreshOptions) { o.TokenURL = "/oauth/token" }, "absolute"},
		{"credentials in the token URL", func(o *token.RefreshOptions) { o.TokenURL = "https://u:p@api.restream.io/oauth/token" }, "without credentials"},
		{"plain http to another host", func(o *token.RefreshOptions) { o.TokenURL = "http://api.restream.io/oauth/token" }, "loopback"},
		{"another scheme", func(o *token.RefreshOptions) { o.TokenURL = "ftp://127.0.0.1/oauth/token" }, "http or https"},
		{"no client id", func(o *token.RefreshOptions) { o.ClientID = "" }, "client id"},
		{"a negative skew", func(o *token.RefreshOptions) { o.Skew = -time.Second }, "skew"},
		{"a negative timeout", func(o *token.RefreshOptions) { o.Timeout = -time.Second }, "timeout"},
		{"no refresh token anywhere", func(o *token.RefreshOptions) { o.RefreshToken = "" }, "no refresh token"},
		{"a state file it did not write", func(o *token.RefreshOptions) { o.StateFile = badState }, "fix or remove it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := f.options()
			tc.edit(&opts)
			_, err := token.NewRefreshing(opts)
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err %v, want one saying %q", err, tc.says)
			}
		})
	}
}

// TestTheMocksClockCanDriveRenewal uses the mock's own clock as the source's: once the mock has
// expired the first access token, the source hands out a renewed one the mock accepts.
func TestTheMocksClockCanDriveRenewal(t *testing.T) {
	f := newFixture(t)
	opts := f.options()
	opts.Now = func() time.Time {
		now, err := f.rs.Now()
		if err != nil {
			t.Error(err)
		}
		return now
	}
	src, err := token.NewRefreshing(opts)
	if err != nil {
		t.Fatal(err)
	}
	first := token1(t, src)
	if err := f.rs.AdvanceClock(time.Hour + time.Minute); err != nil {
		t.Fatal(err)
	}
	if st := f.profileStatus(t, first); st != 401 {
		t.Fatalf("the mock answered %d to an access token an hour old", st)
	}
	second := token1(t, src)
	if st := f.profileStatus(t, second); st != 200 || second == first {
		t.Fatalf("the renewed token: %d", st)
	}
}
