package redact

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"
)

const tokenForm = "grant_type=refresh_token&refresh_token=" + secret + "&client_id=app&client_secret=" + secret

func TestBodyRedactsByContentWhateverTheContentType(t *testing.T) {
	types := []string{"", "text/plain", "text/plain; charset=utf-8", "application/octet-stream",
		"application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded", "image/png"}
	bodies := []struct {
		name, body string
		keep       []string // what must survive, to show the body was read, not withheld
	}{
		{"a token form", tokenForm, []string{"grant_type=refresh_token", "client_id=app", "refresh_token=%5BREDACTED%3A"}},
		{"a token form with escaped names", "refresh%5Ftoken=" + secret + "&c%6Fde=" + secret, []string{"%5BREDACTED%3A"}},
		{"a JSON token request", `{"grant_type":"refresh_token","refresh_token":"` + secret + `","client_secret":"` + secret + `"}`,
			[]string{`"grant_type":"refresh_token"`, `"refresh_token":"[REDACTED:`}},
		{"JSON with an escaped name", `{"refresh\u005ftoken":"` + secret + `"}`, []string{`"refresh_token":"[REDACTED:`}},
		{"a form inside a JSON string", `{"note":"refresh_token=` + secret + `"}`, []string{`"note":"refresh_token=[REDACTED:`}},
		{"an escaped form inside a JSON string", `{"note":"c%6Fde=` + secret + `"}`, []string{`"note":"[REDACTED:`}},
		{"an assignment as a JSON name", `{"code=` + secret + `":1}`, []string{`"[REDACTED:`}},
		{"JSON inside a form value", `state={"access_token":"` + secret + `"}&x=1`, []string{"state=%5BREDACTED%3A", "x=1"}},
		{"a near-miss name in free text", "x_refresh_token: " + secret, []string{"withheld"}},
		{"a header quoted in text", "Authorization: Bearer " + secret, []string{"withheld"}},
		{"a bare token", secret, []string{"withheld"}},
		{"a YAML-ish secret", "client:\n  client_secret: " + secret + "\n", []string{"withheld"}},
		{"multipart form data", "--b\r\nContent-Disposition: form-data; name=\"client_secret\"\r\n\r\nshort\r\n--b--", []string{"withheld"}},
	}
	for _, b := range bodies {
		for _, ct := range types {
			t.Run(b.name+" sent as "+ct, func(t *testing.T) {
				got := string(Body(ct, []byte(b.body)))
				if strings.Contains(got, secret) {
					t.Fatalf("the secret survived: %s", got)
				}
				for _, k := range b.keep {
					if !strings.Contains(got, k) {
						t.Fatalf("%q does not contain %q", got, k)
					}
				}
			})
		}
	}
}

func TestBodyKeepsWhatHoldsNoSecret(t *testing.T) {
	tests := []struct{ name, body string }{
		{"plain text", "hello, the stream starts at 18:00"},
		{"a form", "title=My+stream&active=true"},
		{"JSON", `{"active":false,"title":"Token giveaway: 18:00"}`},
		{"a redirect URI", "redirect_uri=http://localhost:3000/callback&grant_type=authorization_code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Body("text/plain", []byte(tt.body))
			if strings.Contains(string(got), "REDACTED") || strings.Contains(string(got), "withheld") {
				t.Fatalf("nothing secret, yet Body gave %s", got)
			}
		})
	}
}

func TestBodyWithholdsBinary(t *testing.T) {
	for _, b := range [][]byte{{0, 1, 2, 'a', '='}, []byte("a=\xff"), []byte("token\x00=x")} {
		if got := string(Body("text/plain", b)); !strings.Contains(got, "binary body withheld") {
			t.Errorf("Body(%q) = %q, want it withheld", b, got)
		}
	}
}

func TestQueryRedactsAssignmentsHiddenInValues(t *testing.T) {
	got := Query("state=refresh_token%3D" + secret + "&response_type=code")
	if strings.Contains(got, secret) || !strings.Contains(got, "response_type=code") || !strings.HasPrefix(got, "state=%5BREDACTED%3A") {
		t.Fatalf("Query gave %q", got)
	}
}

// fuzzSecret is the value the fuzz target plants. Its letters appear in no secret name, so a
// planted name can never complete it by accident.
const fuzzSecret = "QJX9ZGB7QJX9ZGB7QJ"

