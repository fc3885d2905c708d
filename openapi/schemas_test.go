package openapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/restreamkit/restreamkit/openapi"
)

// The JSON Schemas in openapi/schemas are hand-written copies of the spec's body components for
// tools that speak JSON Schema rather than OpenAPI (the proxy, editors, other languages). These
// tests keep the copies honest three ways: every file is a well-formed 2020-12 document, every
// file says exactly what the spec component of the same name says (property names, required
// lists, enums, nullability, formats, bounds, closed objects — nested objects included), and
// every example in examples/operations validates against the file the spec points it to.

const (
	// schemaBase is the $id prefix of every schema file; ids never claim Restream's domain.
	schemaBase = "https://restreamkit.dev/schemas/"
	// dialect is the only JSON Schema dialect the files use.
	dialect = "https://json-schema.org/draft/2020-12/schema"
	// examplesDir holds one example file per operation, read from disk because it belongs to
	// another package.
	examplesDir = "../examples/operations"
)

// requiredSchemas are the resources whose schema files must exist: an example whose body is
// one of them and that finds no file fails. Other bodies are checked when their file exists.
var requiredSchemas = []string{
	"Channel", "Event", "Platform", "Server", "StreamKey", "Profile", "ErrorEnvelope", "TokenResponse",
}

// schemaSet is every schema file decoded, with a compiler that knows all of them by $id so
// cross-file $refs resolve without touching the network.
type schemaSet struct {
	docs    map[string]map[string]any // by path inside SchemasDir, e.g. "channel.json"
	byTitle map[string]string         // top-level files by title (the component name)
}

// loadSchemas decodes every *.json under openapi.SchemasDir in the embedded FS.
func loadSchemas(t *testing.T) *schemaSet {
	t.Helper()
	set := &schemaSet{docs: map[string]map[string]any{}, byTitle: map[string]string{}}
	err := fs.WalkDir(openapi.FS, openapi.SchemasDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		data, err := fs.ReadFile(openapi.FS, p)
		if err != nil {
			return err
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		doc, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: not a JSON object", p)
		}
		rel := strings.TrimPrefix(p, openapi.SchemasDir+"/")
		set.docs[rel] = doc
		if title, ok := doc["title"].(string); ok && !strings.Contains(rel, "/") {
			set.byTitle[title] = rel
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the schema files: %v", err)
	}
	if len(set.docs) == 0 {
		t.Fatalf("no schema files under %s in the embedded FS", openapi.SchemasDir)
	}
	return set
}

// compiler returns a compiler that validates formats (uri, uuid, date-time, email and the
// OpenAPI int64) and knows every schema file by its $id.
func (s *schemaSet) compiler(t *testing.T) *jsonschema.Compiler {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.RegisterFormat(&jsonschema.Format{Name: "int64", Validate: validateInt64})
	for _, rel := range slices.Sorted(maps.Keys(s.docs)) {
		if err := c.AddResource(schemaBase+rel, s.docs[rel]); err != nil {
			t.Fatalf("adding %s: %v", rel, err)
		}
	}
	return c
}

// validateInt64 accepts integers that fit in 64 bits, as OpenAPI's int64 format says.
func validateInt64(v any) error {
	n, ok := v.(json.Number)
	if !ok {
		return nil // format only constrains numbers
	}
	i, ok := new(big.Int).SetString(string(n), 10)
	if !ok || !i.IsInt64() {
		return fmt.Errorf("%s is not a 64-bit integer", n)
	}
	return nil
}

// loadSpec parses the embedded spec with kin-openapi, references resolved.
func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	data, err := fs.ReadFile(openapi.FS, openapi.RestreamSpec)
	if err != nil {
		t.Fatalf("reading the spec: %v", err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatalf("parsing the spec: %v", err)
	}
	return doc
}

// kebab turns a component name into its file name: ChannelMetaUpdate -> channel-meta-update.json.
func kebab(name string) string {
	return strings.ToLower(regexp.MustCompile(`([a-z0-9])([A-Z])`).ReplaceAllString(name, "$1-$2")) + ".json"
}

func TestSchemaFilesAreWellFormed2020_12Documents(t *testing.T) {
	set := loadSchemas(t)
	c := set.compiler(t)
	for _, rel := range slices.Sorted(maps.Keys(set.docs)) {
		t.Run(rel, func(t *testing.T) {
			for _, p := range wellFormedProblems(c, rel, set.docs[rel]) {
				t.Error(p)
			}
		})
	}
	for _, name := range requiredSchemas {
		if _, ok := set.byTitle[name]; !ok {
			t.Errorf("no schema file titled %s (want %s)", name, kebab(name))
		}
	}
}

// wellFormedProblems lists what is wrong with the schema file rel: the header keywords every
// file carries, a title that matches the file name, and compiling as 2020-12 (which also
// validates the document against the 2020-12 meta-schema). c must know the file by its $id.
func wellFormedProblems(c *jsonschema.Compiler, rel string, doc map[string]any) []string {
	var out []string
	if got := doc["$schema"]; got != dialect {
		out = append(out, fmt.Sprintf("$schema = %v, want %s", got, dialect))
	}
	if got := doc["$id"]; got != schemaBase+rel {
		out = append(out, fmt.Sprintf("$id = %v, want %s (the file's own path under %s)", got, schemaBase+rel, schemaBase))
	}
	title, _ := doc["title"].(string)
	if title == "" {
		out = append(out, "title is missing")
	} else if !strings.Contains(rel, "/") && kebab(title) != rel {
		out = append(out, fmt.Sprintf("title %q belongs in %s, not %s", title, kebab(title), rel))
	}
	if d, _ := doc["description"].(string); strings.TrimSpace(d) == "" {
		out = append(out, "description is missing")
	}
	if _, err := c.Compile(schemaBase + rel); err != nil {
		out = append(out, fmt.Sprintf("does not compile as JSON Schema 2020-12: %v", err))
	}
	return out
}

func TestWellFormedCheckReportsABrokenSchemaFile(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(doc map[string]any)
		want   string
	}{
		{"an older dialect", func(d map[string]any) { d["$schema"] = "http://json-schema.org/draft-07/schema#" }, "$schema"},
		{"an $id on Restream's domain", func(d map[string]any) { d["$id"] = "https://api.restream.io/schemas/channel" }, "$id"},
		{"a title that belongs to another file", func(d map[string]any) { d["title"] = "Event" }, "belongs in event.json"},
		{"no description", func(d map[string]any) { delete(d, "description") }, "description is missing"},
		{"a type the meta-schema does not know", func(d map[string]any) { obj(d, "properties", "active")["type"] = "bool" }, "does not compile"},
		{"a $ref to a file that does not exist", func(d map[string]any) { obj(d, "properties", "active")["$ref"] = "no-such.json" }, "does not compile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := loadSchemas(t)
			tt.mutate(set.docs["channel.json"])
			c := set.compiler(t)
			got := wellFormedProblems(c, "channel.json", set.docs["channel.json"])
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("problems %q do not mention %q", got, tt.want)
			}
		})
	}
}

