//go:build linux

// Command wsfan measures restream-mock's chat fan-out at scale, from a process of its own so that
// the mock and the clients each have a whole file-descriptor limit: it opens many chat sockets of
// one user, reads the mock's resident memory before and after (memory per idle socket), then
// injects chat events one at a time through the control API (POST /__mock/chat/events) and
// measures, for every socket, the time from just before the POST to the frame's arrival. It
// checks that every socket received every event exactly once and exits 1 when one did not.
// bench/ws.sh builds and runs it against the built binary.
//
//	wsfan --api URL --chat WS-URL --token T [--sockets 10000] [--events 10] [--mock-pid PID]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// spareFDs is what the client keeps beyond one descriptor per socket: the control API's
// connections, the Go runtime's own, standard streams.
const spareFDs = 64

type config struct {
	api, chat, token, controlToken string
	sockets, events, dialers       int
	reader, cpuProfile             string
	pollers                        int
	mockPID                        int
	settle, timeout, gap, batch    time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.api, "api", "http://127.0.0.1:8080", "restream-mock's REST and control API base URL")
	flag.StringVar(&c.chat, "chat", "ws://127.0.0.1:8082/ws", "restream-mock's chat feed URL")
	flag.StringVar(&c.token, "token", "", "access token of the user whose sockets are opened (chat.read); required")
	flag.StringVar(&c.controlToken, "control-token", "", "the mock's --control-token, if it has one")
	flag.IntVar(&c.sockets, "sockets", 10000, "chat sockets to open, all of the token's user")
	flag.IntVar(&c.events, "events", 10, "chat events to inject, one at a time")
	flag.IntVar(&c.dialers, "dialers", 64, "handshakes in flight at once")
	flag.StringVar(&c.reader, "reader", "epoll", `how the client reads: "epoll" (a few goroutines polling every socket, parsing frames themselves: the lightest) or "goroutine" (one goroutine per socket reading through coder/websocket, for comparison)`)
	flag.IntVar(&c.pollers, "pollers", 2, "goroutines waiting on sockets with epoll_wait (--reader epoll)")
	flag.DurationVar(&c.batch, "batch", 500*time.Microsecond, "pause of an epoll goroutine after a wait that found few sockets, so that the next finds more (--reader epoll); a delivery's measured latency is at most this much above the mock's")
	flag.IntVar(&c.mockPID, "mock-pid", 0, "the mock's process id, to read its resident memory from /proc (0: skip)")
	flag.DurationVar(&c.settle, "settle", 2*time.Second, "wait after the last handshake before reading the mock's memory")
	flag.DurationVar(&c.timeout, "timeout", 30*time.Second, "longest wait for one event to reach every socket")
	flag.DurationVar(&c.gap, "gap", 200*time.Millisecond, "pause between two events")
	cpuProfile := flag.String("cpuprofile", "", "write this client's CPU profile during the events to `file`")
	flag.Parse()
	c.cpuProfile = *cpuProfile
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "wsfan:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	if c.token == "" {
		return errors.New("--token is required")
	}
	if c.sockets < 1 || c.events < 1 || c.dialers < 1 || c.pollers < 1 {
		return errors.New("--sockets, --events, --dialers and --pollers must be at least 1")
	}
	if c.reader != "epoll" && c.reader != "goroutine" {
		return fmt.Errorf("--reader %q: want epoll or goroutine", c.reader)
	}
	if err := raiseFDLimit(uint64(c.sockets) + spareFDs); err != nil {
		return err
	}
	api := &http.Client{Timeout: 30 * time.Second}
	uid, err := userID(api, c)
	if err != nil {
		return err
	}

	before, err := rssKiB(c.mockPID)
	if err != nil {
		return err
	}
	rec := newRecorder(c.sockets)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fmt.Printf("opening %d chat sockets of user %d, %d handshakes at a time, read by %s...\n", c.sockets, uid, c.dialers, readerName(c))
	start := time.Now()
	closeAll, err := dialAll(ctx, c, rec)
	defer closeAll()
	if err != nil {
		return err
	}
	fmt.Printf("opened %d sockets in %s\n", c.sockets, time.Since(start).Round(time.Millisecond))
	time.Sleep(c.settle)
	after, err := rssKiB(c.mockPID)
	if err != nil {
		return err
	}

	mockUser0, mockSys0, err := cpuTime(c.mockPID)
	if err != nil {
		return err
	}
	if c.cpuProfile != "" {
		f, err := os.Create(c.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ownCPU0, ownSys0 := ownCPUTime()
	var all []time.Duration
	var perEvent []eventFigures
	failed := 0
	for i := range c.events {
		if i > 0 {
			time.Sleep(c.gap)
		}
		sent := time.Now()
		id, err := inject(api, c, uid)
		if err != nil {
			return fmt.Errorf("event %d: %w", i+1, err)
		}
		n := rec.wait(id, c.sockets, c.timeout)
		lat := rec.latencies(id, sent)
		fig := eventFigures{id: id, delivered: n, p50: pct(lat, 0.50), p99: pct(lat, 0.99), max: pct(lat, 1)}
		perEvent = append(perEvent, fig)
		all = append(all, lat...)
		status := "ok"
		if n != c.sockets {
			status = fmt.Sprintf("MISSING %d", c.sockets-n)
			failed++
		}
		fmt.Printf("event %2d %s: delivered %d/%d  p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms  %s\n",
			i+1, id, n, c.sockets, ms(fig.p50), ms(fig.p99), ms(fig.max), status)
	}
	mockUser1, mockSys1, err := cpuTime(c.mockPID)
	if err != nil {
		return err
	}
	ownCPU1, ownSys1 := ownCPUTime()
	ownCPU, ownSys := ownCPU1-ownCPU0, ownSys1-ownSys0
	closedEarly := rec.closedEarly.Load()
	dups := rec.duplicates.Load()
	unknown := rec.unknown.Load()

	fmt.Println()
	fmt.Printf("chat fan-out, %d sockets of one user, %d events (POST /__mock/chat/events to each socket's receipt):\n", c.sockets, c.events)
	fmt.Printf("  delivered %d of %d expected (every socket, every event); duplicates %d; sockets closed early %d\n",
		len(all), c.sockets*c.events, dups, closedEarly)
	fmt.Printf("  all deliveries: p50 %.1f ms, p99 %.1f ms, max %.1f ms (goal: p99 < 100 ms)\n",
		ms(pct(all, 0.50)), ms(pct(all, 0.99)), ms(pct(all, 1)))
	p99s := make([]time.Duration, 0, len(perEvent))
	for _, f := range perEvent {
		p99s = append(p99s, f.p99)
	}
	fmt.Printf("  per event p99: median %.1f ms, worst %.1f ms\n", ms(pct(p99s, 0.50)), ms(pct(p99s, 1)))
	deliveries := float64(max(1, len(all)))
	if c.mockPID != 0 {
		user, sys := float64((mockUser1 - mockUser0).Microseconds()), float64((mockSys1 - mockSys0).Microseconds())
		fmt.Printf("  CPU per delivery: mock %.1f µs (%.1f in the kernel), this client %.1f µs (%.1f in the kernel) with %s (both share the machine's cores)\n",
			(user+sys)/deliveries, sys/deliveries, float64(ownCPU.Microseconds())/deliveries, float64(ownSys.Microseconds())/deliveries, readerName(c))
	}
	if c.mockPID != 0 {
		per := float64(after-before) * 1024 / float64(c.sockets)
		fmt.Printf("memory per idle socket: %.1f KiB (mock RSS %.1f MiB before, %.1f MiB with %d idle sockets; goal < 24 KiB)\n",
			per/1024, float64(before)/1024, float64(after)/1024, c.sockets)
	}
	if unknown > 0 {
		fmt.Printf("  %d event frames carried no eventIdentifier this client injected\n", unknown)
	}
	if failed > 0 || dups > 0 || closedEarly > 0 || len(all) != c.sockets*c.events {
		return fmt.Errorf("not every socket received every event exactly once (%d events short, %d duplicates, %d sockets closed early)",
			failed, dups, closedEarly)
	}
	return nil
}

type eventFigures struct {
	id            string
	delivered     int
	p50, p99, max time.Duration
}

// raiseFDLimit raises the soft limit on open files to the hard one, and fails when even that
// leaves fewer than need: a client short of descriptors would fail its handshakes half-way.
func raiseFDLimit(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("reading RLIMIT_NOFILE: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("raising RLIMIT_NOFILE to %d: %w", lim.Max, err)
		}
	}
	if lim.Cur < need {
		return fmt.Errorf("too few file descriptors: %d sockets need %d, and the hard limit is %d (ulimit -Hn); "+
			"lower --sockets or raise the hard limit", need-spareFDs, need, lim.Max)
	}
	return nil
}

