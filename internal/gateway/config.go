package gateway

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/restreamkit/restreamkit/capabilities"
	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/gateway/token"
	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
	"github.com/restreamkit/restreamkit/internal/redact"
	"github.com/restreamkit/restreamkit/internal/report"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// Config is restream-gateway's command line: what to run, against what, and how to guard it.
// AddFlags binds it to flags; Gateway turns it into a Gateway.
type Config struct {
	// Capability is the capability file to run; "" runs the embedded one (package capabilities).
	Capability string
	// Upstream replaces the capability's base URL (http://127.0.0.1:8080/v2 for restream-mock).
	Upstream string
	// RESTAddr, MCPAddr, AllowHosts, AllowOrigins, AuthToken and ReadOnly: see Options.
	RESTAddr, MCPAddr        string
	AllowHosts, AllowOrigins []string
	AuthToken                string
	ReadOnly                 bool
	// Mode is "report" or "enforce"; Report is where violations go as JSON lines (a file, "-"
	// for standard output, "" for the log only).
	Mode, Report string
	// UpstreamTimeout bounds one upstream call; MaxResultBytes bounds an answer handed to a
	// client (longer ones are cut with a notice).
	UpstreamTimeout time.Duration
	MaxResultBytes  int
	// ClientID, ClientSecret and RefreshToken, when all set, make the gateway renew its access
	// token itself at TokenURL ("" derives it from the upstream: scheme and host, then
	// /oauth/token), keeping the rotated refresh token in TokenFile.
	ClientID, ClientSecret, RefreshToken, TokenURL, TokenFile string

	// Version, Logger and Getenv come from the command, not from flags. Getenv reads the
	// variables the capability binds (nil: the process environment).
	Version string
	Logger  *slog.Logger
	Getenv  func(string) string
}

// accessTokenVar is the variable our capability binds the access token from; a refreshing token
// source fills it instead.
const accessTokenVar = "RESTREAM_ACCESS_TOKEN"

// AddFlags defines the flags of c on fs.
func (c *Config) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Capability, "capability", "", "capability file to run (imports resolve next to it); empty runs the embedded multistream-management capability")
	fs.StringVar(&c.Upstream, "upstream", "", "base URL replacing the capability's (https://api.restream.io/v2), e.g. http://127.0.0.1:8080/v2 for restream-mock")
	fs.StringVar(&c.RESTAddr, "rest-addr", "", "address of the REST facade; empty: the capability's port on "+DefaultHost)
	fs.StringVar(&c.MCPAddr, "mcp-addr", "", "address of the MCP server (Streamable HTTP at /mcp); empty: the capability's port on "+DefaultHost)
	fs.StringSliceVar(&c.AllowHosts, "allow-host", nil, "further Host the gateway answers (repeatable; \"*\" turns the check off); loopback always passes")
	fs.StringSliceVar(&c.AllowOrigins, "allow-origin", nil, "browser origin allowed to call the gateway (repeatable); other origins get 403")
	fs.StringVar(&c.AuthToken, "auth-token", "", "bearer token every request needs (but /healthz); required on a non-loopback address")
	fs.BoolVar(&c.ReadOnly, "read-only", false, "expose only the MCP tools whose hints say read-only")
	fs.StringVar(&c.Mode, "mode", "report", "report (log and record violations) or enforce (also refuse to send a call that breaks the spec)")
	fs.StringVar(&c.Report, "report", "", "violations as JSON lines, in restream-proxy's format: a file, or - for standard output")
	fs.DurationVar(&c.UpstreamTimeout, "upstream-timeout", upstream.DefaultTimeout, "bound on one upstream call, answer included")
	fs.IntVar(&c.MaxResultBytes, "max-result-bytes", upstream.DefaultMaxResultBytes, "largest answer handed to a client; longer ones are cut with a notice")
	fs.StringVar(&c.ClientID, "client-id", "", "OAuth client id, to renew the access token (with --client-secret and --refresh-token)")
	fs.StringVar(&c.ClientSecret, "client-secret", "", "OAuth client secret (prefer the environment variable)")
	fs.StringVar(&c.RefreshToken, "refresh-token", "", "refresh token to start from (prefer the environment variable)")
	fs.StringVar(&c.TokenURL, "token-url", "", "OAuth token endpoint; empty: the upstream's host with /oauth/token")
	fs.StringVar(&c.TokenFile, "token-file", "", "file keeping the rotated refresh token (0600), read at start in preference to --refresh-token")
}