func TestSchemaFilesSayWhatTheSpecSays(t *testing.T) {
	set := loadSchemas(t)
	spec := loadSpec(t)
	for _, rel := range slices.Sorted(maps.Keys(set.docs)) {
		if strings.Contains(rel, "/") {
			continue // subdirectories hold schemas that are not spec components (e.g. WebSocket frames)
		}
		t.Run(rel, func(t *testing.T) {
			for _, d := range driftOfFile(set, spec, rel) {
				t.Error(d)
			}
		})
	}
}

// driftOfFile compares a top-level schema file with the spec component named by its title and
// returns one line per difference.
func driftOfFile(set *schemaSet, spec *openapi3.T, rel string) []string {
	doc := set.docs[rel]
	title, _ := doc["title"].(string)
	comp := spec.Components.Schemas[title]
	if comp == nil || comp.Value == nil {
		return []string{fmt.Sprintf("title %q names no component of the spec", title)}
	}
	w := &drift{set: set}
	w.compare(rel, title, doc, &openapi3.SchemaRef{Value: comp.Value}, 0)
	return w.diffs
}

// drift walks a schema file and a spec schema side by side and collects differences.
type drift struct {
	set   *schemaSet
	diffs []string
}

func (w *drift) addf(where, format string, args ...any) {
	w.diffs = append(w.diffs, where+": "+fmt.Sprintf(format, args...))
}