// rssKiB reads a process's resident set size from /proc; 0 when pid is 0.
func rssKiB(pid int) (int64, error) {
	if pid == 0 {
		return 0, nil
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("reading the mock's memory: %w", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// cpuTime reads the user and system CPU time a process has used from /proc; 0 when pid is 0.
func cpuTime(pid int) (user, sys time.Duration, err error) {
	if pid == 0 {
		return 0, 0, nil
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("reading the mock's CPU time: %w", err)
	}
	// The command name, in parentheses, may hold spaces: the fields that follow start after it.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	// The fields count clock ticks, USER_HZ, which is 100 a second on Linux.
	const tick = 10 * time.Millisecond
	return time.Duration(utime) * tick, time.Duration(stime) * tick, nil
}

// ownCPUTime returns the CPU time this process has used in all, and in the kernel.
func ownCPUTime() (total, sys time.Duration) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), time.Duration(ru.Stime.Nano())
}

// userID asks the REST API whose token it is.
func userID(api *http.Client, c config) (int64, error) {
	req, err := http.NewRequest(http.MethodGet, c.api+"/v2/user/profile", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	var profile struct {
		ID int64 `json:"id"`
	}
	if err := do(api, req, http.StatusOK, &profile); err != nil {
		return 0, fmt.Errorf("GET /v2/user/profile: %w", err)
	}
	return profile.ID, nil
}

// inject sends one chat event through the control API and returns its eventIdentifier.
func inject(api *http.Client, c config, uid int64) (string, error) {
	body := fmt.Sprintf(`{"userId":%d,"text":"fan-out bench"}`, uid)
	req, err := http.NewRequest(http.MethodPost, c.api+"/__mock/chat/events", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.controlToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.controlToken)
	}
	var sent struct {
		EventIdentifier string `json:"eventIdentifier"`
	}
	if err := do(api, req, http.StatusCreated, &sent); err != nil {
		return "", fmt.Errorf("POST /__mock/chat/events: %w", err)
	}
	if sent.EventIdentifier == "" {
		return "", errors.New("POST /__mock/chat/events: no eventIdentifier in the answer")
	}
	return sent.EventIdentifier, nil
}

func do(api *http.Client, req *http.Request, want int, out any) error {
	res, err := api.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("answered %s: %s", res.Status, bytes.TrimSpace(body))
	}
	return json.Unmarshal(body, out)
}

