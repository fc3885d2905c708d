package mock

import (
	"net/http"
	"sync"
	"time"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/redact"
)

// journalBodyLimit bounds the request body kept per journal entry.
const journalBodyLimit = 4 << 10

// journal is a bounded ring of the most recent requests, with secrets redacted.
type journal struct {
	mu      sync.Mutex
	entries []controlapi.JournalEntry // ring storage
	next    int                       // where the next entry goes
	full    bool
	seq     int64
	dropped int64
}

func newJournal(size int) *journal {
	return &journal{entries: make([]controlapi.JournalEntry, size)}
}

// record adds an answered request. It copies what it keeps: the request body buffer is reused.
func (j *journal) record(r *http.Request, ri *reqInfo, status int, took time.Duration, err error) {
	e := controlapi.JournalEntry{
		Time:       time.Now().UTC(),
		Method:     r.Method,
		Path:       r.URL.Path,
		Query:      redact.Query(r.URL.RawQuery),
		Status:     status,
		DurationMs: float32(took.Microseconds()) / 1000,
	}
	if ri.op != nil {
		e.OperationId = ri.op.ID
	}
	if len(r.Header) > 0 {
		h := make(map[string]string, len(r.Header))
		for k, vs := range r.Header {
			if len(vs) > 0 {
				h[k] = redact.HeaderValue(k, vs[0])
			}
		}
		e.Headers = &h
	}
	if ri.authed {
		uid := ri.grant.UserID
		e.UserId = &uid
	}
	if err != nil {
		if ae, ok := apierror.As(err); ok {
			e.Error, e.Message = &ae.Name, &ae.Message
		}
	}
	if len(ri.body) > 0 {
		b := ri.body
		if len(b) > journalBodyLimit {
			b = b[:journalBodyLimit]
		}
		red := string(redact.Body(r.Header.Get("Content-Type"), b))
		if len(ri.body) > journalBodyLimit {
			red += "…"
		}
		e.RequestBody = &red
	}
	j.mu.Lock()
	j.seq++
	e.Id = j.seq
	if j.full {
		j.dropped++
	}
	j.entries[j.next] = e
	j.next++
	if j.next == len(j.entries) {
		j.next, j.full = 0, true
	}
	j.mu.Unlock()
}

// list returns up to limit of the newest entries (of one operation when op is set), oldest first.
func (j *journal) list(limit int, op string) controlapi.Journal {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := j.next
	if j.full {
		n = len(j.entries)
	}
	out := make([]controlapi.JournalEntry, 0, min(n, max(limit, 0)))
	// Walk from the newest backwards, then reverse.
	for i := 0; i < n && len(out) < limit; i++ {
		idx := (j.next - 1 - i + len(j.entries)) % len(j.entries)
		if op == "" || j.entries[idx].OperationId == op {
			out = append(out, j.entries[idx])
		}
	}
	for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
		out[a], out[b] = out[b], out[a]
	}
	return controlapi.Journal{Entries: out, Dropped: j.dropped, Capacity: len(j.entries)}
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.entries)
	j.next, j.full, j.dropped = 0, false, 0
}
