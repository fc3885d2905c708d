package capability_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/restreamkit/restreamkit/internal/capability"
)

func TestFirstIsWholeAgreesWithFirst(t *testing.T) {
	whole := func(typ, path string) *capability.Mapping { return &capability.Mapping{Type: typ, Path: path} }
	docs := map[string]string{"object": `{"a":1}`, "array": `[1]`, "string": `"s"`, "number": `1.5`, "boolean": `false`, "null": `null`}
	for _, tc := range []struct {
		name     string
		mappings []*capability.Mapping
		known    bool // whether FirstIsWhole can tell for every kind
	}{
		{"no mappings give nothing", nil, true},
		{"an object mapping of $ gives an object whole", []*capability.Mapping{whole("object", "$")}, true},
		{"an array mapping of $. gives an array whole", []*capability.Mapping{whole("array", "$.")}, true},
		{"a scalar mapping of $ gives any value whole", []*capability.Mapping{whole("string", " $ ")}, true},
		{"a mapping without a path is the whole document", []*capability.Mapping{whole("object", "")}, true},
		{"an array mapping skipped for an object, then an object one", []*capability.Mapping{whole("array", "$"), whole("object", "$")}, true},
		{"a part needs the document", []*capability.Mapping{whole("object", "$.a")}, false},
		{"properties need the document", []*capability.Mapping{{Type: "object", Path: "$",
			Properties: []*capability.Property{{Name: "b", Mapping: whole("integer", "$.a")}}}}, false},
		{"items need the document", []*capability.Mapping{{Type: "array", Path: "$", Items: whole("integer", "$")}}, false},
		{"a constant needs no document but is not it", []*capability.Mapping{{Type: "string", HasConst: true, Const: "c"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for kind, doc := range docs {
				var v any
				if err := json.Unmarshal([]byte(doc), &v); err != nil {
					t.Fatal(err)
				}
				isWhole, known := capability.FirstIsWhole(tc.mappings, kind)
				if known != tc.known {
					t.Fatalf("%s: known %v, want %v", kind, known, tc.known)
				}
				if !known {
					continue
				}
				got, ok := capability.First(tc.mappings, v)
				if firstIsWhole := ok && reflect.DeepEqual(got, v); isWhole != firstIsWhole {
					t.Errorf("%s: FirstIsWhole says %v; First gives %#v (ok %v) for %s", kind, isWhole, got, ok, doc)
				}
			}
		})
	}
}