// rootKeywords may appear only at the top of a file; nodeKeywords are the ones compared.
var (
	rootKeywords = map[string]bool{"$schema": true, "$id": true, "title": true, "$comment": true, "$defs": true}
	nodeKeywords = map[string]bool{
		"description": true, "type": true, "format": true, "pattern": true, "enum": true, "default": true,
		"minimum": true, "maximum": true, "minLength": true, "maxLength": true, "minItems": true,
		"maxItems": true, "additionalProperties": true, "required": true, "properties": true, "items": true,
		"oneOf": true, "minProperties": true, "uniqueItems": true, "x-unconfirmed": true,
	}
)

// compare checks node (found in file rel, at location where) against the spec schema sr.
func (w *drift) compare(rel, where string, node map[string]any, sr *openapi3.SchemaRef, depth int) {
	if depth > 32 {
		w.addf(where, "schemas nest deeper than 32 levels (a $ref cycle?)")
		return
	}
	if ref, ok := node["$ref"].(string); ok {
		w.compareRef(rel, where, node, ref, sr, depth)
		return
	}
	if sr.Ref != "" {
		w.addf(where, "spec refers to %s but the schema file inlines it; use $ref", sr.Ref)
	}
	s := sr.Value
	for k := range node {
		if !nodeKeywords[k] && !(depth == 0 && rootKeywords[k]) {
			w.addf(where, "keyword %q is not compared with the spec (extend the drift check or drop it)", k)
		}
	}
	if len(s.AllOf)+len(s.AnyOf) > 0 || s.Not != nil || s.MultipleOf != nil ||
		s.ExclusiveMin.IsSet() || s.ExclusiveMax.IsSet() || s.MaxProps != nil {
		w.addf(where, "spec uses a keyword the drift check does not compare")
	}

	// oneOf: the same branches in the same order, each a $ref compared like any other.
	branches, _ := node["oneOf"].([]any)
	if len(branches) != len(s.OneOf) {
		w.addf(where, "oneOf has %d branches, spec has %d", len(branches), len(s.OneOf))
	} else {
		for i, b := range branches {
			if child, ok := b.(map[string]any); ok {
				w.compare(rel, fmt.Sprintf("%s|%d", where, i), child, s.OneOf[i], depth+1)
			}
		}
	}

	// Types, with OpenAPI 3.0's nullable written as "null" in the type list.
	want := slices.Clone(s.Type.Slice())
	if s.Nullable {
		want = append(want, "null")
	}
	sort.Strings(want)
	if got := stringsOf(node["type"]); !slices.Equal(got, want) {
		w.addf(where, "type is %v, spec says %v", got, want)
	}
	if got := sortedStrings(node["required"]); !slices.Equal(got, sortedCopy(s.Required)) {
		w.addf(where, "required is %v, spec says %v", got, sortedCopy(s.Required))
	}
	w.sameJSON(where, "enum", node["enum"], s.Enum)
	w.sameJSON(where, "default", node["default"], s.Default)
	// Which bounds are restreamkit's assumptions travels with them (unconfirmed_test.go).
	w.sameJSON(where, "x-unconfirmed", node["x-unconfirmed"], s.Extensions["x-unconfirmed"])
	w.sameString(where, "format", node["format"], s.Format)
	w.sameString(where, "pattern", node["pattern"], s.Pattern)
	w.sameNumber(where, "minimum", node["minimum"], s.Min)
	w.sameNumber(where, "maximum", node["maximum"], s.Max)
	w.sameNumber(where, "minLength", node["minLength"], nonZero(s.MinLength))
	w.sameNumber(where, "maxLength", node["maxLength"], uintPtr(s.MaxLength))
	w.sameNumber(where, "minItems", node["minItems"], nonZero(s.MinItems))
	w.sameNumber(where, "maxItems", node["maxItems"], uintPtr(s.MaxItems))
	w.sameNumber(where, "minProperties", node["minProperties"], nonZero(s.MinProps))
	if got, _ := node["uniqueItems"].(bool); got != s.UniqueItems || (node["uniqueItems"] != nil && !got) {
		w.addf(where, "uniqueItems is %v, spec says %v", node["uniqueItems"], s.UniqueItems)
	}

	// Properties: the same names, each compared in turn.
	props, _ := node["properties"].(map[string]any)
	gotNames := slices.Sorted(maps.Keys(props))
	wantNames := slices.Sorted(maps.Keys(s.Properties))
	if !slices.Equal(gotNames, wantNames) {
		w.addf(where, "properties are %v, spec says %v", gotNames, wantNames)
	}
	for _, name := range wantNames {
		child, ok := props[name].(map[string]any)
		if !ok {
			continue
		}
		w.compare(rel, where+"."+name, child, s.Properties[name], depth+1)
	}

	// additionalProperties: false, true or a schema, as in the spec.
	ap, hasAP := node["additionalProperties"]
	switch {
	case s.AdditionalProperties.Schema != nil:
		child, ok := ap.(map[string]any)
		if !ok {
			w.addf(where, "additionalProperties is %v, spec gives a schema", ap)
		} else {
			w.compare(rel, where+"{*}", child, s.AdditionalProperties.Schema, depth+1)
		}
	case s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has:
		if ap != false {
			w.addf(where, "additionalProperties is %v, spec says false", ap)
		}
	case s.AdditionalProperties.Has != nil:
		if ap != true {
			w.addf(where, "additionalProperties is %v, spec says true", ap)
		}
	default:
		if hasAP {
			w.addf(where, "additionalProperties is %v, spec leaves it out", ap)
		}
	}

	// Array items.
	items, hasItems := node["items"].(map[string]any)
	switch {
	case s.Items != nil && !hasItems:
		w.addf(where, "items is missing, spec gives them")
	case s.Items == nil && hasItems:
		w.addf(where, "items is given, spec has none")
	case s.Items != nil:
		w.compare(rel, where+"[]", items, s.Items, depth+1)
	}
}