func readerName(c config) string {
	if c.reader == "epoll" {
		return fmt.Sprintf("%d epoll goroutines", c.pollers)
	}
	return "a goroutine per socket"
}

// dialAll opens c.sockets chat sockets, c.dialers handshakes at a time, read as c.reader says
// with event frames reported to rec. It returns what closes the sockets opened, and the first
// handshake error.
func dialAll(ctx context.Context, c config, rec *recorder) (func(), error) {
	u, err := url.Parse(c.chat)
	if err != nil {
		return func() {}, fmt.Errorf("--chat: %w", err)
	}
	q := u.Query()
	q.Set("accessToken", c.token)
	u.RawQuery = q.Encode()
	if c.reader == "epoll" {
		return dialEpoll(c, u, rec)
	}
	target := u.String()
	// One transport, no pooling: each handshake's connection is hijacked for its socket.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	conns := make([]*websocket.Conn, c.sockets)
	err = dialEach(c, func(i int) error {
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(dctx, target, &websocket.DialOptions{HTTPClient: client})
		if err != nil {
			return err
		}
		conns[i] = ws
		go rec.read(i, ws)
		return nil
	})
	return func() {
		rec.stopping.Store(true)
		for _, ws := range conns {
			if ws != nil {
				_ = ws.CloseNow()
			}
		}
	}, err
}

// dialEach calls dial for each socket index, c.dialers at a time, and returns the first error;
// after one, the indexes left are skipped.
func dialEach(c config, dial func(i int) error) error {
	var firstErr error
	var errOnce sync.Once
	var failed atomic.Bool
	next := make(chan int)
	var wg sync.WaitGroup
	for range c.dialers {
		wg.Go(func() {
			for i := range next {
				if failed.Load() {
					continue
				}
				if err := dial(i); err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("handshake %d of %d: %w", i+1, c.sockets, err) })
					failed.Store(true)
				}
			}
		})
	}
	for i := range c.sockets {
		next <- i
	}
	close(next)
	wg.Wait()
	return firstErr
}

