package token

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/restreamkit/restreamkit/internal/guard"
	"github.com/restreamkit/restreamkit/internal/redact"
)

// Defaults of RefreshOptions.
const (
	// DefaultSkew is how long before its expiry an access token is renewed: Restream's live
	// one hour, so two minutes leave room for a slow token endpoint and clock drift.
	DefaultSkew = 2 * time.Minute
	// DefaultTimeout bounds one call to the token endpoint.
	DefaultTimeout = 30 * time.Second
	// DefaultLifetime is how long an access token is taken to live when the token endpoint
	// does not say (no expires_in): short, so that a token of unknown life is renewed soon
	// rather than used until Restream refuses it.
	DefaultLifetime = 10 * time.Minute
	// RetryDelay is how long a failed renewal is not retried: calls in between get the
	// failure at once instead of each hitting the token endpoint again.
	RetryDelay = 10 * time.Second
)

// maxStateBytes bounds the state file the source reads: it holds one token.
const maxStateBytes = 64 << 10

// Errors a renewal can fail with that retrying cannot mend. The source keeps failing with them
// (while the last access token, if any, still lives) until the gateway is restarted with a new
// refresh token or client credentials.
var (
	// ErrInvalidGrant says the token endpoint refused the refresh token: it was revoked, has
	// expired, or was already used (a rotated token presented again).
	ErrInvalidGrant = errors.New("the refresh token was refused")
	// ErrInvalidClient says the token endpoint refused the client id or secret.
	ErrInvalidClient = errors.New("the OAuth client credentials were refused")
)

// RefreshOptions configure a refreshing token source.
type RefreshOptions struct {
	// TokenURL is the OAuth token endpoint: https://api.restream.io/oauth/token, or the mock's
	// http://127.0.0.1:8080/oauth/token. Plain http is accepted for a loopback host only, as
	// the client secret and the tokens cross it.
	TokenURL string
	// ClientID and ClientSecret are the Restream application's credentials, sent with HTTP
	// Basic authentication.
	ClientID, ClientSecret string
	// RefreshToken is the refresh token to start from when StateFile holds none.
	RefreshToken string
	// StateFile, when set, is where the newest refresh token is kept. Restream rotates the
	// refresh token on every renewal and refuses a used one, so the token given at the first
	// start is dead after the first renewal: the file (read at start in preference to
	// RefreshToken) is what lets a restart carry on. It is written atomically (a temporary
	// file 0600 in the same directory, renamed over it). Without it, a restart needs a new
	// refresh token.
	StateFile string
	// HTTPClient sends the token requests; nil uses a client with Timeout.
	HTTPClient *http.Client
	// Now is the clock that decides when a token is due for renewal; nil is time.Now. It is
	// called from several goroutines.
	Now func() time.Time
	// Logger receives renewals and failures, never a token's value; nil discards them.
	Logger *slog.Logger
	// Skew is how long before its expiry an access token is renewed; 0 is DefaultSkew. It is
	// capped at half the token's lifetime, so a short-lived token is not renewed on every call.
	Skew time.Duration
	// Timeout bounds one call to the token endpoint; 0 is DefaultTimeout.
	Timeout time.Duration
}

// Refreshing is a token source that renews its access token with the refresh_token grant
// before it expires. Concurrent calls share one renewal. It is safe for concurrent use.
type Refreshing struct {
	conf    oauth2.Config
	client  *http.Client
	now     func() time.Time
	log     *slog.Logger
	skew    time.Duration
	timeout time.Duration
	state   string

	mu sync.Mutex
	// refresh is the newest refresh token. Only the renewal in flight reads and replaces it.
	refresh string
	access  string
	// expiry is when access expires and renewAt when it is due for renewal, by now().
	expiry, renewAt time.Time
	// flight is the renewal under way, nil when none is.
	flight *flight
	// failed is the last renewal's failure, not retried before retryAt; dead is a failure
	// that retrying cannot mend (ErrInvalidGrant, ErrInvalidClient).
	failed  error
	retryAt time.Time
	dead    error
}

// flight is one renewal that callers wait for.
type flight struct {
	done   chan struct{}
	access string
	err    error
}

