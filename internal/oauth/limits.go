package oauth

import (
	"strconv"
)

// Longest values, in bytes, the server accepts for the OAuth parameters of GET /login and
// POST /oauth/token. A longer value is a 400 invalid_request error naming the parameter, before
// anything is looked up or stored. They are the mock's own caps, picked so that no real client
// reaches them: Restream documents no length, so they are UNCONFIRMED for Restream and are not in
// the spec the proxy checks (only code_verifier is, at RFC 7636's own bound). Registered clients
// must fit them too (New checks), so every registered client can still sign in.
const (
	// MaxStateLen bounds state, the one value a pending consent request keeps as sent. Clients
	// send a random value of 16 to 64 characters, some a few hundred bytes of encoded JSON.
	MaxStateLen = 2048
	// MaxRedirectURILen bounds redirect_uri; it must equal a registered URI anyway.
	MaxRedirectURILen = 2048
	// MaxScopeLen bounds scope: every spelling of every scope, separated, fits in a quarter of it.
	MaxScopeLen = 1024
	// MaxClientIDLen bounds client_id and client_secret (in the form; in a Basic header they are
	// bounded by the header limit and never stored).
	MaxClientIDLen = 256
	// MaxCodeVerifierLen is RFC 7636 §4.1's bound on code_verifier (the spec states it too).
	MaxCodeVerifierLen = 128
	// maxWordLen bounds response_type and grant_type, whose valid values are single words.
	maxWordLen = 64
)

// Bounds on the registered clients, whether they come from the fixtures, the command line or the
// control API. They are the mock's own: an application registers a handful of redirect URIs, and a
// test suite a few clients.
const (
	// MaxClients bounds the registered clients.
	MaxClients = 100
	// MaxRedirectURIs bounds the redirect URIs of one client.
	MaxRedirectURIs = 20
	// MaxClientNameLen bounds a client's display name.
	MaxClientNameLen = 256
	// maxClientScopes bounds the scope names of one client: every spelling of every scope
	// (four per scope) fits.
	maxClientScopes = 4 * int(maxScope)
)

// paramLimits gives each parameter's bound. Codes and tokens are bounded by maxSecretLen, the
// longest secret the server hashes: everything it mints is 40 characters.
var paramLimits = map[string]int{
	"response_type": maxWordLen,
	"grant_type":    maxWordLen,
	"client_id":     MaxClientIDLen,
	"client_secret": MaxClientIDLen,
	"redirect_uri":  MaxRedirectURILen,
	"state":         MaxStateLen,
	"scope":         MaxScopeLen,
	"code":          maxSecretLen,
	"refresh_token": maxSecretLen,
	"code_verifier": MaxCodeVerifierLen,
}

// checkLength refuses a value of parameter name longer than its bound.
func checkLength(name, value string) error {
	if max, ok := paramLimits[name]; ok && len(value) > max {
		return invalidRequest("Invalid request: `" + name + "` is longer than " + strconv.Itoa(max) + " bytes")
	}
	return nil
}

// The server's stores and their worst cases. Each is bounded in count, and nothing a client
// sends is kept beyond the bounded state of a pending consent request: client ids and redirect
// URIs are kept as the registered strings (plus, for a loopback redirect matched on another port,
// that port: at most 5 bytes), scopes as a bit set, and codes and tokens as their
// SHA-256 digests. The per-record sizes are measured by TestTheStoresStayWithinTheirWorstCase
// (record, map slot and list element, after the maps have grown to the bound).
//
//   - pending consent requests: at most maxPending (10,000) records of at most pendingRecordBytes
//     (320 B), plus their states, at most maxPendingStateBytes (2 MiB) in all, rounded up by the
//     allocator by at most an eighth: 10,000 × 320 B + 2.25 MiB ≈ 5.6 MB.
//   - authorization codes: at most maxCodes (10,000) × codeRecordBytes (320 B) ≈ 3.2 MB.
//   - token pairs: at most MaxTokens (default 10,000) × pairRecordBytes (512 B) ≈ 5.1 MB,
//     whether minted by the token endpoint, the control API or the banner; the oldest pair is
//     dropped for a new one (its tokens stop working).
//   - retired refresh tokens (for reuse detection): at most MaxTokens × retiredRecordBytes
//     (256 B) ≈ 2.6 MB, oldest dropped first.
//
// With the defaults, the OAuth server holds at most about 17 MB, whatever clients send.
const (
	maxPendingStateBytes = 2 << 20
	pendingRecordBytes   = 320
	codeRecordBytes      = 320
	pairRecordBytes      = 512
	retiredRecordBytes   = 256
)
