// Package oauth is the OAuth 2.0 authorization server of the Restream mock: registered clients,
// scopes, the authorize dialog and its consent page, authorization codes, token pairs with
// refresh rotation, revocation, and bearer authentication for the REST API and the WebSockets.
//
// It holds logic only. HTTP routing lives in the mock, which turns query strings, form bodies
// and headers into the plain values this package takes (ParseBasic, TokenFormFromValues and
// ParseDecision help with that) and writes the *apierror.Error values it returns. Every
// failure is an *apierror.Error, so the error envelope is built in one place.
//
// The behaviour follows Restream's documentation (see the project's facts file, §2):
//
//   - GET /login shows a consent page (Authorize, RenderConsent). Approving redirects to
//     <redirect_uri>?code=…&scope=<comma-separated>&state=…; denying redirects to the bare
//     redirect_uri with no query parameters at all (Decide). Allow is the form's first button,
//     so Enter approves. A refused request is never redirected; the mock shows its error as an
//     HTML page to browsers (apierror.WriteNegotiated).
//   - POST /oauth/token exchanges a code or rotates a refresh token (Token). The client
//     authenticates with HTTP Basic or with client_id/client_secret in the body. A code or a
//     refresh token presented a second time is refused and revokes the pair its family holds
//     now (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
//   - POST /oauth/revoke revokes the whole pair of either token and never fails (Revoke).
//   - Access tokens live one hour, refresh tokens one year.
//
// Clients (applications) come from Options.Clients and change at run time (PutClient,
// DeleteClient, SetClients): a client deleted or registered differently loses its tokens, codes
// and pending consent requests, as an app deleted at Restream would. Redirect URIs are compared in
// one place, matchRedirect: exactly, except that a registered loopback URI matches any port
// (RFC 8252 §7.3). A mismatch names the client's registered URIs.
//
// Where Restream's behaviour is unconfirmed (error bodies of the token endpoint, code
// lifetime, messages for expired tokens), the package follows RFC 6749 and the wording of the
// node-oauth2-server library Restream's documented messages come from.
//
// Every parameter has a length bound and every store a count bound (limits.go adds up their
// worst case), so no client can make the server hold more than a few megabytes.
//
// Time comes only from the injected *clock.Clock, so tests and the control API can expire
// codes and tokens by moving the clock. Tokens, codes and consent request ids are kept in
// maps keyed by their SHA-256 digest, never by their raw value, and are never logged.
package oauth
