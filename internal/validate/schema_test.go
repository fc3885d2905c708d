package validate

import (
	"encoding/json"
	"strings"
	"testing"
)

// compileJSON compiles one JSON Schema 2020-12 document given as text.
func compileJSON(t testing.TB, doc string) *Schema {
	t.Helper()
	s, err := CompileDocuments(JSONSchema202012, map[string][]byte{"test.json": []byte(doc)}, "test.json")
	if err != nil {
		t.Fatalf("compiling %s: %v", doc, err)
	}
	return s["test.json"]
}

// compileOAS compiles one OpenAPI 3.0 Schema Object given as JSON text.
func compileOAS(t testing.TB, doc string) *Schema {
	t.Helper()
	s, err := CompileDocuments(OpenAPI30, map[string][]byte{"test.json": []byte(doc)}, "test.json")
	if err != nil {
		t.Fatalf("compiling %s: %v", doc, err)
	}
	return s["test.json"]
}

type schemaCase struct {
	name    string
	schema  string
	doc     string
	rule    Rule   // "" when the document is valid
	pointer string // where the first violation must point
}

func runSchemaCases(t *testing.T, compile func(testing.TB, string) *Schema, cases []schemaCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := compile(t, tc.schema)
			got := s.Check(nil, []byte(tc.doc), Response)
			if tc.rule == "" {
				if len(got) != 0 {
					t.Fatalf("want valid, got %v", got)
				}
				return
			}
			if len(got) == 0 {
				t.Fatalf("want a %s violation, got none", tc.rule)
			}
			if got[0].Rule != tc.rule || got[0].Pointer != tc.pointer {
				t.Fatalf("want %s at %q, got %s at %q (%v)", tc.rule, tc.pointer, got[0].Rule, got[0].Pointer, got)
			}
			if got[0].Message == "" || got[0].Direction != Response || got[0].In != InBody {
				t.Fatalf("violation lacks a message, direction or location: %+v", got[0])
			}
		})
	}
}

func TestKeywordsAreEnforcedWithPointers(t *testing.T) {
	obj := `{"type":"object","additionalProperties":false,"required":["id","name"],
	  "properties":{"id":{"type":"integer","minimum":1},"name":{"type":"string","minLength":2,"maxLength":4},
	  "tags":{"type":"array","items":{"type":"string","enum":["a","b"]},"minItems":1,"maxItems":2},
	  "score":{"type":"number","exclusiveMaximum":10,"multipleOf":0.5},"on":{"type":"boolean"},
	  "nested":{"type":"object","properties":{"a/b":{"type":"integer"},"c~d":{"type":"integer"}}}}}`
	runSchemaCases(t, compileJSON, []schemaCase{
		{"a complete object is valid", obj, `{"id":1,"name":"ab","tags":["a"],"score":9.5,"on":true}`, "", ""},
		{"whitespace everywhere is fine", obj, " {\n\t\"id\" : 1 , \"name\" : \"abc\" } \n", "", ""},
		{"a missing required property points at it", obj, `{"id":1}`, RuleRequired, "/name"},
		{"a wrong type points at the field", obj, `{"id":"1","name":"ab"}`, RuleType, "/id"},
		{"a fraction is not an integer", obj, `{"id":1.5,"name":"ab"}`, RuleType, "/id"},
		{"1.0 is an integer", obj, `{"id":1.0,"name":"ab"}`, "", ""},
		{"below the minimum", obj, `{"id":0,"name":"ab"}`, RuleMinimum, "/id"},
		{"too short counts runes", obj, `{"id":1,"name":"é"}`, RuleMinLength, "/name"},
		{"four runes fit", obj, `{"id":1,"name":"éééé"}`, "", ""},
		{"too long", obj, `{"id":1,"name":"abcde"}`, RuleMaxLength, "/name"},
		{"an unknown property is named", obj, `{"id":1,"name":"ab","extra":{"deep":[1]}}`, RuleAdditionalProperties, "/extra"},
		{"an enum item points at its index", obj, `{"id":1,"name":"ab","tags":["a","z"]}`, RuleEnum, "/tags/1"},
		{"too few items", obj, `{"id":1,"name":"ab","tags":[]}`, RuleMinItems, "/tags"},
		{"too many items", obj, `{"id":1,"name":"ab","tags":["a","b","a"]}`, RuleMaxItems, "/tags"},
		{"an exclusive maximum excludes the bound", obj, `{"id":1,"name":"ab","score":10}`, RuleMaximum, "/score"},
		{"multipleOf", obj, `{"id":1,"name":"ab","score":0.3}`, RuleMultipleOf, "/score"},
		{"null is not a boolean", obj, `{"id":1,"name":"ab","on":null}`, RuleType, "/on"},
		{"pointers escape / and ~", obj, `{"id":1,"name":"ab","nested":{"a/b":"x"}}`, RuleType, "/nested/a~1b"},
		{"pointers escape ~", obj, `{"id":1,"name":"ab","nested":{"c~d":"x"}}`, RuleType, "/nested/c~0d"},
		{"an escaped key is looked up decoded", obj, `{"id":1,"na\u006de":"ab"}`, "", ""},
		{"the root type", obj, `[1]`, RuleType, ""},
	})
}

