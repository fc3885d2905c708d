package oauth

import (
	"strconv"
	"strings"
)

// redirect is a matched redirect URI: one the client registered and, when a loopback redirect
// matched with another port, that port. It keeps the registered string rather than the request's,
// so that a pending consent request or a code costs at most a few bytes more however long the URI.
type redirect struct {
	registered string
	port       string // "" for the registered URI as it is; digits otherwise
}

// String is the URI the browser is sent to and the token request must repeat (RFC 6749 §4.1.3).
func (r redirect) String() string {
	if r.port == "" {
		return r.registered
	}
	origin, tail, _ := splitLoopback(r.registered)
	host, _ := cutPort(origin)
	return host + ":" + r.port + tail
}

// matchRedirect is the one place a redirect URI sent by a client is compared with the ones its
// application registered.
//
// A URI matches a registered one when it is the same string (RFC 6749 §3.1.2.3: simple string
// comparison, no normalisation), with one exception from RFC 8252 §7.3: a registered loopback
// redirect, http://127.0.0.1/…, http://[::1]/… or http://localhost/…, matches the same URI with any
// port, because native and development apps get their port from the operating system at run time.
// Everything but the port must still be the same string: scheme, host spelling, path and query;
// a request without a port matches only a registered URI without one.
func matchRedirect(registered []string, uri string) (redirect, bool) {
	for _, r := range registered {
		if r == uri {
			return redirect{registered: r}, true
		}
	}
	origin, tail, ok := splitLoopback(uri)
	if !ok {
		return redirect{}, false
	}
	host, port := cutPort(origin)
	if port == "" || !validPort(port) {
		return redirect{}, false
	}
	for _, r := range registered {
		if rOrigin, rTail, ok := splitLoopback(r); ok && rTail == tail {
			if rHost, _ := cutPort(rOrigin); rHost == host {
				return redirect{registered: r, port: strings.Clone(port)}, true
			}
		}
	}
	return redirect{}, false
}

// loopbackHosts are the hosts RFC 8252 §7.3 lets match with any port. localhost is accepted too:
// the RFC's §8.3 discourages it, but development servers (Vite, webpack) use it.
var loopbackHosts = [...]string{"http://127.0.0.1", "http://[::1]", "http://localhost"}

// splitLoopback splits an http URI of a loopback host, with no user information, into its
// origin (scheme, host and any port, such as http://localhost:5173) and the rest (path and
// query); ok is false for any other URI.
func splitLoopback(uri string) (origin, tail string, ok bool) {
	for _, h := range loopbackHosts {
		if !strings.HasPrefix(uri, h) {
			continue
		}
		end := len(h) + strings.IndexAny(uri[len(h):]+"/", "/?#")
		if end > len(uri) {
			end = len(uri)
		}
		if after := uri[len(h):end]; after != "" && after[0] != ':' {
			return "", "", false // http://localhost.example, http://127.0.0.10
		}
		return uri[:end], uri[end:], true
	}
	return "", "", false
}

// cutPort splits a loopback origin into the origin without its port and the port ("" if none).
func cutPort(origin string) (host, port string) {
	for _, h := range loopbackHosts {
		if strings.HasPrefix(origin, h) {
			return h, strings.TrimPrefix(origin[len(h):], ":")
		}
	}
	return origin, ""
}

// validPort reports whether p is a port number: 1 to 5 digits, at most 65535.
func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	n, err := strconv.Atoi(p)
	return err == nil && n <= 65535
}

// redirectMismatch is the error of a redirect URI that does not match: msg followed by the URIs
// the client registered, which are not secret, so that a developer sees at once what to send or
// what to register.
func redirectMismatch(msg string, c *clientRecord) string {
	return msg + " (client " + strconv.Quote(c.ID) + " registered: " + strings.Join(c.RedirectURIs, ", ") + ")"
}

// Messages of the two redirect mismatches; redirectMismatch adds the registered URIs. The dialog's
// is invalid_request (RFC 6749 §4.1.2.1); the token endpoint's is invalid_grant, since RFC 6749
// §5.2 names "does not match the redirection URI used in the authorization request" among the
// grant's faults, even when the URI is another one the client registered.
const (
	msgRedirectUnregistered = "Invalid request: `redirect_uri` does not match a redirect URI registered for the client"
	msgRedirectNotTheCodes  = "Invalid grant: `redirect_uri` is not the one the code was issued for"
)

// RedirectRegistered reports whether uri is one of the registered redirect URIs, by the rules
// the authorization endpoint applies (exact match, or any port of a loopback URI: RFC 8252 §7.3).
func RedirectRegistered(registered []string, uri string) bool {
	_, ok := matchRedirect(registered, uri)
	return ok
}
