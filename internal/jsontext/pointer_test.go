package jsontext_test

import (
	"testing"

	"github.com/restreamkit/restreamkit/internal/jsontext"
)

func TestPointerTokensEscapeAndUnescapeAsRFC6901Says(t *testing.T) {
	for raw, escaped := range map[string]string{"email": "email", "a/b": "a~1b", "m~n": "m~0n", "~1": "~01", "/~": "~1~0", "": ""} {
		if got := jsontext.EscapePointerToken(raw); got != escaped {
			t.Errorf("escape %q: got %q, want %q", raw, got, escaped)
		}
		if got := jsontext.UnescapePointerToken(escaped); got != raw {
			t.Errorf("unescape %q: got %q, want %q", escaped, got, raw)
		}
	}
}
