package jsontext_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/restreamkit/restreamkit/internal/jsontext"
)

// encoded is what encoding/json writes for s with SetEscapeHTML(false).
func encoded(t testing.TB, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestAppendStringWritesWhatEncodingJSONWrites(t *testing.T) {
	for _, s := range []string{"", "plain", "\"\\\n\r\t\b\f\x00\x1f\x7f", "é\u2028\u2029\U0001F600", "\xff", "a\xe2\x82b",
		"<&>", "\xed\xa0\x80 a lone surrogate"} {
		want := encoded(t, s)
		if got := jsontext.AppendString([]byte("x"), s); !bytes.Equal(got, append([]byte("x"), want...)) {
			t.Errorf("string %q: %s, want %s", s, got, want)
		}
		if got := jsontext.AppendString(nil, []byte(s)); !bytes.Equal(got, want) {
			t.Errorf("bytes %q: %s, want %s", s, got, want)
		}
	}
}

// FuzzAppendString holds AppendString to encoding/json, byte for byte, on any text.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\\n\r\t\x00\x1f\x7f", "é\u2028\U0001F600", "\xff", "a\xe2\x82b", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := jsontext.AppendString(nil, s), encoded(t, s); !bytes.Equal(got, want) {
			t.Errorf("%q: %s, encoding/json writes %s", s, got, want)
		}
	})
}
