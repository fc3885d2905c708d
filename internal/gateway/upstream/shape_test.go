package upstream

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/capability"
)

// The invoker hands on an answer whose mapping gives it whole without decoding it (canonical).
// These tests hold it to what decoding and encoding give, byte for byte: decodeAndEncode and
// slowShape are the shaping as it was before, kept here as the reference.

// decodeAndEncode is what encoding/json gives for a document: decoded with UseNumber, encoded
// with SetEscapeHTML(false), without the final newline.
func decodeAndEncode(t testing.TB, data []byte) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("decoding %q: %v", data, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		t.Fatalf("encoding %q: %v", data, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// slowShape is the shaping of an answer by decoding, mapping and encoding, as the invoker did
// before it learnt to skip that for a whole answer.
func slowShape(c *Client, call *capability.Call, resp *http.Response, data []byte, violations int) *Result {
	res := &Result{Status: resp.StatusCode, Header: http.Header{}, Body: data, Violations: violations}
	for _, k := range []string{"Content-Type", "Retry-After"} {
		if v := resp.Header.Values(k); len(v) > 0 {
			res.Header[k] = append([]string(nil), v...)
		}
	}
	doc, isJSON := decodeJSON(resp.Header.Get("Content-Type"), data)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 && len(call.Outputs) > 0 && isJSON {
		if v, ok := capability.First(call.Outputs, doc); ok {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err == nil {
				res.Body, res.Value, res.Mapped = bytes.TrimSuffix(buf.Bytes(), []byte("\n")), v, true
				res.Header.Set("Content-Type", "application/json")
			}
		}
	}
	if !res.Mapped && isJSON {
		res.Value = doc
	}
	if len(res.Body) > c.opts.MaxResultBytes {
		res.Body = truncate(res.Body, c.opts.MaxResultBytes)
		res.Value, res.Truncated = nil, true
		res.Header.Set("Content-Type", "text/plain; charset=utf-8")
	}
	return res
}

// documents are answers an upstream may give, each a case canonical must get right.
var documents = []string{
	`[{"active":true,"displayName":"nova_plays","embedUrl":"https://player.twitch.tv/?channel=nova_plays\u0026parent=restream.io","id":5120001}]`,
	`{"z":1,"a":2,"m":{"y":[3,{"b":null,"a":true}],"x":"é"}}`,
	` { "spaced" : [ 1 , 2 ] , "out" : { } , "empty" : [ ] } ` + "\n",
	`{"a":1,"a":2,"b":{"c":1},"b":{"d":2}}`,
	`{"big":12345678901234567890123,"exp":1E+400,"neg":-0.0,"frac":1.50,"small":1e-7}`,
	`{"nulls":null,"list":[null,null],"deep":{"deeper":{"deepest":null}}}`,
	`{"unicode":"日本語 🎥 \u00e9\u0301","escaped":"\u65e5\ud83c\udfa5","html":"<b>&amp;</b>","slash":"a\/b"}`,
	`{"ctl":"\b\f\n\r\t\u0000\u001f\u007f","quote":"\"\\","ls":"\u2028 and \u2029 and raw ` + "\u2028\u2029" + `"}`,
	`{"lone":"\ud800 \udc00 \ud800\u0041 \ud800\ud800","bad":"` + "\xff\xfe\xed\xa0\x80" + `"}`,
	`{"\u00e9":1,"é":2,"e":3,"é":4,"` + "\xff" + `":5,"\ufffd":6,"` + "\u2028" + `":7,"\n":8}`,
	`{"B":1,"a":2,"_":3,"~":4,"A":5,"aa":6,"a\u0000":7}`,
	`"just a string \u0026 \u003c"`, `12345678901234567890`, `-1.5e3`, `true`, `false`, `null`, `[]`, `{}`,
	`[[[[[]]]],{"a":[{"c":1,"b":2}]}]`,
}

// invalidDocuments are not JSON, each in a way canonical must notice as json.Valid does.
var invalidDocuments = []string{
	``, ` `, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{1:2}`, `[1 2]`, `[1:2]`, `01`, `1.`, `.5`, `1e`, `-`, `+1`, `1e+`, `0x10`,
	`tru`, `truex`, `nul`, `True`, `"a`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"tab\there\"", `[1] [2]`, `{}}`, `[`, `{"a":1} x`,
	`"a"b`, `1 2`, `{"a":}`, `[,1]`, `NaN`, `Infinity`, `-01`, `1.5e3.2`, `"\'"`,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
}

func TestCanonicalRefusesWhatJSONValidRefuses(t *testing.T) {
	for _, doc := range append(invalidDocuments, strings.Repeat("[", 10000)+strings.Repeat("]", 10000)) {
		name := doc
		if len(name) > 40 {
			name = name[:40] + "…"
		}
		t.Run(name, func(t *testing.T) {
			_, status := canonical(nil, []byte(doc))
			if valid := json.Valid([]byte(doc)); valid != (status == canonicalDone) {
				t.Fatalf("json.Valid is %v, canonical's status %d", valid, status)
			}
		})
	}
}

func TestCanonicalGivesTheBytesDecodingAndEncodingGive(t *testing.T) {
	for _, doc := range documents {
		t.Run(doc, func(t *testing.T) {
			want := decodeAndEncode(t, []byte(doc))
			got, status := canonical(nil, []byte(doc))
			if status != canonicalDone {
				t.Fatalf("canonical ended with status %d on %q", status, doc)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("canonical(%q)\n got %q\nwant %q", doc, got, want)
			}
		})
	}
}

func TestCanonicalGivesUpOnADeeplyNestedUnsortedAnswerRatherThanTakeLong(t *testing.T) {
	// Each level puts its big member first, out of order: sorting would move the whole inner
	// document once per level.
	doc := strings.Repeat(`{"b":`, 200) + "1" + strings.Repeat(`,"a":0}`, 200)
	if _, status := canonical(nil, []byte(doc)); status != canonicalGaveUp {
		t.Fatalf("canonical ended with status %d on 200 unsorted nested levels; want it to give up past its budget", status)
	}
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	call := &capability.Call{Outputs: []*capability.Mapping{{Type: "object", Path: "$"}}}
	resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}}
	checkShape(t, c, call, resp, []byte(doc))
}