// NewRefreshing checks opts and reads the state file; the first Token call renews the access
// token (the source starts without one).
func NewRefreshing(opts RefreshOptions) (*Refreshing, error) {
	var errs []error
	u, err := url.Parse(opts.TokenURL)
	switch {
	case opts.TokenURL == "":
		errs = append(errs, errors.New("no token URL"))
	case err != nil || !u.IsAbs() || u.Host == "" || u.User != nil:
		errs = append(errs, fmt.Errorf("token URL %q: want an absolute http(s) URL without credentials", redact.URL(opts.TokenURL)))
	case u.Scheme == "http" && !guard.IsLoopbackHost(u.Hostname()):
		errs = append(errs, fmt.Errorf("token URL %s: plain http is only allowed to a loopback host (the client secret and tokens would cross the network in clear)", u.Redacted()))
	case u.Scheme != "http" && u.Scheme != "https":
		errs = append(errs, fmt.Errorf("token URL %s: want http or https", u.Redacted()))
	}
	if opts.ClientID == "" {
		errs = append(errs, errors.New("no OAuth client id"))
	}
	if opts.Skew < 0 {
		errs = append(errs, fmt.Errorf("skew %v: want a positive duration, or 0 for %v", opts.Skew, DefaultSkew))
	}
	if opts.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %v: want a positive duration, or 0 for %v", opts.Timeout, DefaultTimeout))
	}
	s := &Refreshing{
		conf: oauth2.Config{ClientID: opts.ClientID, ClientSecret: opts.ClientSecret,
			// Basic only: AutoDetect would present a refused refresh token a second time.
			Endpoint: oauth2.Endpoint{TokenURL: opts.TokenURL, AuthStyle: oauth2.AuthStyleInHeader}},
		client: opts.HTTPClient, now: opts.Now, log: opts.Logger, skew: opts.Skew, timeout: opts.Timeout,
		state: opts.StateFile, refresh: opts.RefreshToken,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.skew == 0 {
		s.skew = DefaultSkew
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: s.timeout}
	}
	if s.state != "" {
		saved, err := s.readState()
		switch {
		case err != nil:
			errs = append(errs, err)
		case saved != "":
			s.refresh = saved
		}
	}
	if s.refresh == "" && len(errs) == 0 {
		if s.state != "" {
			errs = append(errs, fmt.Errorf("no refresh token: give one (it is then kept in %s)", s.state))
		} else {
			errs = append(errs, errors.New("no refresh token"))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("token refresh: %w", err)
	}
	if s.state == "" {
		s.log.Warn("no state file for the refresh token: it is rotated on every renewal, so a restart will need a new one")
	}
	return s, nil
}

