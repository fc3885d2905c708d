package redact

import (
	"strings"
	"testing"
)

const secret = "2a407cfc9e1d4f7b8a6c5d4e3f2a1b0c9d8e7f6a"

func TestSecretsNeverSurvive(t *testing.T) {
	cases := []struct {
		name, in, out string
		fn            func(string) string
	}{
		{"an Authorization header keeps its scheme", "Bearer " + secret, "Bearer [REDACTED:", Authorization},
		{"a query token", "accessToken=" + secret + "&x=1", "accessToken=%5BREDACTED%3A", Query},
		{"an encoded query key", "access%5Ftoken=" + secret, "REDACTED", Query},
		{"a code in a redirect", "code=" + secret + "&state=abc", "state=abc", Query},
		{"a JSON token response", `{"access_token":"` + secret + `","refreshToken":"` + secret + `","expires_in":3600}`, `"expires_in":3600`, func(s string) string { return string(JSON([]byte(s))) }},
		{"a nested stream key", `{"a":[{"streamKey":"` + secret + `"}],"srtUrl":"srt://x?passphrase=` + secret + `"}`, "REDACTED", func(s string) string { return string(JSON([]byte(s))) }},
		{"a URL inside a JSON string", `{"webchatUrl":"https://chat.restream.io/embed?token=` + secret + `"}`, "embed?token=", func(s string) string { return string(JSON([]byte(s))) }},
		{"a form body", "grant_type=refresh_token&refresh_token=" + secret + "&client_secret=" + secret, "grant_type=refresh_token", func(s string) string { return string(Form([]byte(s))) }},
		{"broken JSON is withheld", `{"access_token":"` + secret, "withheld", func(s string) string { return string(JSON([]byte(s))) }},
		{"an unknown binary type is withheld", secret, "withheld", func(s string) string { return string(Body("application/octet-stream", []byte(s))) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.fn(tc.in)
			if strings.Contains(got, secret) {
				t.Fatalf("the secret survived: %s", got)
			}
			if !strings.Contains(got, tc.out) {
				t.Fatalf("%q does not contain %q", got, tc.out)
			}
		})
	}
}

func TestOnlyCredentialHeadersAreRedacted(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"Authorization", "Bearer " + secret, "Bearer [REDACTED:"},
		{"authorization", "Basic " + secret, "Basic [REDACTED:"},
		{"Cookie", "s=" + secret, "[REDACTED:"},
		{"Accept", "application/json", "application/json"},
	}
	for _, tc := range cases {
		got := HeaderValue(tc.name, tc.in)
		if strings.Contains(got, secret) || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q", tc.name, got)
		}
	}
}

func TestTheFingerprintIsStable(t *testing.T) {
	if Value(secret) != Value(secret) || Value(secret) == Value(secret+"x") || Value("") != "" {
		t.Fatal("fingerprints must be stable and distinguish values")
	}
}

func TestFieldRedactsByName(t *testing.T) {
	cases := []struct{ name, want string }{
		{"refresh_token", "[REDACTED:"},
		{"Proxy-Authorization", "Bearer [REDACTED:"},
		{"X-Api-Key", "[REDACTED:"},
		{"cookie", "[REDACTED:"},
		{"title", "Bearer " + secret},
	}
	for _, tc := range cases {
		got := Field(tc.name, "Bearer "+secret)
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("Field(%q) = %q, want a prefix %q", tc.name, got, tc.want)
		}
	}
}

func TestTextRedactsEveryCredential(t *testing.T) {
	in := `header "Authorization: Bearer ` + secret + `" then basic ` + secret + "x, and BEARER " + secret + "y"
	got := Text(in)
	if strings.Contains(got, secret) {
		t.Fatalf("a credential survived: %s", got)
	}
	if strings.Count(got, "[REDACTED:") != 3 || !strings.HasPrefix(got, `header "Authorization: Bearer [REDACTED:`) {
		t.Fatalf("Text(%q) = %q", in, got)
	}
	if plain := "no credentials here, bearer"; Text(plain) != plain {
		t.Fatalf("text without credentials changed: %q", Text(plain))
	}
}

func TestTextKeepsProseAfterAScheme(t *testing.T) {
	for _, s := range []string{
		"credentials are missing: a Bearer token with scope profile.read",
		"send a Bearer token.",
		"needs HTTP Basic credentials, or a Bearer Token",
		"the header says Bearer, then BASIC AUTH",
		"bearer (see RFC 6750) and basic",
	} {
		if got := Text(s); got != s {
			t.Errorf("Text(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestTextRedactsWhatLooksLikeACredential(t *testing.T) {
	for _, tc := range []struct{ name, cred string }{
		{"a hex token", secret},
		{"a short hex token", "9f3a"},
		{"a base64 credential", "dXNlcjpwYXNz"},
		{"padded base64", "YWJj=="},
		{"a JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"},
		{"a token with a dash", "dev-token"},
		{"mixed case letters", "tOkEn"},
		{"letters only, as long as a token", "abcdefghijklmnopqrstuvwxyzabcdefgh"},
		{"a non-ASCII word", "jéton"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range []string{"a Bearer " + tc.cred + " with scope", "Basic " + tc.cred + "."} {
				if got := Text(s); strings.Contains(got, tc.cred) || !strings.Contains(got, "[REDACTED:") {
					t.Errorf("Text(%q) = %q", s, got)
				}
			}
		})
	}
}

// FuzzTextBearer checks that a credential given after "Bearer " or "Basic " never comes out of
// Text in clear, whatever text surrounds it, now that Text leaves words of prose alone.
func FuzzTextBearer(f *testing.F) {
	f.Add("a Bearer token with scope", " and more", false)
	f.Add("Bearer", "", true)
	f.Add("x-api-key: bearer", "\"", false)
	f.Add("basic Basic basic", ".", true)
	f.Fuzz(func(t *testing.T, prefix, suffix string, basic bool) {
		scheme := "Bearer "
		if basic {
			scheme = "basic "
		}
		s := prefix + " " + scheme + fuzzSecret + " " + suffix
		if strings.Contains(prefix, fuzzSecret) || strings.Contains(suffix, fuzzSecret) {
			return
		}
		if got := Text(s); strings.Contains(got, fuzzSecret) {
			t.Fatalf("Text(%q) = %q", s, got)
		}
	})
}
