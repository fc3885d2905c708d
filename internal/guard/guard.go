// Package guard decides who may reach a local control plane: the mock's /__mock/ API today, and
// any other endpoint that can read or change the whole world (dashboards, the gateway's token).
//
// Such an endpoint listens on loopback, yet a web page the developer opens can still reach it:
// a cross-site form or fetch can send a write (CSRF), and DNS rebinding lets a page on
// evil.example read answers once its name resolves to 127.0.0.1. So a request passes only when
//
//   - its Host names this machine: a loopback address (127.0.0.0/8, ::1), "localhost" or a name
//     under ".localhost" (RFC 6761), or a host the user allowed explicitly. A rebinding page
//     always sends its own domain as Host, so it is refused before anything runs;
//   - it is not a cross-origin browser write: net/http's CrossOriginProtection (Sec-Fetch-Site,
//     or Origin against Host) refuses POST, PUT, PATCH and DELETE from other origins unless the
//     user trusts that origin;
//   - it carries the control token, when one is set (shared machines, or a listener that is not
//     loopback), compared in constant time.
package guard

import (
	"cmp"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/restreamkit/restreamkit/internal/apierror"
)

// Error names of the refusals, as the error envelope carries them.
const (
	NameHostNotAllowed      = "host_not_allowed"
	NameCrossSiteRequest    = "cross_site_request"
	NameInvalidControlToken = "invalid_control_token"
)

// maxHostLen bounds the Host value a refusal message quotes.
const maxHostLen = 255

// Options configure a Guard. The zero value accepts loopback Hosts, refuses cross-origin browser
// writes and needs no token.
type Options struct {
	// AllowHosts are further hosts the control plane answers to, with or without a port
	// ("mock.internal", "10.0.0.5:8080"). "*" accepts any Host and turns the Host check off.
	AllowHosts []string
	// TrustedOrigins are browser origins allowed to write ("http://localhost:5173").
	TrustedOrigins []string
	// Token, when set, must come as "Authorization: Bearer <Token>" on every request that needs it.
	Token string
	// StrictOrigin refuses every request whose Origin is neither its own nor trusted, whatever
	// the method, reads included. The MCP specification asks this of Streamable HTTP servers:
	// a page's fetch to a loopback MCP endpoint must not reach the tools.
	StrictOrigin bool
	// Realm names what the token guards, in the Bearer challenge and the 401's message; the
	// default is "restream-mock control API".
	Realm string
}

// Guard checks requests against its Options. It is immutable and safe for concurrent use.
type Guard struct {
	anyHost bool
	hosts   map[string]bool // lower-case host, or host:port
	cop     *http.CrossOriginProtection
	token   []byte
	strict  bool
	trusted map[string]bool // lower-case trusted origins, for StrictOrigin
	realm   string
}

// New builds a guard. It fails on a malformed trusted origin or allowed host.
func New(opts Options) (*Guard, error) {
	g := &Guard{hosts: map[string]bool{}, cop: http.NewCrossOriginProtection(), strict: opts.StrictOrigin,
		trusted: map[string]bool{}, realm: cmp.Or(opts.Realm, "restream-mock control API")}
	for _, h := range opts.AllowHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case h == "":
			continue
		case h == "*":
			g.anyHost = true
		case strings.ContainsAny(h, "/?#@ "):
			return nil, fmt.Errorf("allowed host %q: want a host name or address, with an optional port", h)
		default:
			g.hosts[h] = true
		}
	}
	for _, o := range opts.TrustedOrigins {
		o = strings.TrimSpace(o)
		if err := g.cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("trusted origin: %w", err)
		}
		g.trusted[strings.ToLower(o)] = true
	}
	if opts.Token != "" {
		g.token = []byte(opts.Token)
	}
	return g, nil
}

// RequiresToken reports whether a control token is set.
func (g *Guard) RequiresToken() bool { return g.token != nil }

// Check returns nil when r may reach the control plane, else the refusal as an error envelope:
// 403 host_not_allowed, 403 cross_site_request, or 401 invalid_control_token (with a Bearer
// challenge). needToken is false for the few endpoints a browser reaches without the token, such
// as the consent form of the OAuth dialog; the Host and origin checks still apply to them.
func (g *Guard) Check(r *http.Request, needToken bool) *apierror.Error {
	if !g.HostAllowed(r.Host) {
		return apierror.Newf(http.StatusForbidden, NameHostNotAllowed,
			"Forbidden: this endpoint answers loopback hosts only, not %q (allow it with --allow-host)", clip(r.Host))
	}
	if err := g.cop.Check(r); err != nil || g.strict && !g.originAllowed(r) {
		return apierror.New(http.StatusForbidden, NameCrossSiteRequest,
			"Forbidden: cross-origin browser requests are refused here (trust an origin with --allow-origin)")
	}
	if needToken && g.token != nil && !g.tokenMatches(r.Header.Get("Authorization")) {
		return apierror.Newf(http.StatusUnauthorized, NameInvalidControlToken,
			"Unauthorized: the %s needs its token as a Bearer token", g.realm).
			WithHeader("WWW-Authenticate", `Bearer realm="`+g.realm+`"`)
	}
	return nil
}

// originAllowed reports whether r carries no Origin, or its own, or a trusted one. An origin is
// the request's own when its host and port are the request's Host (the scheme cannot be checked
// behind a TLS-terminating proxy). "null" (sandboxed frames, files) is never allowed.
func (g *Guard) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if g.trusted[strings.ToLower(origin)] {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Path != "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// TokenMatches reports whether token is the control token, compared in constant time. A
// dashboard uses it for the credential a browser keeps in a cookie, which carries no scheme.
func (g *Guard) TokenMatches(token string) bool {
	return g.token != nil && subtle.ConstantTimeCompare([]byte(token), g.token) == 1
}

// tokenMatches compares the bearer credentials with the token in constant time.
func (g *Guard) tokenMatches(authorization string) bool {
	scheme, cred, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(cred)), g.token) == 1
}

// HostAllowed reports whether a Host header value names this machine or an allowed host.
func (g *Guard) HostAllowed(hostport string) bool {
	if g.anyHost {
		return true
	}
	hostport = strings.ToLower(hostport)
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if host == "" {
		return false
	}
	if g.hosts[hostport] || g.hosts[host] {
		return true
	}
	return IsLoopbackHost(host)
}

// IsLoopbackHost reports whether host (without a port) is a loopback address or a name that
// always resolves to one ("localhost" and names under ".localhost", RFC 6761 §6.3).
func IsLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	return false
}

// IsLoopbackAddr reports whether a listen address ("127.0.0.1:8080", "[::1]:0", ":8080") keeps
// the listener on loopback. An empty host listens on every interface, so it is not loopback.
func IsLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	return IsLoopbackHost(host)
}

// Handler wraps h: requests the guard refuses get the refusal's envelope and never reach h.
// exempt lists the paths that need no control token (they still pass the Host and origin checks).
func (g *Guard) Handler(h http.Handler, exempt ...string) http.Handler {
	free := make(map[string]bool, len(exempt))
	for _, p := range exempt {
		free[p] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := g.Check(r, !free[r.URL.Path]); e != nil {
			e.Write(w)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// clip shortens a value an attacker chose before it goes into a message.
func clip(s string) string {
	if len(s) > maxHostLen {
		return s[:maxHostLen] + "…"
	}
	return s
}
