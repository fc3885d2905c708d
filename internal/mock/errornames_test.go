package mock_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/conformance"
)

// servingSources are the files whose errors answer Restream API operations: the mock's gate and
// handlers, the OAuth server and the state store. The control API (control*.go) and the live
// simulators answer under /__mock/ and the WebSocket feeds, which x-error-names does not cover.
var servingSources = []string{
	"gate.go", "rest.go", "routes.go", "server.go",
	"../oauth/*.go", "../state/*.go", "../apierror/apierror.go",
}

// notOperationNames are names the scanned code sends outside any documented operation, each with
// where; the spec has no operation to list them under.
var notOperationNames = map[string]string{
	"not_found":          "routes.go: a path the spec does not describe",
	"method_not_allowed": "routes.go: a method the spec does not describe for the path",
	"user_exists":        "state/users.go: POST /__mock/users (control API)",
	"user_limit_reached": "state/users.go: POST /__mock/users (control API)",
	"user_ids_exhausted": "state/users.go: POST /__mock/users (control API)",
	"event_not_started":  "state/lifecycle.go: the control API's event lifecycle",
}

// TestEveryErrorNameTheMockCanSendIsInTheSpecAndEveryListedNameIsSent compares, both ways, the
// error names the code that serves the Restream API can send (every apierror.New/Newf, notFound
// and errLimit call with a literal or constant name) with the names the spec lists in
// x-error-names. Together with the mock's own check of every answer it sends in tests (an
// unlisted name for the operation and status is a response violation), it proves the lists are
// complete: a new name in the code fails here until the spec lists it, and a listed name the mock
// can no longer send fails here until it is dropped. Names computed at run time (an injected
// fault's or an unknown route's status text) are not literals, and are exempt as documented.
func TestEveryErrorNameTheMockCanSendIsInTheSpecAndEveryListedNameIsSent(t *testing.T) {
	inCode := sentNames(t)
	spec := conformance.Spec(t)
	listed := map[string]bool{}
	for _, op := range spec.Operations() {
		for _, st := range op.Statuses() {
			code, err := strconv.Atoi(strings.Replace(st, "XX", "00", 1))
			if err != nil {
				continue
			}
			for _, n := range op.ErrorNames(code) {
				listed[n] = true
			}
		}
	}
	for name, where := range inCode {
		if !listed[name] && notOperationNames[name] == "" {
			t.Errorf("the mock can send %q (%s) but no operation of the spec lists it in x-error-names", name, where)
		}
	}
	for name := range listed {
		if _, ok := inCode[name]; !ok {
			t.Errorf("the spec lists %q in x-error-names but no code serving the Restream API sends it", name)
		}
	}
	for name := range notOperationNames {
		if _, ok := inCode[name]; !ok {
			t.Errorf("notOperationNames lists %q, which the code no longer sends", name)
		}
	}
}

// sentNames returns the error names the serving sources pass as literals or constants to the
// functions that build errors, each with the position of one use.
func sentNames(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	for _, pattern := range servingSources {
		paths, err := filepath.Glob(pattern)
		if err != nil || len(paths) == 0 {
			t.Fatalf("no sources match %s: %v", pattern, err)
		}
		for _, p := range paths {
			if strings.HasSuffix(p, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
	}
	// String constants by name, across the packages: apierror.NameX and oauth's NameX read the same.
	consts := map[string]string{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok {
				for i, id := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[id.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
			return true
		})
	}
	// apierror.InvalidParams names its error by where the input is: any of the four.
	byLocation := []string{consts["NameInvalidPathParams"], consts["NameInvalidQueryParams"],
		consts["NameInvalidHeaderParams"], consts["NameInvalidBodyParams"]}
	// Which argument of which builder is the name.
	nameArg := map[string]int{"New": 1, "Newf": 1, "notFound": 1, "errLimit": 0}
	out := map[string]string{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var fn string
			switch fun := call.Fun.(type) {
			case *ast.Ident:
				fn = fun.Name
			case *ast.SelectorExpr:
				if x, ok := fun.X.(*ast.Ident); ok && x.Name == "apierror" {
					fn = fun.Sel.Name
				}
			}
			if fn == "InvalidParams" {
				for _, name := range byLocation {
					if out[name] == "" {
						out[name] = fset.Position(call.Pos()).String()
					}
				}
				return true
			}
			i, ok := nameArg[fn]
			if !ok || len(call.Args) <= i {
				return true
			}
			var name string
			switch a := call.Args[i].(type) {
			case *ast.BasicLit:
				name, _ = strconv.Unquote(a.Value)
			case *ast.Ident:
				name = consts[a.Name]
			case *ast.SelectorExpr:
				name = consts[a.Sel.Name]
			}
			if name != "" && out[name] == "" {
				out[name] = fset.Position(call.Pos()).String()
			}
			return true
		})
	}
	if len(out) == 0 {
		t.Fatal("the scan found no error names: the builders were renamed")
	}
	return out
}