// dialEpoll opens c.sockets chat sockets with handshakes of this client's own, c.dialers at a
// time, and hands them to an epoll reader.
func dialEpoll(c config, target *url.URL, rec *recorder) (func(), error) {
	er, err := newEpollReader(rec, c.pollers, c.batch)
	if err != nil {
		return func() {}, err
	}
	err = dialEach(c, func(i int) error {
		fd, early, err := handshake(target, 30*time.Second)
		if err != nil {
			return err
		}
		return er.add(i, fd, early)
	})
	return er.close, err
}

// recorder collects when each socket received each event frame.
type recorder struct {
	mu     sync.Mutex
	at     map[string][]time.Time // eventIdentifier → arrival times, one per socket
	seen   map[string][]bool      // eventIdentifier → which sockets received it
	notify chan struct{}          // a token after each arrival
	n      int

	closedEarly, duplicates, unknown atomic.Int64
	stopping                         atomic.Bool
}

func newRecorder(n int) *recorder {
	return &recorder{at: map[string][]time.Time{}, seen: map[string][]bool{}, notify: make(chan struct{}, 1), n: n}
}

var (
	eventAction        = []byte(`"action":"event"`)
	eventIdentifierKey = []byte(`"eventIdentifier":"`)
)

// read reads socket i's frames until it closes, and records each event frame's arrival. The
// arrival time is taken before anything else is done with the frame. Reads go through a buffer
// of the socket's own and without a context (closing the socket ends them): this process
// shares the machine's cores with the mock, and the library's Read allocates every message and
// arms a timer for a context that can end, which would slow the deliveries being measured.
func (r *recorder) read(i int, ws *websocket.Conn) {
	ws.SetReadLimit(1 << 20)
	data := make([]byte, 0, 2048)
	for {
		_, rd, err := ws.Reader(context.Background())
		if err == nil {
			data, err = readAll(rd, data[:0])
		}
		now := time.Now()
		if err != nil {
			if !r.stopping.Load() {
				r.closedEarly.Add(1)
				fmt.Fprintf(os.Stderr, "wsfan: socket %d closed: %v\n", i, err)
			}
			return
		}
		r.recordFrame(i, data, now)
	}
}

// recordFrame records the arrival at now of a text frame on socket i, when it is an event.
func (r *recorder) recordFrame(i int, data []byte, now time.Time) {
	if !bytes.Contains(data, eventAction) {
		return // connection_info, heartbeat
	}
	// The mock writes frames with encoding/json, so the key is spelled exactly so; finding it
	// costs this process, which shares the machine with the mock, less than decoding.
	_, rest, ok := bytes.Cut(data, eventIdentifierKey)
	id, _, closed := bytes.Cut(rest, []byte(`"`))
	if !ok || !closed || len(id) == 0 {
		r.unknown.Add(1)
		return
	}
	r.record(id, i, now)
}

// readAll appends what r holds to b, as io.ReadAll does but into b's spare capacity.
func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

func (r *recorder) record(id []byte, i int, at time.Time) {
	r.mu.Lock()
	seen := r.seen[string(id)]
	if seen == nil {
		seen = make([]bool, r.n)
		r.seen[string(id)] = seen
	}
	if seen[i] {
		r.mu.Unlock()
		r.duplicates.Add(1)
		return
	}
	seen[i] = true
	r.at[string(id)] = append(r.at[string(id)], at)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// wait waits until want sockets received event id, or timeout passes, and returns how many did.
func (r *recorder) wait(id string, want int, timeout time.Duration) int {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		n := len(r.at[id])
		r.mu.Unlock()
		if n >= want {
			return n
		}
		select {
		case <-r.notify:
		case <-deadline.C:
			r.mu.Lock()
			defer r.mu.Unlock()
			return len(r.at[id])
		}
	}
}

// latencies returns each socket's delay between sent and its receipt of event id.
func (r *recorder) latencies(id string, sent time.Time) []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]time.Duration, 0, len(r.at[id]))
	for _, t := range r.at[id] {
		out = append(out, t.Sub(sent))
	}
	return out
}

// pct returns the p-th quantile of d (p = 1: the largest), sorting d; 0 when d is empty.
func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(p*float64(len(d))))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
