// Package token supplies the bearer token restream-gateway sends to Restream: a static one (the
// capability's RESTREAM_ACCESS_TOKEN bind), or one renewed with OAuth 2.0's refresh_token grant
// before it expires, the rotated refresh token kept in a state file so that a restart carries on
// with the newest one.
//
// Token values are secrets: nothing here logs them or puts them in an error. Messages name a
// token by its fingerprint (internal/redact.Value) when they must tell two apart.
package token

import (
	"context"
	"errors"

	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
)

// ErrNoToken is Static's error when it was given no token: the gateway would otherwise send
// "Authorization: Bearer " and Restream would answer every call with 401.
var ErrNoToken = errors.New("no access token is configured (set RESTREAM_ACCESS_TOKEN, or configure a refresh token)")

// Static returns a source that gives token on every call.
func Static(token string) upstream.TokenSource { return static(token) }

type static string

func (s static) Token(context.Context) (string, error) {
	if s == "" {
		return "", ErrNoToken
	}
	return string(s), nil
}
