// Package record turns the traffic restream-proxy sees into fixtures in the examples/ layout, so
// that restream-mock can serve the world a real account showed (restream-proxy --record DIR, then
// restream-mock --fixtures DIR).
//
// Each exchange of a /v2 operation becomes an example of operations/<operationId>.json, made by
// the user whose token sent it (learned from that token's getUserProfile answer; the token itself
// is never kept). The same call recorded again replaces the older answer, in this run and across
// runs into the same directory. Secrets and personal data are replaced by stand-ins of the same
// shape, the same stand-in for the same value everywhere (see pseudonyms); ids are kept, so the
// recorded files describe one world. What the files must keep is internal/fixtures' business:
// before writing, the recorder loads the result as restream-mock would and leaves out the
// examples that break a rule (an answer read before a change contradicts one read after it),
// saying which.
package record

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/restreamkit/restreamkit/internal/fixtures"
)

// Limits of a recording: exchanges past them are counted, not kept.
const (
	// MaxExamples bounds the examples a recording holds in all.
	MaxExamples = 10_000
	// MaxTokens bounds the tokens whose user the recorder remembers.
	MaxTokens = 10_000
	// MaxBodyBytes bounds a recorded request or response body.
	MaxBodyBytes = 1 << 20
	// maxHealRounds bounds the rounds of leaving out examples that break a rule.
	maxHealRounds = 20
)

// saltFile holds the secret that makes stand-ins stable across runs into one directory.
const saltFile = ".record-salt"

// Exchange is one proxied call, as the proxy hands it over.
type Exchange struct {
	OperationID string
	// UserToken is set for operations made with a user's access token: the bearer token sent.
	// Only a hash of it is kept.
	UserToken string
	Method    string
	// Path is the request path, unescaped; Query its query.
	Path  string
	Query url.Values
	// RequestContentType and RequestBody are the request's, the body decoded.
	RequestContentType string
	RequestBody        []byte
	Status             int
	// ResponseContentType and ResponseBody are the response's, the body decoded.
	ResponseContentType string
	ResponseBody        []byte
}

// Recorder collects examples and writes them into a directory.
type Recorder struct {
	dir   string
	names pseudonyms

	mu       sync.Mutex
	users    map[[32]byte]int64 // token hash -> user, from getUserProfile answers
	examples map[string]*entry  // by example name, which is derived from the call
	skipped  map[string]int     // why exchanges were not recorded -> how many
}

// entry is a recorded example waiting for its user.
type entry struct {
	op    string
	token [32]byte // zero for a public operation
	user  int64    // set once known
	ex    fixtures.Example
}

// Summary says what a recording wrote and what it left out.
type Summary struct {
	Dir      string
	Examples int // written
	Files    int
	// Skipped counts the exchanges not recorded, by reason.
	Skipped map[string]int
	// LeftOut are the examples that broke a fixture rule, with the problem.
	LeftOut []string
	// Problems are the rules the written directory still breaks over the embedded examples
	// (only examples of the embedded users can: a recording made in front of the mock).
	Problems []string
}

// Open starts a recording into dir, creating it, and takes in the examples an earlier recording
// left there.
func Open(dir string) (*Recorder, error) {
	if err := os.MkdirAll(filepath.Join(dir, "operations"), 0o755); err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	salt, err := os.ReadFile(filepath.Join(dir, saltFile))
	if errors.Is(err, fs.ErrNotExist) {
		salt = make([]byte, 32)
		_, _ = rand.Read(salt)
		err = os.WriteFile(filepath.Join(dir, saltFile), salt, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	r := &Recorder{dir: dir, names: pseudonyms{salt: salt}, users: map[[32]byte]int64{},
		examples: map[string]*entry{}, skipped: map[string]int{}}
	if err := r.readEarlier(); err != nil {
		return nil, err
	}
	return r, nil
}

// readEarlier takes in the files an earlier recording wrote, so that a run adds to them.
func (r *Recorder) readEarlier() error {
	names, err := filepath.Glob(filepath.Join(r.dir, "operations", "*.json"))
	if err != nil {
		return err
	}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return fmt.Errorf("recording: %w", err)
		}
		var f fixtures.File
		if err := json.Unmarshal(data, &f); err != nil {
			return fmt.Errorf("recording: %s is not a fixture file: %w", name, err)
		}
		for _, ex := range f.Examples {
			if len(r.examples) < MaxExamples {
				r.examples[ex.Name] = &entry{op: f.OperationID, user: ex.User, ex: ex}
			}
		}
	}
	return nil
}