// compareRef follows a $ref of the schema file — to a $defs entry of the same file or to a
// sibling file — and checks that it names the same component as the spec's $ref.
func (w *drift) compareRef(rel, where string, node map[string]any, ref string, sr *openapi3.SchemaRef, depth int) {
	for k := range node {
		if k != "$ref" && k != "description" {
			w.addf(where, "keyword %q next to $ref is not compared with the spec", k)
		}
	}
	specName := path.Base(sr.Ref)
	if sr.Ref == "" {
		w.addf(where, "schema file refers to %s but the spec has an inline schema here", ref)
		return
	}
	if name, ok := strings.CutPrefix(ref, "#/$defs/"); ok {
		defs, _ := w.set.docs[rel]["$defs"].(map[string]any)
		target, ok := defs[name].(map[string]any)
		if !ok {
			w.addf(where, "$ref %s: no such $defs entry in %s", ref, rel)
			return
		}
		if name != specName {
			w.addf(where, "$ref names %s, spec refers to %s", name, specName)
		}
		w.compare(rel, rel+"#/$defs/"+name, target, &openapi3.SchemaRef{Value: sr.Value}, depth+1)
		return
	}
	file := path.Clean(path.Join(path.Dir(rel), ref))
	target, ok := w.set.docs[file]
	if !ok {
		w.addf(where, "$ref %s: no schema file %s", ref, file)
		return
	}
	if file != kebab(specName) {
		w.addf(where, "$ref %s, spec refers to %s (file %s)", ref, specName, kebab(specName))
	}
	// The referenced file is compared as a whole by its own subtest; here only its title is checked.
	if title, _ := target["title"].(string); title != specName {
		w.addf(where, "$ref %s has title %q, spec refers to %s", ref, title, specName)
	}
}

func (w *drift) sameJSON(where, keyword string, got, want any) {
	g, _ := json.Marshal(got)
	wnt, _ := json.Marshal(want)
	if !bytes.Equal(g, wnt) {
		w.addf(where, "%s is %s, spec says %s", keyword, g, wnt)
	}
}

func (w *drift) sameString(where, keyword string, got any, want string) {
	g, _ := got.(string)
	if g != want || (got != nil && !isString(got)) {
		w.addf(where, "%s is %v, spec says %q", keyword, got, want)
	}
}

func (w *drift) sameNumber(where, keyword string, got any, want *float64) {
	var g *float64
	if n, ok := got.(json.Number); ok {
		f, err := n.Float64()
		if err == nil {
			g = &f
		}
	} else if got != nil {
		w.addf(where, "%s is %v, not a number", keyword, got)
		return
	}
	if (g == nil) != (want == nil) || (g != nil && *g != *want) {
		w.addf(where, "%s is %v, spec says %v", keyword, deref(g), deref(want))
	}
}