// Gateway loads the capability and builds the gateway. Load errors list every problem of the file.
func (c *Config) Gateway() (*Gateway, error) {
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	spec, err := validate.RestreamSpec()
	if err != nil {
		return nil, err
	}
	refresh, err := c.refreshing()
	if err != nil {
		return nil, err
	}
	lopts := capability.Options{Spec: spec, Env: c.lookupEnv(), Warn: func(w string) { log.Warn("capability", "note", w) }}
	if refresh {
		lopts.Provided = []string{accessTokenVar}
	}
	var plan *capability.Plan
	if c.Capability == "" {
		plan, err = capability.Load(capabilities.FS, capabilities.Default, lopts)
	} else {
		plan, err = capability.LoadFile(c.Capability, lopts)
	}
	if err != nil {
		return nil, err
	}
	up := upstream.Options{Spec: spec, Timeout: c.UpstreamTimeout, MaxResultBytes: c.MaxResultBytes, Logger: log}
	if up.Mode, err = upstream.ParseMode(cmp.Or(c.Mode, "report")); err != nil {
		return nil, fmt.Errorf("--mode: %w", err)
	}
	if c.Upstream != "" {
		if up.BaseURL, err = url.Parse(c.Upstream); err != nil {
			return nil, fmt.Errorf("--upstream: %w", err)
		}
	}
	if refresh {
		if up.Tokens, err = c.tokenSource(plan, up.BaseURL, log); err != nil {
			return nil, err
		}
	}
	if c.Report != "" {
		if up.Report, err = report.Open(c.Report); err != nil {
			return nil, fmt.Errorf("--report: %w", err)
		}
	}
	g, err := New(Options{Plan: plan, Upstream: up, RESTAddr: c.RESTAddr, MCPAddr: c.MCPAddr,
		AllowHosts: c.AllowHosts, AllowOrigins: c.AllowOrigins, AuthToken: c.AuthToken, ReadOnly: c.ReadOnly,
		Version: c.Version, Logger: log})
	if err != nil && up.Report != nil {
		err = errors.Join(err, up.Report.Close())
	}
	return g, err
}

// refreshing reports whether the OAuth renewal is configured: all three values, or none.
func (c *Config) refreshing() (bool, error) {
	var missing []string
	for _, v := range []struct {
		flag string
		set  bool
	}{{"--client-id", c.ClientID != ""}, {"--client-secret", c.ClientSecret != ""}, {"--refresh-token", c.RefreshToken != "" || c.TokenFile != ""}} {
		if !v.set {
			missing = append(missing, v.flag)
		}
	}
	switch len(missing) {
	case 0:
		return true, nil
	case 3:
		if c.TokenURL != "" {
			return false, errors.New("--token-url: needs --client-id, --client-secret and --refresh-token (or --token-file)")
		}
		return false, nil
	}
	return false, fmt.Errorf("renewing the access token needs --client-id, --client-secret and --refresh-token (or --token-file); missing %s",
		strings.Join(missing, ", "))
}

// tokenSource builds the refreshing token source, at --token-url or the token endpoint of the
// upstream's host (Restream serves OAuth at the host root, not under /v2).
func (c *Config) tokenSource(plan *capability.Plan, base *url.URL, log *slog.Logger) (upstream.TokenSource, error) {
	tokenURL := c.TokenURL
	if tokenURL == "" {
		if base == nil && len(plan.APIs) > 0 {
			base = plan.APIs[0].BaseURL
		}
		if base == nil {
			return nil, errors.New("--token-url: the capability consumes no API to derive it from")
		}
		tokenURL = (&url.URL{Scheme: base.Scheme, Host: base.Host, Path: "/oauth/token"}).String()
	}
	src, err := token.NewRefreshing(token.RefreshOptions{TokenURL: tokenURL, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		RefreshToken: c.RefreshToken, StateFile: c.TokenFile, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("token renewal at %s: %w", redact.URL(tokenURL), err)
	}
	return src, nil
}

// lookupEnv reads the capability's bind variables through Getenv; an empty value counts as
// unset, so that an exported-but-empty token is reported like a missing one.
func (c *Config) lookupEnv() func(string) (string, bool) {
	getenv := c.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	return func(name string) (string, bool) {
		v := getenv(name)
		return v, v != ""
	}
}
