package check

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/report"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// The mock's suites check what each operation answers, not that every answer conforms to the
// spec: in the mock's own tests a harness does that (mock.Options.OnResponseViolation), and
// through the proxy the proxy does. The command has neither, so it watches every answer the
// suites receive with a transport of its own and turns what breaks the spec into a failing check.

// Bounds of what the watcher keeps: answers larger than maxWatchedBody are passed on unchecked,
// and at most maxWatchedViolations descriptions are kept (the rest are counted).
const (
	maxWatchedBody       = 4 << 20
	maxWatchedViolations = 50
)

// watcher is an http.RoundTripper that checks every answer against the spec of its path (the
// control API's under /__mock/, the Restream API's elsewhere) and keeps what breaks it.
type watcher struct {
	next          http.RoundTripper
	restream, ctl *validate.Spec
	mu            sync.Mutex
	found         []string
	more          int
}

// RoundTrip sends the request and checks the answer, which it hands back whole.
func (w *watcher) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := w.next.RoundTrip(req)
	if err != nil || w.restream == nil {
		return res, err
	}
	spec := w.restream
	if strings.HasPrefix(req.URL.Path, "/__mock/") {
		spec = w.ctl
	}
	var pp validate.PathParams
	op, _, _ := spec.Find(req.Method, req.URL.EscapedPath(), &pp)
	if op == nil || strings.HasPrefix(req.URL.Path, "/__proxy/") {
		return res, nil
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxWatchedBody+1))
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(body) > maxWatchedBody {
		res.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), res.Body))
		return res, nil
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	if vs := spec.CheckResponse(nil, op, res.StatusCode, res.Header, body); len(vs) > 0 {
		w.mu.Lock()
		if len(w.found) < maxWatchedViolations {
			w.found = append(w.found, fmt.Sprintf("%s %s answered %d: %s", req.Method, req.URL.Path, res.StatusCode, report.Describe(vs[0])))
		} else {
			w.more++
		}
		w.mu.Unlock()
	}
	return res, nil
}

// take returns what was found since the last take and forgets it.
func (w *watcher) take() (found []string, more int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	found, more = w.found, w.more
	w.found, w.more = nil, 0
	return found, more
}

// conforms is the closing subcheck of a mock suite: every answer the suite received conforms.
func (w *watcher) conforms(t conformance.T) {
	conformance.Run(t, "every answer conforms to the spec", func(t conformance.T) {
		found, more := w.take()
		for _, f := range found {
			t.Errorf("%s", f)
		}
		if more > 0 {
			t.Errorf("and %d more answers that break the spec", more)
		}
	})
}