// outputSets are the calls' outputs the shaping is tried with: a whole answer of each type, a
// part, properties, items, and mappings skipped before one applies.
var outputSets = map[string][]*capability.Mapping{
	"no outputs":             nil,
	"whole object":           {{Type: "object", Path: "$"}},
	"whole array":            {{Type: "array", Path: "$."}},
	"whole, any type":        {{Type: "string", Path: "$"}},
	"whole, no path":         {{Type: "object"}},
	"array, else object":     {{Type: "array", Path: "$"}, {Type: "object", Path: "$"}},
	"a part":                 {{Type: "array", Path: "$.items[*].id"}},
	"a singular part":        {{Type: "object", Path: "$.m"}},
	"properties":             {{Type: "object", Path: "$", Properties: []*capability.Property{{Name: "name", Mapping: &capability.Mapping{Type: "string", Path: "$.displayName"}}}}},
	"items":                  {{Type: "array", Path: "$", Items: &capability.Mapping{Type: "object", Path: "$", Properties: []*capability.Property{{Name: "id", Mapping: &capability.Mapping{Type: "integer", Path: "$.id"}}}}}},
	"a constant, then whole": {{Type: "string", HasConst: true, Const: "fixed"}, {Type: "object", Path: "$"}},
	"a null constant, whole": {{Type: "string", HasConst: true}, {Type: "array", Path: "$"}},
}