func TestNullableAndTypeArrays(t *testing.T) {
	runSchemaCases(t, compileOAS, []schemaCase{
		{"nullable accepts null", `{"type":"string","nullable":true}`, `null`, "", ""},
		{"not nullable refuses null", `{"type":"string"}`, `null`, RuleType, ""},
		{"a nullable enum accepts null", `{"type":"string","nullable":true,"enum":["a"]}`, `null`, "", ""},
		{"a nullable enum still checks values", `{"type":"string","nullable":true,"enum":["a"]}`, `"b"`, RuleEnum, ""},
		{"boolean exclusiveMinimum modifies minimum", `{"type":"integer","minimum":1,"exclusiveMinimum":true}`, `1`, RuleMinimum, ""},
		{"int32 overflows", `{"type":"integer","format":"int32"}`, `2147483648`, RuleFormat, ""},
	})
	runSchemaCases(t, compileJSON, []schemaCase{
		{"a type array accepts each type", `{"type":["string","null"]}`, `null`, "", ""},
		{"a type array refuses others", `{"type":["string","null"]}`, `1`, RuleType, ""},
		{"const", `{"const":"heartbeat"}`, `"beat"`, RuleConst, ""},
	})
}

func TestFormats(t *testing.T) {
	cases := []struct {
		format, value string
		ok            bool
	}{
		{"uuid", "2527849f-f961-4b1d-8ae0-8eae4f068327", true},
		{"uuid", "2527849f-f961-4b1d-8ae0-8eae4f06832", false},
		{"uuid", "2527849f_f961-4b1d-8ae0-8eae4f068327", false},
		{"date-time", "2026-03-08T22:01:19.000Z", true},
		{"date-time", "2026-03-08T22:01:19+02:00", true},
		{"date-time", "2026-02-30T22:01:19Z", false},
		{"date-time", "2026-03-08 22:01:19Z", false},
		{"date-time", "1599983310", false},
		{"date", "2024-02-29", true},
		{"date", "2023-02-29", false},
		{"email", "nova.plays@example.com", true},
		{"email", "Nova <nova@example.com>", false},
		{"email", "nova", false},
		{"uri", "https://restream.io/img/api/platforms/platform-1.png", true},
		{"uri", "rtmp://live.restream.io/live", true},
		{"uri", "/relative/path", false},
		{"uri", "https://exa mple.com", false},
	}
	for _, tc := range cases {
		t.Run(tc.format+" "+tc.value, func(t *testing.T) {
			s := compileJSON(t, `{"type":"string","format":"`+tc.format+`"}`)
			doc, _ := json.Marshal(tc.value)
			got := s.Check(nil, doc, Request)
			if ok := len(got) == 0; ok != tc.ok {
				t.Fatalf("valid=%v, want %v (%v)", ok, tc.ok, got)
			}
			if !tc.ok && got[0].Rule != RuleFormat {
				t.Fatalf("want rule format, got %v", got[0])
			}
		})
	}
}

func TestComposition(t *testing.T) {
	frames := `{"oneOf":[
	  {"type":"object","required":["action","payload"],"properties":{"action":{"const":"heartbeat"},"payload":{"type":"object","maxProperties":0}}},
	  {"type":"object","required":["action","payload"],"properties":{"action":{"const":"event"},"payload":{"type":"object","required":["text"],"properties":{"text":{"type":"string"}}}}}]}`
	runSchemaCases(t, compileJSON, []schemaCase{
		{"the discriminator picks the branch", frames, `{"action":"event","payload":{"text":"hi"}}`, "", ""},
		{"errors come from the picked branch", frames, `{"payload":{"text":1},"action":"event"}`, RuleType, "/payload/text"},
		{"an unknown discriminator value is an enum error", frames, `{"action":"nope","payload":{}}`, RuleEnum, "/action"},
		{"a missing discriminator is a required error", frames, `{"payload":{}}`, RuleRequired, "/action"},
		{"oneOf without a discriminator: no match", `{"oneOf":[{"type":"string"},{"type":"integer"}]}`, `true`, RuleOneOf, ""},
		{"oneOf without a discriminator: two matches", `{"oneOf":[{"type":"number"},{"type":"integer"}]}`, `1`, RuleOneOf, ""},
		{"oneOf without a discriminator: one match", `{"oneOf":[{"type":"string"},{"type":"integer"}]}`, `"x"`, "", ""},
		{"anyOf", `{"anyOf":[{"type":"string"},{"type":"integer"}]}`, `[]`, RuleAnyOf, ""},
		{"allOf reports each branch", `{"allOf":[{"type":"object","required":["a"]},{"type":"object","required":["b"]}]}`, `{"a":1}`, RuleRequired, "/b"},
		{"not", `{"not":{"type":"null"}}`, `null`, RuleNot, ""},
		{"composition and own keywords together", `{"type":"object","required":["x"],"anyOf":[{"required":["a"]},{"required":["b"]}]}`, `{"a":1}`, RuleRequired, "/x"},
		{"a $ref to $defs", `{"$defs":{"n":{"type":"integer"}},"type":"array","items":{"$ref":"#/$defs/n"}}`, `[1,"2"]`, RuleType, "/1"},
		{"a recursive $ref", `{"$defs":{"t":{"type":"object","properties":{"kids":{"type":"array","items":{"$ref":"#/$defs/t"}}},"additionalProperties":false}},"$ref":"#/$defs/t"}`, `{"kids":[{"kids":[{"x":1}]}]}`, RuleAdditionalProperties, "/kids/0/kids/0/x"},
	})
}