// Add records one exchange. It never fails: what it cannot record is counted by reason.
func (r *Recorder) Add(x Exchange) {
	switch {
	case !strings.HasPrefix(x.Path, "/v2/"):
		r.skip("an OAuth endpoint (they seed nothing, and would show the client's credentials)")
		return
	case x.Status >= 500 || x.Status < 200:
		r.skip("a status the mock's fixtures do not hold (1xx, 5xx)")
		return
	case len(x.RequestBody) > MaxBodyBytes || len(x.ResponseBody) > MaxBodyBytes:
		r.skip(fmt.Sprintf("a body over %d bytes", MaxBodyBytes))
		return
	}
	ex := fixtures.Example{Request: fixtures.Request{Method: x.Method, Path: x.Path}, Response: fixtures.Response{Status: x.Status}}
	if len(x.Query) > 0 {
		ex.Request.Query = map[string]string{}
		for k, vs := range x.Query {
			ex.Request.Query[k] = r.names.value(k, vs[0]).(string)
		}
	}
	if len(x.RequestBody) > 0 {
		if ex.Request.Body = r.names.body(x.RequestBody); ex.Request.Body == nil {
			r.skip("a request body that is not JSON")
			return
		}
		ex.Request.Headers = map[string]string{"Content-Type": x.RequestContentType}
	}
	if len(x.ResponseBody) > 0 {
		if ex.Response.Body = r.names.body(x.ResponseBody); ex.Response.Body == nil {
			r.skip("a response body that is not JSON")
			return
		}
		ex.Response.Headers = map[string]string{"Content-Type": x.ResponseContentType}
	}
	e := &entry{op: x.OperationID, ex: ex}
	if x.UserToken != "" {
		e.token = sha256.Sum256([]byte(x.UserToken))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if x.OperationID == "getUserProfile" && x.Status == 200 && x.UserToken != "" {
		var p struct {
			ID int64 `json:"id"`
		}
		if json.Unmarshal(x.ResponseBody, &p) == nil && p.ID > 0 {
			if _, known := r.users[e.token]; known || len(r.users) < MaxTokens {
				r.users[e.token] = p.ID
			}
		}
	}
	e.ex.Name = name(e)
	if _, replaces := r.examples[e.ex.Name]; !replaces && len(r.examples) >= MaxExamples {
		r.skipLocked(fmt.Sprintf("past the %d examples a recording holds", MaxExamples))
		return
	}
	r.examples[e.ex.Name] = e
}

func (r *Recorder) skip(why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skipLocked(why)
}

func (r *Recorder) skipLocked(why string) { r.skipped[why]++ }

// name derives an example's name from the call it shows (operation, token, method, path, query
// and request body), so that the same call recorded again replaces it.
func name(e *entry) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%x\n%s\n%s\n", e.op, e.token, e.ex.Request.Method, e.ex.Request.Path)
	keys := make([]string, 0, len(e.ex.Request.Query))
	for k := range e.ex.Request.Query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\n", k, e.ex.Request.Query[k])
	}
	h.Write(e.ex.Request.Body)
	return "recorded-" + hex.EncodeToString(h.Sum(nil)[:6])
}