// checkShape shapes an answer both ways, with and without Value, and compares each with the
// reference.
func checkShape(t *testing.T, c *Client, call *capability.Call, resp *http.Response, data []byte) {
	t.Helper()
	for _, wantValue := range []bool{true, false} {
		want := slowShape(c, call, resp, bytes.Clone(data), 3)
		got := c.shape(call, resp, bytes.Clone(data), 3, wantValue)
		if !wantValue {
			if got.Value != nil {
				t.Fatalf("status %d, %q: shaping for the body only gave a %T Value", resp.StatusCode, data, got.Value)
			}
			want.Value = nil
		}
		if !bytes.Equal(got.Body, want.Body) {
			t.Fatalf("status %d, %q, wantValue %v: the body\n got %q\nwant %q", resp.StatusCode, data, wantValue, got.Body, want.Body)
		}
		got.Body, want.Body = nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("status %d, %q, wantValue %v:\n got %+v\nwant %+v", resp.StatusCode, data, wantValue, got, want)
		}
	}
}

func TestShapingWithoutDecodingGivesWhatDecodingGave(t *testing.T) {
	c, err := New(Options{MaxResultBytes: 300})
	if err != nil {
		t.Fatal(err)
	}
	answers := append([]string{
		`{"items":[{"id":1},{"id":2}],"displayName":"x"}`, `{"m":{"b":1,"a":2}}`, "", "   ", "not json",
		`[1] [2]`, `{"a":1`, `{"long":"` + strings.Repeat("é", 200) + `"}`,
	}, append(documents, invalidDocuments[:len(invalidDocuments)-1]...)...)
	contentTypes := []string{"application/json", "application/json; charset=utf-8", "application/problem+json",
		"", "text/plain", "application/json;;"}
	for name, outputs := range outputSets {
		call := &capability.Call{Name: name, Outputs: outputs}
		t.Run(name, func(t *testing.T) {
			for _, status := range []int{200, 201, 204, 404, 500} {
				for _, ct := range contentTypes {
					for _, doc := range answers {
						h := http.Header{"Content-Type": {ct}, "Retry-After": {"7"}, "X-Other": {"dropped"}}
						checkShape(t, c, call, &http.Response{StatusCode: status, Header: h}, []byte(doc))
					}
				}
			}
		})
	}
}

// FuzzCanonical holds canonical to encoding/json on any valid document.
func FuzzCanonical(f *testing.F) {
	for _, doc := range documents {
		f.Add([]byte(doc))
	}
	for _, bad := range invalidDocuments {
		f.Add([]byte(bad))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, status := canonical(nil, data)
		valid := json.Valid(data)
		switch {
		case status == canonicalGaveUp:
			return // the caller checks and decodes instead
		case valid != (status == canonicalDone):
			t.Fatalf("json.Valid is %v, canonical's status %d, for %q", valid, status, data)
		case !valid:
			return
		}
		if want := decodeAndEncode(t, data); !bytes.Equal(got, want) {
			t.Fatalf("canonical(%q)\n got %q\nwant %q", data, got, want)
		}
	})
}

// FuzzShapeMatchesDecoding holds the shaping to the decoding reference on any answer, status,
// media type and set of outputs.
func FuzzShapeMatchesDecoding(f *testing.F) {
	c, err := New(Options{MaxResultBytes: 256})
	if err != nil {
		f.Fatal(err)
	}
	names := make([]string, 0, len(outputSets))
	for name := range outputSets {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, doc := range documents {
		f.Add([]byte(doc), "application/json", 200, uint8(i))
	}
	f.Add([]byte(`{"error":{"statusCode":404}}`), "application/problem+json", 404, uint8(0))
	f.Add([]byte("not json"), "text/plain", 200, uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, contentType string, status int, which uint8) {
		name := names[int(which)%len(names)]
		call := &capability.Call{Name: name, Outputs: outputSets[name]}
		checkShape(t, c, call, &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {contentType}}}, data)
	})
}