// plantShapes put a secret under a name the way text, forms and JSON carry it. Each starts and
// ends with a delimiter, so that the name is exactly the secret field's name.
var plantShapes = []func(name string) string{
	func(n string) string { return `"` + n + `":"` + fuzzSecret + `"` },
	func(n string) string { return `"` + n + `" : "` + fuzzSecret + `"` },
	func(n string) string { return "&" + n + "=" + fuzzSecret + "&" },
	func(n string) string { return "\n" + n + "=" + fuzzSecret + "\n" },
	func(n string) string { return "\n" + n + ": " + fuzzSecret + "\n" },
	func(n string) string { return "'" + n + "': '" + fuzzSecret + "'" },
	func(n string) string { return "?" + n + "=" + fuzzSecret + "&" },
	func(n string) string { return `{"` + n + `":"` + fuzzSecret + `"}` },
	func(n string) string { return ";" + n + "=" + fuzzSecret + ";" },
	func(n string) string { // every character of the name percent-escaped
		var b strings.Builder
		b.WriteByte('&')
		for i := 0; i < len(n); i++ {
			b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[n[i]>>4])+string("0123456789abcdef"[n[i]&15])))
		}
		return b.String() + "=" + fuzzSecret + "&"
	},
}

// secretNames are the secret field names, in a fixed order.
var secretNames = slices.Sorted(func(yield func(string) bool) {
	for k, v := range maps.All(secretFields) {
		if v && !yield(k) {
			return
		}
	}
})

// FuzzBody checks that Body never panics and that a secret planted under any secret field name,
// in any shape, amid any bytes and under any content type, never comes out in clear.
func FuzzBody(f *testing.F) {
	f.Add("text/plain", []byte(""), []byte(""), uint8(2), uint8(0), false)
	f.Add("application/json", []byte(`{"a":1,`), []byte(`}`), uint8(0), uint8(3), true)
	f.Add("", []byte(`{"a":"`), []byte(`"}`), uint8(2), uint8(5), false)
	f.Add("application/x-www-form-urlencoded", []byte("grant_type=refresh_token"), []byte("client_id=x"), uint8(2), uint8(1), false)
	f.Add("application/octet-stream", []byte("note="), []byte(""), uint8(4), uint8(7), true)
	f.Add("text/plain", []byte("a=%"), []byte("\x00"), uint8(9), uint8(2), false)
	f.Add("application/json; charset=utf-8", []byte("["), []byte("]"), uint8(7), uint8(4), false)
	f.Fuzz(func(t *testing.T, contentType string, prefix, suffix []byte, shape, name uint8, upper bool) {
		n := secretNames[int(name)%len(secretNames)]
		if upper {
			n = strings.ToUpper(n)
		}
		planted := plantShapes[int(shape)%len(plantShapes)](n)
		body := slices.Concat(prefix, []byte(planted), suffix)
		out := Body(contentType, body)
		if bytes.Contains(prefix, []byte(fuzzSecret)) || bytes.Contains(suffix, []byte(fuzzSecret)) {
			return // the surroundings carry the value in clear themselves
		}
		if bytes.Contains(out, []byte(fuzzSecret)) {
			t.Fatalf("the secret planted as %q came out in clear:\nbody %q\nout  %q", planted, body, out)
		}
	})
}

func TestTextRedactsSecretAssignments(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a form pair", "body was refresh_token=" + secret + "&x=1", "body was refresh_token=[REDACTED:"},
		{"a quoted JSON member", `field "{\"refresh_token\":\"` + secret + `\"}" is not allowed`, `\"refresh_token\":\"[REDACTED:`},
		{"a header line", "X-Api-Key: " + secret, "X-Api-Key: [REDACTED:"},
		{"a Bearer credential keeps its scheme", "Authorization: Bearer " + secret, "Authorization: Bearer [REDACTED:"},
		{"a redacted value is left alone", "token=[REDACTED:abcdef]", "token=[REDACTED:abcdef]"},
		{"no secret, no change", "title: Token giveaway at 18:00", "title: Token giveaway at 18:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Text(tt.in)
			if !strings.Contains(got, tt.want) {
				t.Fatalf("Text(%q) = %q, want it to contain %q", tt.in, got, tt.want)
			}
			if strings.Contains(got, secret) {
				t.Fatalf("the secret survived: %q", got)
			}
		})
	}
}
