package mock_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/validate"
	"github.com/restreamkit/restreamkit/openapi"
)

// sent records, across every test of the package, which error names the mock answered each
// Restream API operation with: "operationId status name". recordNames fills it; TestMain reads it.
var sent struct {
	sync.Mutex
	names map[string]bool
}

// recordNames wraps the mock's handler (the harness's server) so that every error envelope it
// answers a Restream API operation with is recorded in sent. Other requests (the control API, the
// WebSocket feeds) pass untouched.
func recordNames(next http.Handler, spec *validate.Spec) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var pp validate.PathParams
		op, _, _ := spec.Find(r.Method, r.URL.Path, &pp)
		if op == nil {
			next.ServeHTTP(w, r)
			return
		}
		rw := mock.NewCaptureWriter(w)
		next.ServeHTTP(rw, r)
		status, body := rw.Captured()
		var env conformance.Envelope
		if status >= 400 && json.Unmarshal(body, &env) == nil && env.Error.Name != "" {
			sent.Lock()
			if sent.names == nil {
				sent.names = map[string]bool{}
			}
			sent.names[fmt.Sprintf("%s %d %s", op.ID, status, env.Error.Name)] = true
			sent.Unlock()
		}
	})
}

// operationSpecificNames returns the names the spec lists for one operation alone, as
// "operationId status name": its x-error-names map and the lists of its inline responses. Names
// of shared response components (invalid_token, insufficient_scope...) are every operation's and
// are compared with the code by TestEveryErrorNameTheMockCanSendIsInTheSpecAndEveryListedNameIsSent.
func operationSpecificNames() ([]string, error) {
	data, err := openapi.FS.ReadFile(openapi.RestreamSpec)
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, item := range doc.Paths.Map() {
		for _, o := range item.Operations() {
			if m, ok := o.Extensions[validate.ExtErrorNames].(map[string]any); ok {
				for status, names := range m {
					for _, n := range names.([]any) {
						out = append(out, fmt.Sprintf("%s %s %s", o.OperationID, status, n))
					}
				}
			}
			for status, rr := range o.Responses.Map() {
				if rr.Ref != "" {
					continue
				}
				if names, ok := rr.Value.Extensions[validate.ExtErrorNames].([]any); ok {
					for _, n := range names {
						out = append(out, fmt.Sprintf("%s %s %s", o.OperationID, status, n))
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// checkEveryListedNameWasSent is run by TestMain after a full run of the package: every name the
// spec lists for one operation must have been answered by some test. With the mock's own check
// (it reports any name it sends that its operation's list lacks as a response violation), it
// proves each operation's list is exactly what the mock sends.
func checkEveryListedNameWasSent() error {
	listed, err := operationSpecificNames()
	if err != nil {
		return err
	}
	sent.Lock()
	defer sent.Unlock()
	var missing []string
	for _, l := range listed {
		if !sent.names[l] {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the spec lists error names no test saw the mock send (operation, status, name); "+
			"drive them in a test or drop them from x-error-names:\n  %v", missing)
	}
	return nil
}

// fullRun reports whether every test of the package ran: no -run, -skip or -short narrowed them,
// so a name no test sent is a gap, not a test left out.
func fullRun() bool {
	// -list and -fuzz run no tests (the fuzz script lists every target first), -run and -skip
	// leave some out.
	for _, name := range []string{"test.run", "test.skip", "test.list", "test.fuzz"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return !testing.Short()
}
