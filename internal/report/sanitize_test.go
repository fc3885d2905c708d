package report

import (
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/validate"
)

// Reports learn what is secret from internal/redact only. These cases name the
// places a violation can carry a credential; the HTTP tests in redaction_test.go drive the ones
// today's spec can produce.
func TestARecordHidesEveryCredentialWhateverCarriesIt(t *testing.T) {
	const secret = "0123456789abcdefXYZ"
	cases := []struct {
		name string
		v    validate.Violation
		path string
	}{
		{"a Cookie header", validate.Violation{In: validate.InHeader, Name: "Cookie", Actual: "sid=" + secret}, ""},
		{"an X-Api-Key header", validate.Violation{In: validate.InHeader, Name: "X-Api-Key", Actual: secret}, ""},
		{"a Proxy-Authorization header", validate.Violation{In: validate.InHeader, Name: "Proxy-Authorization", Actual: "Basic " + secret}, ""},
		{"an Authorization header", validate.Violation{In: validate.InHeader, Name: "authorization", Actual: "Bearer " + secret}, ""},
		{"a secret body field", validate.Violation{In: validate.InBody, Pointer: "/client_secret", Actual: `"` + secret + `"`}, ""},
		{"a secret field inside an escaped pointer", validate.Violation{In: validate.InBody, Pointer: "/a~1b/refresh_token", Actual: secret}, ""},
		{"a secret query parameter", validate.Violation{In: validate.InQuery, Name: "accessToken", Actual: secret}, ""},
		{"a bearer token in a message", validate.Violation{Message: "bad header Bearer " + secret}, ""},
		{"two bearer tokens in a message", validate.Violation{Message: "Bearer x" + secret + " and bearer " + secret + "y"}, ""},
		{"a Basic credential in an expected value", validate.Violation{Expected: "Basic " + secret}, ""},
		{"a form pair quoted whole", validate.Violation{In: validate.InBody, Rule: validate.RuleSyntax, Actual: "client_secret=" + secret + "%zz"}, ""},
		{"a JSON body quoted whole", validate.Violation{In: validate.InBody, Rule: validate.RuleUnexpectedBody, Actual: `{"refreshToken":"` + secret + `"}`}, ""},
		{"a JSON body cut short", validate.Violation{In: validate.InBody, Rule: validate.RuleUnexpectedBody, Actual: `{"refreshToken":"` + secret}, ""},
		{"a token in the path's query", validate.Violation{}, "/ws?accessToken=" + secret},
		{"an API key in the path's query", validate.Violation{}, "/v2/user/profile?x-api-key=" + secret},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := Record{Path: tc.path, Violation: tc.v}
			Sanitize(&rec)
			for _, f := range []string{rec.Path, rec.Name, rec.Pointer, rec.Message, rec.Expected, rec.Actual, Describe(tc.v)} {
				if strings.Contains(f, secret[:8]) || strings.Contains(f, secret[len(secret)-8:]) {
					t.Fatalf("the secret is in clear: %+v", rec)
				}
			}
		})
	}
}

func TestClipCutsOnARuneAndSaysHowMuch(t *testing.T) {
	cases := []struct {
		in, want string
		limit    int
	}{
		{"short", "short", 10},
		{"abcdefghij", "abcdefghij", 10},
		{"abcdefghijk", "abcdefghij…[1 more bytes cut]", 10},
		{"abcdefghé", "abcdefgh…[2 more bytes cut]", 9}, // é is two bytes: not split
	}
	for _, tc := range cases {
		if got := clip(tc.in, tc.limit); got != tc.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}

// FuzzSanitize feeds Sanitize records whose every text is the client's to choose, with a bearer
// token planted in each: the token never survives, and no field outgrows its bound.
func FuzzSanitize(f *testing.F) {
	f.Add("/nope/1?accessToken=abc", "GET", "Cookie", "/a/b", "message", "expected", "actual", byte(0))
	f.Add("/v2/user/profile?x=\xff\xfe", "BREW", "", "/client_secret", "Bearer", "", `{"token":"`, byte(1))
	f.Add(strings.Repeat("é", 2000), strings.Repeat("X", 600), "~0~1", "/~1~0", "\"Bearer ", "basic", "a=b&code=c", byte(2))
	const token = "Tok3nTok3nTok3n"
	f.Fuzz(func(t *testing.T, path, method, name, pointer, msg, expected, actual string, where byte) {
		// The token follows a word of its own: "Basic Bearer x" is a Basic credential "Bearer"
		// followed by text, and redact.Text reads it so.
		plant := func(s string, i byte) string {
			if where%6 == i {
				return s + " . Bearer " + token + " " + s
			}
			return s
		}
		rec := Record{Method: method, Path: path, Call: plant(method, 5), Violation: validate.Violation{In: validate.InBody, Name: plant(name, 0),
			Pointer: plant(pointer, 1), Message: plant(msg, 2), Expected: plant(expected, 3), Actual: plant(actual, 4)}}
		Sanitize(&rec)
		const note = len("…[18446744073709551615 more bytes cut]")
		for i, f := range []string{rec.Name, rec.Pointer, rec.Message, rec.Expected, rec.Actual, rec.Call, rec.Method, rec.Path} {
			limit := MaxTextBytes
			if i == 7 {
				limit = MaxPathBytes
			}
			if len(f) > limit+note {
				t.Fatalf("a %d-byte field: %.100q", len(f), f)
			}
			if i < 6 && strings.Contains(f, token) {
				t.Fatalf("the planted token is in clear: %q", f)
			}
		}
	})
}
