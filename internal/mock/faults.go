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

// maxFaults bounds the REST faults kept at once.
const maxFaults = 1000

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

// addRESTFault registers a REST fault from the control API's request.
func (s *Server) addRESTFault(req controlapi.FaultRequest) (controlapi.Fault, error) {
	f := &fault{probability: 1}
	if req.OperationId != nil {
		if _, ok := s.spec.Operation(*req.OperationId); !ok {
			return controlapi.Fault{}, apierror.Newf(http.StatusBadRequest, apierror.NameInvalidBodyParams,
				"Invalid body params: no operation %q in the Restream spec", *req.OperationId)
		}
		f.operationID = *req.OperationId
	}
	if req.Method != nil {
		f.method = string(*req.Method)
	}
	if req.Path != nil {
		f.path = *req.Path
	}
	if f.operationID == "" && f.method == "" && f.path == "" {
		return controlapi.Fault{}, apierror.New(http.StatusBadRequest, apierror.NameInvalidBodyParams,
			"Invalid body params: a REST fault needs operationId, or method and/or path")
	}
	if req.Status != nil {
		f.status = *req.Status
	}
	if req.LatencyMs != nil {
		f.latency = time.Duration(*req.LatencyMs) * time.Millisecond
	}
	if f.status == 0 && f.latency == 0 {
		return controlapi.Fault{}, apierror.New(http.StatusBadRequest, apierror.NameInvalidBodyParams,
			"Invalid body params: a REST fault needs a status, a latencyMs, or both")
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
	if req.CloseCode != nil || req.UserId != nil {
		return controlapi.Fault{}, apierror.New(http.StatusBadRequest, apierror.NameInvalidBodyParams,
			"Invalid body params: closeCode and userId are for WebSocket faults")
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if len(s.faults.list) >= maxFaults {
		return controlapi.Fault{}, apierror.Newf(http.StatusBadRequest, apierror.NameInvalidBodyParams,
			"Invalid body params: at most %d faults at once", maxFaults)
	}
	s.faults.seq++
	f.id = "fault-" + strconv.Itoa(s.faults.seq)
	s.faults.list = append(s.faults.list, f)
	return f.describe(), nil
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
