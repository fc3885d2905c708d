package oauth

import (
	"fmt"
	"strings"
)

// DefaultFlagRedirectURIs are the redirect URIs of a client given on the command line without
// any: a /callback on each loopback host, which matches any port (see matchRedirect), so that an
// app on localhost:5173 or 127.0.0.1:3000 signs in without registering its port.
var DefaultFlagRedirectURIs = []string{"http://localhost/callback", "http://127.0.0.1/callback", "http://[::1]/callback"}

// ParseClientFlags reads the values of restream-mock's --client flag (and of its environment
// variable), each holding one or more clients separated by white space:
//
//	ID:SECRET[:REDIRECT[,REDIRECT...]]
//
// The id and the secret cannot hold a colon or white space, and a redirect URI cannot hold a
// comma or white space (register such a client through the fixtures or the control API). The
// redirect URIs are everything after the second colon, split at commas; without them the client
// gets DefaultFlagRedirectURIs. Such a client is registered with every scope the mock knows; the
// control API registers one with fewer. Each client is checked as New checks Options.Clients, and
// an id given twice is an error. Errors name the client by its id, never show the secret.
func ParseClientFlags(values []string) ([]Client, error) {
	var out []Client
	seen := map[string]bool{}
	for _, v := range values {
		for _, spec := range strings.Fields(v) {
			c, err := ParseClientFlag(spec)
			if err != nil {
				return nil, err
			}
			if seen[c.ID] {
				return nil, fmt.Errorf("client %q is given twice", c.ID)
			}
			seen[c.ID] = true
			out = append(out, c)
		}
	}
	if len(out) > MaxClients {
		return nil, fmt.Errorf("%d clients are given: at most %d", len(out), MaxClients)
	}
	return out, nil
}

// ParseClientFlag reads one ID:SECRET[:REDIRECT,...] client (see ParseClientFlags).
func ParseClientFlag(spec string) (Client, error) {
	id, rest, ok := strings.Cut(spec, ":")
	if !ok {
		// No colon, so no secret to hide: the whole spec is the id.
		return Client{}, fmt.Errorf("client %.40q: want ID:SECRET[:REDIRECT,...]", spec)
	}
	secret, redirects, hasRedirects := strings.Cut(rest, ":")
	c := Client{ID: id, Secret: secret, RedirectURIs: DefaultFlagRedirectURIs}
	if strings.ContainsAny(spec, " \t\r\n") {
		return Client{}, fmt.Errorf("client %.40q: white space separates clients", id)
	}
	if hasRedirects {
		c.RedirectURIs = strings.Split(redirects, ",")
		for i, r := range c.RedirectURIs {
			if r == "" {
				return Client{}, fmt.Errorf("client %.40q: redirect URI %d of %q is empty", id, i+1, redirects)
			}
		}
	}
	for _, sc := range AllScopes.List() {
		c.Scopes = append(c.Scopes, sc.String())
	}
	if _, err := newClientRecord(c); err != nil {
		return Client{}, err
	}
	return cloneClient(c), nil
}