func TestExamplesValidateAgainstTheSchemaFiles(t *testing.T) {
	set := loadSchemas(t)
	spec := loadSpec(t)
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no example files in %s", examplesDir)
	}
	chk := newExampleChecker(t, set, spec)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			ef, _ := v.(map[string]any)
			opID, _ := ef["operationId"].(string)
			if want := strings.TrimSuffix(filepath.Base(file), ".json"); opID != want {
				t.Errorf("operationId %q does not match the file name %s", opID, want)
			}
			examples, _ := ef["examples"].([]any)
			if len(examples) == 0 {
				t.Errorf("no examples")
			}
			for i, e := range examples {
				ex, _ := e.(map[string]any)
				name, _ := ex["name"].(string)
				for _, err := range chk.check(opID, ex) {
					t.Errorf("example %d (%s): %v", i, name, err)
				}
				for _, note := range chk.notes {
					t.Logf("example %d (%s): %s", i, name, note)
				}
				chk.notes = nil
			}
		})
	}
}

// exampleChecker validates the bodies of examples against the schema files the spec maps
// them to.
type exampleChecker struct {
	set      *schemaSet
	ops      map[string]*openapi3.Operation
	compiler *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema
	notes    []string // bodies that could not be checked, and why
}

func newExampleChecker(t *testing.T, set *schemaSet, spec *openapi3.T) *exampleChecker {
	t.Helper()
	ops := map[string]*openapi3.Operation{}
	for _, item := range spec.Paths.Map() {
		for _, op := range item.Operations() {
			ops[op.OperationID] = op
		}
	}
	return &exampleChecker{set: set, ops: ops, compiler: set.compiler(t), compiled: map[string]*jsonschema.Schema{}}
}

// check returns every problem of one example: a status the spec does not declare, a body
// where the spec has none (or none where it has one), and bodies the schema file rejects.
// Request bodies are checked only for examples that succeed: an error example may carry a
// deliberately wrong request to document the error.
func (c *exampleChecker) check(opID string, ex map[string]any) []error {
	op := c.ops[opID]
	if op == nil {
		return []error{fmt.Errorf("operation %q is not in the spec", opID)}
	}
	var errs []error
	resp, _ := ex["response"].(map[string]any)
	status, err := statusOf(resp["status"])
	if err != nil {
		return []error{err}
	}
	rr := op.Responses.Status(status)
	if rr == nil || rr.Value == nil {
		return []error{fmt.Errorf("status %d is not declared for %s", status, opID)}
	}
	body, hasBody := resp["body"]
	media := rr.Value.Content.Get("application/json")
	switch {
	case media == nil && hasBody:
		errs = append(errs, fmt.Errorf("response %d has a body but the spec declares no JSON body", status))
	case media != nil && !hasBody:
		errs = append(errs, fmt.Errorf("response %d has no body but the spec declares a JSON body", status))
	case media != nil:
		errs = append(errs, c.validate(fmt.Sprintf("response %d", status), media.Schema, body)...)
	}

	req, _ := ex["request"].(map[string]any)
	reqBody, hasReqBody := req["body"]
	if !hasReqBody || status >= 400 {
		return errs
	}
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return append(errs, errors.New("request has a body but the spec declares none"))
	}
	ct := "application/json"
	if h, ok := req["headers"].(map[string]any); ok {
		if v, ok := h["Content-Type"].(string); ok {
			ct = v
		}
	}
	reqMedia := op.RequestBody.Value.Content.Get(ct)
	if reqMedia == nil {
		return append(errs, fmt.Errorf("request Content-Type %q is not declared", ct))
	}
	return append(errs, c.validate("request", reqMedia.Schema, reqBody)...)
}

// validate checks body against the schema file of the component sr names (for an array of a
// component, each item against the component's file).
func (c *exampleChecker) validate(what string, sr *openapi3.SchemaRef, body any) []error {
	name, isArray := componentOf(sr)
	if name == "" {
		c.notes = append(c.notes, what+": the spec's schema is not a component; not checked against a schema file")
		return nil
	}
	rel, ok := c.set.byTitle[name]
	if !ok {
		if slices.Contains(requiredSchemas, name) {
			return []error{fmt.Errorf("%s: no schema file for %s (want %s)", what, name, kebab(name))}
		}
		c.notes = append(c.notes, fmt.Sprintf("%s: no schema file for %s; not checked", what, name))
		return nil
	}
	sch, err := c.schema(rel)
	if err != nil {
		return []error{err}
	}
	if !isArray {
		if err := sch.Validate(body); err != nil {
			return []error{fmt.Errorf("%s does not match %s: %v", what, rel, err)}
		}
		return nil
	}
	items, ok := body.([]any)
	if !ok {
		return []error{fmt.Errorf("%s: spec says an array of %s, body is %T", what, name, body)}
	}
	var errs []error
	for i, item := range items {
		if err := sch.Validate(item); err != nil {
			errs = append(errs, fmt.Errorf("%s item %d does not match %s: %v", what, i, rel, err))
		}
	}
	return errs
}

