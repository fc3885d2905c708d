package mock

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// maxFaults bounds the REST faults kept at once; the control API answers 409 past it. Each
// fault's strings are bounded by the control spec (operationId, path), so the store is too.
const maxFaults = 1000

// nameTooManyFaults is the error name of an addFault refused because the store is full.
const nameTooManyFaults = "too_many_faults"

// fault is one injected REST failure.
type fault struct {
	id          string
	operationID string
	method      string
	path        string // an exact path or a path template
	status      int
	retryAfter  int
	latency     time.Duration
	probability float64
	remaining   int // 0: until removed
}

// faults are the REST faults, checked by the gate on every routed request.
type faults struct {
	mu   sync.Mutex
	list []*fault
	seq  int
}

func (f *fault) matches(op *validate.Operation, r *http.Request) bool {
	if f.operationID != "" {
		return op != nil && op.ID == f.operationID
	}
	if f.method != "" && f.method != r.Method {
		return false
	}
	return f.path == "" || f.path == r.URL.Path || op != nil && f.path == op.Path
}

// take returns the fault that applies to a request, if any, counting it down.
func (fs *faults) take(op *validate.Operation, r *http.Request) *fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.list {
		if !f.matches(op, r) || f.probability < 1 && rand.Float64() >= f.probability {
			continue
		}
		applied := *f
		if f.remaining > 0 {
			f.remaining--
			if f.remaining == 0 {
				fs.list = append(fs.list[:i], fs.list[i+1:]...)
			}
		}
		return &applied
	}
	return nil
}

