package proxy

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"testing"

	"github.com/restreamkit/restreamkit/internal/validate"
)

// compressed returns data under each coding decodeBounded reads ("raw" is DEFLATE without the
// zlib wrapper), or under the ones named.
func compressed(data []byte, only ...string) map[string][]byte {
	if len(only) == 0 {
		only = []string{"gzip", "deflate", "raw"}
	}
	out := map[string][]byte{}
	for _, c := range only {
		var b bytes.Buffer
		var w io.WriteCloser
		switch c {
		case "gzip":
			w = gzip.NewWriter(&b)
		case "deflate":
			w = zlib.NewWriter(&b)
		default:
			w, _ = flate.NewWriter(&b, flate.BestCompression)
		}
		w.Write(data)
		w.Close()
		out[c] = b.Bytes()
	}
	return out
}

// FuzzDecodeBounded feeds the decoder any Content-Encoding and any body: it never returns more
// than the limit, never fails but in the ways the proxy reports, and decodes what a real encoder
// wrote.
func FuzzDecodeBounded(f *testing.F) {
	doc := []byte(`{"id":2046371,"username":"nova_plays","email":"nova@example.com"}`)
	zeros := compressed(make([]byte, 64<<10)) // a small bomb for a small limit
	for _, enc := range []string{"gzip", "deflate", "raw"} {
		name := enc
		if enc == "raw" {
			name = "deflate"
		}
		f.Add(name, compressed(doc)[enc], uint16(1024))
		f.Add(name, zeros[enc], uint16(512))
		f.Add(name, compressed(doc)[enc][:10], uint16(1024))
	}
	f.Add("gzip, gzip", compressed(compressed(doc)["gzip"])["gzip"], uint16(1024))
	f.Add("br", []byte("\x1b\x00"), uint16(64))
	f.Add("", doc, uint16(16))
	f.Add("identity, x-gzip", compressed(doc)["gzip"], uint16(100))
	f.Add("gzip,gzip,gzip,gzip,gzip", []byte{0x1f, 0x8b}, uint16(100))
	f.Fuzz(func(t *testing.T, encoding string, body []byte, limit uint16) {
		plain, err := decodeBounded(encoding, body, int64(limit))
		if int64(len(plain)) > int64(limit) {
			t.Fatalf("%d bytes decoded past a limit of %d", len(plain), limit)
		}
		if err != nil && plain != nil {
			t.Fatal("a failed decode returned a body")
		}
		if _, v := decodeForCheck(validate.Response, encoding, body, int64(limit)); (v == nil) != (err == nil) {
			t.Fatalf("decodeForCheck disagrees with decodeBounded on %v", err)
		}
		// Round trip: what gzip writes, the proxy reads back (up to the limit).
		if len(body) <= int(limit) {
			got, err := decodeBounded("gzip", compressed(body, "gzip")["gzip"], int64(limit))
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("a gzip round trip of %d bytes gave %d bytes, %v", len(body), len(got), err)
			}
		} else if _, err := decodeBounded("deflate", compressed(body, "deflate")["deflate"], int64(limit)); !errors.Is(err, errDecodedTooLarge) {
			t.Fatalf("a body over the limit must be too large once decoded, got %v", err)
		}
	})
}