// Close resolves each example's user, leaves out what breaks a fixture rule, and writes the
// files. Examples of a token whose getUserProfile answer was never seen are left out: without
// it the recorder cannot know whose they are.
func (r *Recorder) Close() (Summary, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sum := Summary{Dir: r.dir, Skipped: r.skipped}
	files := map[string]*fixtures.File{}
	for _, e := range r.examples {
		if e.token != ([32]byte{}) {
			u, ok := r.users[e.token]
			if !ok {
				r.skipLocked("made with a token whose getUserProfile answer was not seen (call GET /v2/user/profile once per token)")
				continue
			}
			e.user = u
		}
		e.ex.User = e.user
		f := files[e.op]
		if f == nil {
			f = &fixtures.File{OperationID: e.op}
			files[e.op] = f
		}
		f.Examples = append(f.Examples, e.ex)
	}
	for _, f := range files {
		slices.SortFunc(f.Examples, func(a, b fixtures.Example) int { return strings.Compare(a.Name, b.Name) })
	}
	for round := 0; ; round++ {
		if err := r.write(files); err != nil {
			return sum, err
		}
		_, err := fixtures.Overlay(os.DirFS(r.dir), r.dir)
		var fe *fixtures.Error
		if err == nil {
			break
		}
		if !errors.As(err, &fe) {
			sum.Problems = append(sum.Problems, err.Error())
			break
		}
		if round == maxHealRounds || !r.leaveOut(files, fe, &sum) {
			for _, p := range fe.Problems {
				sum.Problems = append(sum.Problems, p.String())
			}
			break
		}
	}
	for _, f := range files {
		sum.Examples += len(f.Examples)
		if len(f.Examples) > 0 {
			sum.Files++
		}
	}
	return sum, nil
}

// leaveOut removes from files the recorded examples fe reports, and reports whether it removed
// any: a problem in an embedded file cannot be fixed here.
func (r *Recorder) leaveOut(files map[string]*fixtures.File, fe *fixtures.Error, sum *Summary) bool {
	prefix := filepath.ToSlash(r.dir) + "/operations/"
	drop := map[string]map[int]string{}
	for _, p := range fe.Problems {
		file, ok := strings.CutPrefix(p.File, prefix)
		if !ok {
			continue
		}
		rest, ok := strings.CutPrefix(p.Pointer, "/examples/")
		if !ok {
			continue
		}
		i, err := strconv.Atoi(strings.SplitN(rest, "/", 2)[0])
		if err != nil {
			continue
		}
		op := strings.TrimSuffix(file, ".json")
		if drop[op] == nil {
			drop[op] = map[int]string{}
		}
		if _, seen := drop[op][i]; !seen {
			drop[op][i] = p.Message
		}
	}
	removed := false
	for op, idx := range drop {
		f := files[op]
		if f == nil {
			continue
		}
		kept := f.Examples[:0]
		for i, ex := range f.Examples {
			if msg, out := idx[i]; out {
				sum.LeftOut = append(sum.LeftOut, fmt.Sprintf("%s %s %s (user %d): %s", op, ex.Request.Method, ex.Request.Path, ex.User, msg))
				removed = true
				continue
			}
			kept = append(kept, ex)
		}
		f.Examples = kept
	}
	return removed
}

// write writes every file of the recording, and removes those left empty.
func (r *Recorder) write(files map[string]*fixtures.File) error {
	for op, f := range files {
		p := filepath.Join(r.dir, "operations", op+".json")
		if len(f.Examples) == 0 {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			continue
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(f); err != nil {
			return err
		}
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("recording: %w", err)
		}
	}
	return nil
}

// Write prints the summary for people: where the recording went, and what was left out and why.
func (s Summary) Write(w io.Writer) {
	fmt.Fprintf(w, "recording: %d examples in %d files in %s (restream-mock --fixtures %s serves them)\n", s.Examples, s.Files, s.Dir, s.Dir)
	reasons := make([]string, 0, len(s.Skipped))
	for why := range s.Skipped {
		reasons = append(reasons, why)
	}
	sort.Strings(reasons)
	for _, why := range reasons {
		fmt.Fprintf(w, "recording: %d exchanges not recorded: %s\n", s.Skipped[why], why)
	}
	for _, l := range s.LeftOut {
		fmt.Fprintf(w, "recording: left out, it contradicts the rest: %s\n", l)
	}
	for _, p := range s.Problems {
		fmt.Fprintf(w, "recording: the directory still breaks a fixture rule: %s\n", p)
	}
}