func TestMalformedJSONIsASyntaxViolation(t *testing.T) {
	s := compileJSON(t, `{"type":"object"}`)
	for _, doc := range []string{
		``, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1 "b":2}`, `[1,]`, `{"a":tru}`, `{"a":nul}`, `{"a":01}`,
		`{"a":1.}`, `{"a":-}`, `{"a":1e}`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\x01\"}",
		`{"a":"unterminated}`, `{} {}`, `{}x`, `{'a':1}`, `{"a":[1,2}`,
	} {
		got := s.Check(nil, []byte(doc), Request)
		if len(got) == 0 || got[len(got)-1].Rule != RuleSyntax && got[0].Rule != RuleSyntax {
			t.Errorf("%q: want a json-syntax violation, got %v", doc, got)
		}
		var v any
		if json.Unmarshal([]byte(doc), &v) == nil {
			t.Errorf("%q: encoding/json accepts this document; the case is wrong", doc)
		}
	}
}

func TestInvalidUTF8IsRefused(t *testing.T) {
	// encoding/json would replace the byte with U+FFFD; JSON (RFC 8259) requires UTF-8, so it is refused.
	s := compileJSON(t, `{"type":"object"}`)
	got := s.Check(nil, []byte("{\"a\":\"\xff\"}"), Request)
	if len(got) != 1 || got[0].Rule != RuleSyntax {
		t.Fatalf("want one json-syntax violation, got %v", got)
	}
}

func TestDeepNestingIsBounded(t *testing.T) {
	s := compileJSON(t, `{"$defs":{"a":{"type":"array","items":{"$ref":"#/$defs/a"}}},"$ref":"#/$defs/a"}`)
	doc := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	got := s.Check(nil, []byte(doc), Request)
	if len(got) == 0 || got[0].Rule != RuleDepth {
		t.Fatalf("want a depth violation, got %v", got)
	}
	any := compileJSON(t, `{}`)
	if got := any.Check(nil, []byte(doc), Request); len(got) == 0 || got[0].Rule != RuleSyntax {
		t.Fatalf("skipping a deep document must stop too, got %v", got)
	}
}

func TestViolationsAreBounded(t *testing.T) {
	s := compileJSON(t, `{"type":"array","items":{"type":"string"}}`)
	doc := "[" + strings.TrimSuffix(strings.Repeat("1,", 1000), ",") + "]"
	got := s.Check(nil, []byte(doc), Request)
	if len(got) != maxViolations+1 || got[maxViolations].Rule != "truncated" {
		t.Fatalf("want %d violations and a summary, got %d", maxViolations, len(got))
	}
}

func TestAFragmentRefResolvesAgainstTheDocumentID(t *testing.T) {
	doc := `{"$id":"https://restreamkit.dev/schemas/x.json","$defs":{"n":{"type":"integer"}},"type":"array","items":{"$ref":"#/$defs/n"}}`
	s := compileJSON(t, doc)
	if got := s.Check(nil, []byte(`[1,"2"]`), Request); len(got) != 1 || got[0].Pointer != "/1" {
		t.Fatalf("want one type violation at /1, got %v", got)
	}
}

func TestUnsupportedKeywordsAreRefused(t *testing.T) {
	_, err := CompileDocuments(JSONSchema202012, map[string][]byte{"x.json": []byte(`{"patternProperties":{}}`)}, "x.json")
	if err == nil {
		t.Fatal("a keyword the validator would ignore must be refused at compile time")
	}
}