func (c *exampleChecker) schema(rel string) (*jsonschema.Schema, error) {
	if sch, ok := c.compiled[rel]; ok {
		return sch, nil
	}
	sch, err := c.compiler.Compile(schemaBase + rel)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", rel, err)
	}
	c.compiled[rel] = sch
	return sch, nil
}

// componentOf names the component a body schema refers to, directly or as array items.
func componentOf(sr *openapi3.SchemaRef) (name string, isArray bool) {
	if sr == nil {
		return "", false
	}
	if sr.Ref != "" {
		return path.Base(sr.Ref), false
	}
	if sr.Value != nil && sr.Value.Type.Is("array") && sr.Value.Items != nil && sr.Value.Items.Ref != "" {
		return path.Base(sr.Value.Items.Ref), true
	}
	return "", false
}

func statusOf(v any) (int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("response.status is %v, not a number", v)
	}
	i, err := n.Int64()
	if err != nil || i < 100 || i > 599 {
		return 0, fmt.Errorf("response.status %v is not an HTTP status", v)
	}
	return int(i), nil
}

// The checks above must be able to fail. The tests below feed them wrong inputs on purpose.

func TestSchemaFilesRejectWrongBodies(t *testing.T) {
	set := loadSchemas(t)
	c := set.compiler(t)
	tests := []struct {
		name   string
		schema string
		body   string
		valid  bool
	}{
		{"a documented channel is accepted", "channel.json",
			`{"id":111,"streamingPlatformId":1,"embedUrl":"http://www.twitch.tv/xxx/embed","url":"http://twitch.tv/xxx","identifier":"xxx","displayName":"xxx","active":false}`, true},
		{"a channel without active is rejected", "channel.json",
			`{"id":111,"streamingPlatformId":1,"embedUrl":"","url":"","identifier":"xxx","displayName":"xxx"}`, false},
		{"a channel with enabled instead of active is rejected", "channel.json",
			`{"id":111,"streamingPlatformId":1,"embedUrl":"","url":"","identifier":"xxx","displayName":"xxx","enabled":true}`, false},
		{"a documented event is accepted", "event.json",
			`{"id":"2527849f-f961-4b1d-8ae0-8eae4f068327","status":"in-progress","title":"t","description":"d","coverUrl":null,"isRecordOnly":false,"scheduledFor":1599983310,"startedAt":1599983310,"finishedAt":null,"destinations":[{"channelId":1,"externalUrl":null,"streamingPlatformId":5}]}`, true},
		{"an event with an ISO date-time startedAt is rejected", "event.json",
			`{"id":"2527849f-f961-4b1d-8ae0-8eae4f068327","status":"in-progress","title":"t","description":"d","coverUrl":null,"scheduledFor":null,"startedAt":"2020-09-13T07:48:30Z","finishedAt":null,"destinations":[]}`, false},
		{"an event with status completed is rejected", "event.json",
			`{"id":"2527849f-f961-4b1d-8ae0-8eae4f068327","status":"completed","title":"t","description":"d","coverUrl":null,"scheduledFor":null,"startedAt":null,"finishedAt":null,"destinations":[]}`, false},
		{"an event whose destination lacks channelId is rejected", "event.json",
			`{"id":"2527849f-f961-4b1d-8ae0-8eae4f068327","status":"upcoming","title":"t","description":"d","coverUrl":null,"scheduledFor":null,"startedAt":null,"finishedAt":null,"destinations":[{"externalUrl":null,"streamingPlatformId":5}]}`, false},
		{"an event whose id is not a UUID is rejected", "event.json",
			`{"id":"evt-1","status":"upcoming","title":"t","description":"d","coverUrl":null,"scheduledFor":null,"startedAt":null,"finishedAt":null,"destinations":[]}`, false},
		{"a history page whose item is not an event is rejected", "event-history.json",
			`{"items":[{"id":"2527849f-f961-4b1d-8ae0-8eae4f068327"}],"pagination":{"pages_total":1,"page":1,"limit":10}}`, false},
		{"the documented error envelope is accepted", "error-envelope.json",
			`{"error":{"statusCode":401,"status":401,"code":401,"message":"Invalid token: access token is invalid","name":"invalid_token"}}`, true},
		{"a flat error object is rejected", "error-envelope.json",
			`{"statusCode":401,"status":401,"code":401,"message":"Invalid token","name":"invalid_token"}`, false},
		{"a profile with an undocumented field is rejected", "profile.json",
			`{"id":1,"username":"u","email":"u@example.com","displayName":"U"}`, false},
		{"a profile id beyond 64 bits is rejected", "profile.json",
			`{"id":99999999999999999999,"username":"u","email":"u@example.com"}`, false},
		{"a stream key without SRT access is accepted", "stream-key.json",
			`{"streamKey":"re_xxx_xxx","srtUrl":null}`, true},
		{"a stream key whose srtUrl is a number is rejected", "stream-key.json",
			`{"streamKey":"re_xxx_xxx","srtUrl":2010}`, false},
		{"a server with numeric coordinates is rejected", "server.json",
			`{"id":20,"name":"Autodetect","url":"live.restream.io","rtmpUrl":"rtmp://live.restream.io/live","latitude":0,"longitude":0}`, false},
		{"a platform without its image is rejected", "platform.json",
			`{"id":1,"name":"Twitch","url":"http://twitch.tv"}`, false},
		{"a token response with an unreadable expiry time is rejected", "token-response.json",
			`{"access_token":"a","expires":1,"expires_in":3600,"refresh_token":"r","scope":"profile.read","token_type":"Bearer","accessToken":"a","accessTokenExpiresIn":3600,"accessTokenExpiresAt":"tomorrow","accessTokenExpiresEpoch":1,"refreshToken":"r","refreshTokenExpiresIn":31536000,"refreshTokenExpiresAt":"2019-03-05T19:01:07.215Z","refreshTokenExpiresEpoch":1}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sch, err := c.Compile(schemaBase + tt.schema)
			if err != nil {
				t.Fatal(err)
			}
			body, err := jsonschema.UnmarshalJSON(strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			err = sch.Validate(body)
			if tt.valid && err != nil {
				t.Errorf("rejected: %v", err)
			}
			if !tt.valid && err == nil {
				t.Errorf("accepted a wrong body")
			}
		})
	}
}

func TestDriftCheckReportsASchemaFileThatDisagreesWithTheSpec(t *testing.T) {
	spec := loadSpec(t)
	tests := []struct {
		name   string
		file   string
		mutate func(doc map[string]any)
		want   string
	}{
		{"a property missing from the file", "channel.json",
			func(d map[string]any) { delete(obj(d, "properties"), "active") }, "properties are"},
		{"a required field the spec does not require", "channel-meta.json",
			func(d map[string]any) { d["required"] = []any{"title", "description"} }, "required is"},
		{"an enum value the spec does not have", "event.json",
			func(d map[string]any) { obj(d, "properties", "status")["enum"] = []any{"upcoming", "completed"} }, "enum is"},
		{"a nullable field made non-nullable", "stream-key.json",
			func(d map[string]any) { obj(d, "properties", "srtUrl")["type"] = "string" }, "type is"},
		{"a nested object in $defs that drifts", "event.json",
			func(d map[string]any) { obj(d, "$defs", "EventDestination")["required"] = []any{"channelId"} }, "EventDestination: required is"},
		{"a bound the spec does not have", "channel-meta-update.json",
			func(d map[string]any) { obj(d, "properties", "title")["maxLength"] = json.Number("99") }, "maxLength is"},
		{"an invented bound no longer marked as an assumption", "studio-ticker-create.json",
			func(d map[string]any) { delete(obj(d, "properties", "text"), "x-unconfirmed") }, "x-unconfirmed is"},
		{"an update that may be empty", "studio-caption-update.json",
			func(d map[string]any) { delete(d, "minProperties") }, "minProperties is"},
		{"a reorder that may name an id twice", "studio-qr-code-order.json",
			func(d map[string]any) { delete(obj(d, "properties", "ids"), "uniqueItems") }, "uniqueItems is"},
		{"an object that is no longer closed", "profile.json",
			func(d map[string]any) { delete(d, "additionalProperties") }, "additionalProperties is"},
		{"a $ref to the wrong sibling file", "event-history.json",
			func(d map[string]any) { obj(d, "properties", "items", "items")["$ref"] = "channel.json" }, "spec refers to Event"},
		{"a title naming no component", "ingest.json",
			func(d map[string]any) { d["title"] = "SelectedIngest" }, "names no component"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := loadSchemas(t) // fresh copy: the mutation must not leak into other cases
			if got := driftOfFile(set, spec, tt.file); len(got) != 0 {
				t.Fatalf("the unmodified %s already drifts: %v", tt.file, got)
			}
			tt.mutate(set.docs[tt.file])
			got := driftOfFile(set, spec, tt.file)
			if !slices.ContainsFunc(got, func(d string) bool { return strings.Contains(d, tt.want) }) {
				t.Errorf("differences %q do not mention %q", got, tt.want)
			}
		})
	}
}

func TestExampleCheckRejectsWrongExamples(t *testing.T) {
	spec := loadSpec(t)
	channel := `{"id":5120001,"streamingPlatformId":1,"embedUrl":"","url":"","identifier":"x","displayName":"x","active":true}`
	tests := []struct {
		name        string
		opID        string
		example     string
		dropSchema  string // a schema file to pretend is missing
		wantProblem bool
	}{
		{"a correct channel example passes", "getChannel",
			`{"response":{"status":200,"body":` + channel + `}}`, "", false},
		{"a channel body with a wrong type fails", "getChannel",
			`{"response":{"status":200,"body":{"id":"5120001","streamingPlatformId":1,"embedUrl":"","url":"","identifier":"x","displayName":"x","active":true}}}`, "", true},
		{"a list item that breaks the schema fails", "listChannels",
			`{"response":{"status":200,"body":[` + channel + `,{"id":1}]}}`, "", true},
		{"a flat error body fails", "getChannel",
			`{"response":{"status":404,"body":{"statusCode":404,"status":404,"code":404,"message":"Not Found","name":"not_found"}}}`, "", true},
		{"a status the spec does not declare fails", "getChannel",
			`{"response":{"status":418,"body":{}}}`, "", true},
		{"a missing body where the spec declares one fails", "getChannel",
			`{"response":{"status":200}}`, "", true},
		{"a body where the spec declares none fails", "updateChannel",
			`{"request":{"body":{"active":true}},"response":{"status":200,"body":{"active":true}}}`, "", true},
		{"a successful request with an undocumented field fails", "updateChannel",
			`{"request":{"body":{"active":true,"displayName":"x"}},"response":{"status":200}}`, "", true},
		{"an error example may document a wrong request", "updateChannel",
			`{"request":{"body":{"active":"yes"}},"response":{"status":400,"body":{"error":{"statusCode":400,"status":400,"code":400,"message":"m","name":"invalid_body_params"}}}}`, "", false},
		{"a required resource without a schema file fails", "getChannel",
			`{"response":{"status":200,"body":` + channel + `}}`, "Channel", true},
		{"another resource without a schema file is only noted", "getSelectedIngest",
			`{"response":{"status":200,"body":{"ingestId":8}}}`, "Ingest", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := loadSchemas(t)
			if tt.dropSchema != "" {
				delete(set.byTitle, tt.dropSchema)
			}
			chk := newExampleChecker(t, set, spec)
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(tt.example))
			if err != nil {
				t.Fatal(err)
			}
			errs := chk.check(tt.opID, v.(map[string]any))
			if tt.wantProblem && len(errs) == 0 {
				t.Errorf("a wrong example passed")
			}
			if !tt.wantProblem && len(errs) != 0 {
				t.Errorf("a correct example failed: %v", errs)
			}
		})
	}
}

// Small helpers.

// obj walks nested objects of a decoded document; it panics on a wrong path, which is a bug
// in the test table.
func obj(d map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		d = d[k].(map[string]any)
	}
	return d
}

func stringsOf(v any) []string {
	var out []string
	switch t := v.(type) {
	case string:
		out = []string{t}
	case []any:
		for _, x := range t {
			s, _ := x.(string)
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func sortedStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

func isString(v any) bool { _, ok := v.(string); return ok }

func nonZero(n uint64) *float64 {
	if n == 0 {
		return nil
	}
	f := float64(n)
	return &f
}

func uintPtr(n *uint64) *float64 {
	if n == nil {
		return nil
	}
	f := float64(*n)
	return &f
}

func deref(f *float64) any {
	if f == nil {
		return "absent"
	}
	return *f
}
