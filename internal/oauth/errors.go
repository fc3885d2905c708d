package oauth

import (
	"net/http"

	"github.com/restreamkit/restreamkit/internal/apierror"
)

// NameUnsupportedResponseType is the error name for an authorize request whose response_type
// is not "code" (RFC 6749 §4.1.2.1).
const NameUnsupportedResponseType = "unsupported_response_type"

// Messages Restream documents or that tests and clients match on. They follow the wording of
// node-oauth2-server, whose "Invalid token: access token is invalid" Restream documents.
const (
	MsgTokenMissing      = "Invalid token: access token is missing"
	MsgTokenInvalid      = "Invalid token: access token is invalid"
	MsgTokenExpired      = "Invalid token: access token has expired"
	MsgTokenMalformed    = "Invalid token: authorization header is malformed"
	MsgInsufficientScope = "Insufficient scope: authorized scope is insufficient"
	MsgClientInvalid     = "Invalid client: client is invalid"
	MsgClientMissing     = "Invalid client: cannot retrieve client credentials"
	MsgCodeInvalid       = "Invalid grant: authorization code is invalid"
	MsgCodeExpired       = "Invalid grant: authorization code has expired"
	MsgRefreshInvalid    = "Invalid grant: refresh token is invalid"
	MsgRefreshExpired    = "Invalid grant: refresh token has expired"
)

// Challenge headers of 401 answers. Every 401 carries one so that clients know which scheme
// to retry with (RFC 6749 §5.2, RFC 6750 §3).
const (
	challengeBasic  = `Basic realm="Service"`
	challengeBearer = `Bearer realm="Service", error="invalid_token"`
)

// invalidToken returns a fresh 401 invalid_token error. Errors are built per call because a
// handler may add headers to the one it gets.
func invalidToken(msg string) *apierror.Error {
	return apierror.New(http.StatusUnauthorized, apierror.NameInvalidToken, msg).
		WithHeader("WWW-Authenticate", challengeBearer)
}

// invalidClient returns a fresh 401 invalid_client error with a Basic challenge.
func invalidClient(msg string) *apierror.Error {
	return apierror.New(http.StatusUnauthorized, apierror.NameInvalidClient, msg).
		WithHeader("WWW-Authenticate", challengeBasic)
}

func invalidRequest(msg string) *apierror.Error {
	return apierror.New(http.StatusBadRequest, apierror.NameInvalidRequest, msg)
}

// missingParam names the missing parameter, as node-oauth2-server does.
func missingParam(name string) *apierror.Error {
	return invalidRequest("Missing parameter: `" + name + "`")
}

func invalidGrant(msg string) *apierror.Error {
	return apierror.New(http.StatusBadRequest, apierror.NameInvalidGrant, msg)
}

func invalidScope(msg string) *apierror.Error {
	return apierror.New(http.StatusBadRequest, NameInvalidScope, msg)
}

// internalError reports a failure of the server itself, such as its random source.
func internalError(msg string) *apierror.Error {
	return apierror.New(http.StatusInternalServerError, apierror.NameInternal, msg)
}