// Token returns an access token that is not due for renewal, renewing it first when it is. A
// token in its last Skew is still returned at once while the renewal runs in the background.
// When a renewal fails, the error says why (ErrInvalidGrant tells the user to authorize
// again); a failed renewal is not retried for RetryDelay.
func (s *Refreshing) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	now := s.now()
	live := s.access != "" && now.Before(s.expiry)
	if live && now.Before(s.renewAt) {
		tok := s.access
		s.mu.Unlock()
		return tok, nil
	}
	f := s.flight
	if f == nil {
		var err error
		switch {
		case s.dead != nil:
			err = s.dead
		case s.failed != nil && now.Before(s.retryAt):
			err = s.failed
		}
		if err != nil {
			tok := s.access
			s.mu.Unlock()
			if live {
				return tok, nil
			}
			return "", err
		}
		f = &flight{done: make(chan struct{})}
		s.flight = f
		go s.renew(f, s.refresh)
	}
	if live {
		tok := s.access
		s.mu.Unlock()
		return tok, nil
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.access, f.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// renew runs one refresh_token grant and publishes its outcome to f and the source. It does
// not run on a caller's context: once the token endpoint has rotated the refresh token, the
// answer must be read and the new token kept, or the source is left holding a dead one.
func (s *Refreshing) renew(f *flight, refresh string) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.client)
	started := s.now()
	tok, err := s.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: refresh}).Token()

	rotated := false
	if err == nil && tok.RefreshToken != "" && tok.RefreshToken != refresh {
		rotated = true
		if s.state != "" {
			if perr := s.writeState(tok.RefreshToken); perr != nil {
				s.log.Error("the rotated refresh token could not be saved; a restart would present a used one and need a new authorization",
					"file", s.state, "err", perr)
			}
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	defer close(f.done)
	s.flight = nil
	if err != nil {
		f.err = s.describe(err)
		s.failed, s.retryAt = f.err, s.now().Add(RetryDelay)
		if errors.Is(f.err, ErrInvalidGrant) || errors.Is(f.err, ErrInvalidClient) {
			s.dead = f.err
		}
		s.log.Error("renewing the Restream access token failed", "err", f.err)
		return
	}
	// expires_in is the endpoint's number: bounded before it is multiplied, so that an absurd
	// one cannot overflow into a past expiry (a renewal on every call).
	lifetime := time.Duration(tok.ExpiresIn) * time.Second
	if tok.ExpiresIn <= 0 || tok.ExpiresIn > int64(366*24*time.Hour/time.Second) {
		lifetime = DefaultLifetime
	}
	skew := min(s.skew, lifetime/2)
	if rotated {
		s.refresh = tok.RefreshToken
	}
	s.access, s.expiry, s.renewAt = tok.AccessToken, started.Add(lifetime), started.Add(lifetime-skew)
	s.failed = nil
	f.access = tok.AccessToken
	s.log.Info("renewed the Restream access token", "expires_in", lifetime.String(), "refresh_token_rotated", rotated,
		"refresh_token", redact.Value(s.refresh))
}

// describe turns a failed grant into an error for the user, without any token in it.
func (s *Refreshing) describe(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		// A transport failure: url.Error's text quotes the token URL, whose path ends in
		// "token", which redact.Text would take for an assignment; the URL is the caller's.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("renewing the access token at %s: %s", redact.URL(s.conf.Endpoint.TokenURL), redact.Text(err.Error()))
	}
	code, msg := re.ErrorCode, re.ErrorDescription
	if code == "" {
		// Restream answers with its error envelope rather than RFC 6749's object.
		var env struct {
			Error struct{ Name, Message string } `json:"error"`
		}
		if json.Unmarshal(re.Body, &env) == nil {
			code, msg = env.Error.Name, env.Error.Message
		}
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	detail := fmt.Sprintf("the token endpoint answered %d", status)
	if code != "" {
		detail += " " + brief(code)
	}
	if msg != "" {
		detail += ": " + brief(msg)
	}
	switch code {
	case "invalid_grant":
		return fmt.Errorf("%w (%s): it was revoked, has expired or was already used; authorize the gateway again with the Restream application and give it the new refresh token", ErrInvalidGrant, detail)
	case "invalid_client", "unauthorized_client":
		return fmt.Errorf("%w (%s): check the client id and secret of the Restream application", ErrInvalidClient, detail)
	}
	return fmt.Errorf("renewing the access token: %s", detail)
}

// brief redacts and shortens a text from the token endpoint for a message.
func brief(s string) string {
	s = redact.Text(s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// state is the state file's content.
type state struct {
	RefreshToken string `json:"refresh_token"`
}

// readState reads the refresh token of the state file: JSON as writeState writes it, or the
// bare token (a file a user wrote by hand). A missing file holds none.
func (s *Refreshing) readState() (string, error) {
	f, err := os.Open(s.state)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("state file: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
		s.log.Warn("the refresh token's state file can be read by other users; chmod 600 it", "file", s.state, "mode", fi.Mode().Perm().String())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxStateBytes+1))
	if err != nil {
		return "", fmt.Errorf("state file: %w", err)
	}
	if len(data) > maxStateBytes {
		return "", fmt.Errorf("state file %s: over %d bytes; it should hold one refresh token", s.state, maxStateBytes)
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return "", nil
	}
	if data[0] != '{' {
		return string(data), nil
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		// Not falling back to RefreshToken: the flag's token may be long rotated away.
		return "", fmt.Errorf("state file %s: not the JSON this gateway writes (%v); fix or remove it", s.state, err)
	}
	return st.RefreshToken, nil
}

// writeState replaces the state file with one holding refresh, atomically: a reader (a restart)
// sees the old file or the new one, never a part.
func (s *Refreshing) writeState(refresh string) (err error) {
	data, err := json.Marshal(state{RefreshToken: refresh})
	if err != nil {
		return err
	}
	dir, base := filepath.Split(s.state)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err = tmp.Write(append(data, '\n')); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), s.state); err != nil {
		return err
	}
	// The rename is durable once the directory is synced; not every system can sync one.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
