package redact

import (
	"strings"
	"testing"
)

func TestQueryRedactsParametersNamedLikeCredentialHeaders(t *testing.T) {
	const secret = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	for _, name := range []string{"Cookie", "x-api-key", "X-Api-Key", "Proxy-Authorization", "Authorization"} {
		t.Run(name, func(t *testing.T) {
			got := Query("page=2&" + name + "=" + secret + "&limit=10")
			if strings.Contains(got, secret) || !strings.Contains(got, "page=2&") || !strings.HasSuffix(got, "&limit=10") {
				t.Fatalf("Query kept %s in clear or changed the rest: %s", name, got)
			}
		})
	}
}

func TestTextFindsCredentialsAfterTextThatChangesLengthWhenLowerCased(t *testing.T) {
	const token = "Tok3nTok3nTok3n"
	for _, prefix := range []string{"\u212a", "\xb5\xb5\xb5\xb5\xb5\xb5\xb5\xb5", "İstanbul", "ok"} { // Kelvin sign, invalid UTF-8, dotted I
		t.Run(prefix, func(t *testing.T) {
			for _, s := range []string{prefix + " Bearer " + token, prefix + " basic " + token + ` and "BEARER ` + token + `"`} {
				if got := Text(s); strings.Contains(got, token) || !strings.HasPrefix(got, prefix) {
					t.Fatalf("Text(%q) = %q", s, got)
				}
			}
		})
	}
}