// applyFault delays and/or fails a request as an injected fault says. It returns the error to
// answer with, or nil to go on.
func (s *Server) applyFault(ctx context.Context, op *validate.Operation, r *http.Request) error {
	f := s.faults.take(op, r)
	if f == nil {
		return nil
	}
	if f.latency > 0 {
		t := time.NewTimer(f.latency)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	if f.status == 0 {
		return nil
	}
	e := apierror.New(f.status, snake(http.StatusText(f.status)), http.StatusText(f.status)+": injected fault "+f.id)
	if e.Name == "" {
		e.Name = "injected_fault"
	}
	if f.retryAfter > 0 {
		e = e.WithHeader("Retry-After", strconv.Itoa(f.retryAfter))
	}
	return e
}

// addRESTFault registers a REST fault from the control API's request. The gate has checked the
// request against the control spec, which bounds every number (status 400-599, count, latencyMs,
// probability, retryAfterSeconds) and string; what is left is what depends on the Restream spec:
// the fault must match an operation, and its status must be one that every operation it can match
// documents, so that the mock never answers outside its spec.
func (s *Server) addRESTFault(req controlapi.FaultRequest) (controlapi.Fault, error) {
	if req.CloseCode != nil || req.CloseReason != nil || req.UserId != nil {
		return controlapi.Fault{}, invalidFault("closeCode, closeReason and userId are for WebSocket faults")
	}
	f := &fault{probability: 1}
	if req.OperationId != nil {
		f.operationID = *req.OperationId
	}
	if req.Method != nil {
		f.method = string(*req.Method)
	}
	if req.Path != nil {
		f.path = *req.Path
	}
	if req.Status != nil {
		f.status = *req.Status
	}
	if req.LatencyMs != nil {
		f.latency = time.Duration(*req.LatencyMs) * time.Millisecond
	}
	if f.status == 0 && f.latency == 0 {
		return controlapi.Fault{}, invalidFault("a REST fault needs a status, a latencyMs, or both")
	}
	ops, err := s.faultTargets(f)
	if err != nil {
		return controlapi.Fault{}, err
	}
	if f.status != 0 {
		if err := statusDocumented(ops, f.status); err != nil {
			return controlapi.Fault{}, err
		}
	}
	if req.RetryAfterSeconds != nil {
		f.retryAfter = *req.RetryAfterSeconds
	}
	if req.Probability != nil {
		f.probability = float64(*req.Probability)
	}
	if req.Count != nil {
		f.remaining = *req.Count
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if len(s.faults.list) >= maxFaults {
		return controlapi.Fault{}, apierror.Newf(http.StatusConflict, nameTooManyFaults,
			"Conflict: the mock already holds %d REST faults, its limit; delete some first", maxFaults)
	}
	s.faults.seq++
	f.id = "fault-" + strconv.Itoa(s.faults.seq)
	s.faults.list = append(s.faults.list, f)
	return f.describe(), nil
}

// faultTargets returns the operations of the Restream API a fault can match: the one its
// operationId names, or every one whose method and path template (or a path it routes) agree
// with the fault's method and path.
func (s *Server) faultTargets(f *fault) ([]*validate.Operation, error) {
	if f.operationID != "" {
		if f.method != "" || f.path != "" {
			return nil, invalidFault("a REST fault names either operationId, or method and/or path")
		}
		op, ok := s.spec.Operation(f.operationID)
		if !ok {
			return nil, invalidFault(`"operationId" ` + strconv.Quote(f.operationID) + " is no operation of the Restream API")
		}
		return []*validate.Operation{op}, nil
	}
	if f.method == "" && f.path == "" {
		return nil, invalidFault("a REST fault needs operationId, or method and/or path")
	}
	var ops []*validate.Operation
	var pp validate.PathParams
	for _, op := range s.spec.Operations() {
		if f.method != "" && op.Method != f.method {
			continue
		}
		if f.path != "" && f.path != op.Path {
			if routed, _, _ := s.spec.Find(op.Method, f.path, &pp); routed != op {
				continue
			}
		}
		ops = append(ops, op)
	}
	if len(ops) == 0 {
		return nil, invalidFault(`"path" ` + strconv.Quote(strings.TrimSpace(f.method+" "+f.path)) + " matches no operation of the Restream API")
	}
	return ops, nil
}

// statusDocumented returns nil when every operation of ops documents status, else the 400 that
// names the first operation that does not and lists the statuses they all document.
func statusDocumented(ops []*validate.Operation, status int) error {
	for _, op := range ops {
		if documents(op, status) {
			continue
		}
		which := op.ID
		if len(ops) > 1 {
			which += " (one of the " + strconv.Itoa(len(ops)) + " operations the fault can match)"
		}
		return invalidFault(`"status" ` + strconv.Itoa(status) + " is not documented for " + which +
			"; the statuses they all document: " + commonStatuses(ops))
	}
	return nil
}

// documents reports whether op documents status, by its code, its range (5XX) or a default.
func documents(op *validate.Operation, status int) bool {
	code := strconv.Itoa(status)
	for _, s := range op.Statuses() {
		if s == code || s == code[:1]+"XX" || s == "default" {
			return true
		}
	}
	return false
}

// commonStatuses lists the error statuses every operation of ops documents, runs collapsed
// ("400, 413, 429, 431, 500-599").
func commonStatuses(ops []*validate.Operation) string {
	var parts []string
	for st := 400; st <= 599; st++ {
		if !documentedByAll(ops, st) {
			continue
		}
		end := st
		for end+1 <= 599 && end/100 == st/100 && documentedByAll(ops, end+1) {
			end++
		}
		if end > st+1 {
			parts = append(parts, strconv.Itoa(st)+"-"+strconv.Itoa(end))
		} else {
			parts = append(parts, strconv.Itoa(st))
			if end > st {
				parts = append(parts, strconv.Itoa(end))
			}
		}
		st = end
	}
	return strings.Join(parts, ", ")
}

func documentedByAll(ops []*validate.Operation, status int) bool {
	for _, op := range ops {
		if !documents(op, status) {
			return false
		}
	}
	return true
}

// invalidFault is the 400 of a fault request the control spec allows but the mock cannot carry
// out; msg names the field.
func invalidFault(msg string) error {
	return apierror.New(http.StatusBadRequest, apierror.NameInvalidBodyParams, "Invalid body params: "+msg)
}

func (f *fault) describe() controlapi.Fault {
	out := controlapi.Fault{Id: f.id, Target: "rest"}
	if f.operationID != "" {
		out.OperationId = &f.operationID
	}
	if f.method != "" {
		out.Method = &f.method
	}
	if f.path != "" {
		out.Path = &f.path
	}
	if f.status != 0 {
		out.Status = &f.status
	}
	if f.retryAfter != 0 {
		out.RetryAfterSeconds = &f.retryAfter
	}
	if f.latency != 0 {
		ms := int(f.latency / time.Millisecond)
		out.LatencyMs = &ms
	}
	p := float32(f.probability)
	out.Probability = &p
	rem := f.remaining
	out.Remaining = &rem
	return out
}

// listFaults returns the REST faults in the order they were added.
func (s *Server) listFaults() []controlapi.Fault {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	out := make([]controlapi.Fault, 0, len(s.faults.list))
	for _, f := range s.faults.list {
		out = append(out, f.describe())
	}
	return out
}

// deleteFault removes one REST fault.
func (s *Server) deleteFault(id string) bool {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	for i, f := range s.faults.list {
		if strings.EqualFold(f.id, id) {
			s.faults.list = append(s.faults.list[:i], s.faults.list[i+1:]...)
			return true
		}
	}
	return false
}

// clearFaults removes every fault: REST ones and pending WebSocket refusals.
func (s *Server) clearFaults() {
	s.faults.mu.Lock()
	s.faults.list = nil
	s.faults.mu.Unlock()
	_ = s.streamingFeed.RefuseNext(503, 0, 0)
	_ = s.chatFeed.RefuseNext(503, 0, 0)
}
