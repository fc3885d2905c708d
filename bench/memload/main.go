// Command memload sends the hostile request patterns that once swelled restream-mock and
// restream-proxy, a bounded count of each, and prints how big the answers they leave behind are.
// bench/memory.sh runs it against the built binaries and reads their peak resident memory.
//
//	memload --case login|journal|state|proxy --mock URL [--proxy URL] [--token T] [--count N]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	kase := flag.String("case", "", "login, journal, state or proxy")
	mock := flag.String("mock", "http://127.0.0.1:8080", "restream-mock base URL")
	proxy := flag.String("proxy", "http://127.0.0.1:8090", "restream-proxy base URL (case proxy)")
	token := flag.String("token", "", "access token with channels.write (case state)")
	count := flag.Int("count", 0, "requests to send; 0 means the case's default")
	workers := flag.Int("workers", 16, "concurrent senders")
	flag.Parse()
	if err := run(*kase, *mock, *proxy, *token, *count, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "memload:", err)
		os.Exit(1)
	}
}

// statuses counts the answers of one case by status.
type statuses struct {
	mu sync.Mutex
	n  map[int]int
}

func (s *statuses) add(code int) {
	s.mu.Lock()
	s.n[code]++
	s.mu.Unlock()
}

func (s *statuses) String() string {
	var b strings.Builder
	for code, n := range s.n {
		fmt.Fprintf(&b, " %d×%d", n, code)
	}
	return strings.TrimSpace(b.String())
}

func run(kase, mock, proxy, token string, count, workers int) error {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var build func(i int) (*http.Request, error)
	var after func() (string, error)
	switch kase {
	case "login":
		// Every GET /login the mock accepts leaves a pending consent behind, with its state: half
		// the requests carry a 31 KiB state, half one just under the mock's 2 KiB bound.
		huge, long := strings.Repeat("s", 31<<10), strings.Repeat("s", 2000)
		build = func(i int) (*http.Request, error) {
			state := huge
			if i%2 == 0 {
				state = long
			}
			q := url.Values{"response_type": {"code"}, "client_id": {"restreamkit-dev"},
				"redirect_uri": {"http://localhost:3000/callback"}, "state": {fmt.Sprintf("%d-%s", i, state)}}
			return http.NewRequest("GET", mock+"/login?"+q.Encode(), nil)
		}
		count = or(count, 20000)
	case "journal":
		// Headers just under the server's own limit reach the gate, which answers 431 and journals them.
		big := strings.Repeat("h", 120<<10)
		build = func(i int) (*http.Request, error) {
			r, err := http.NewRequest("GET", mock+"/v2/platform/all", nil)
			if err == nil {
				r.Header.Set("X-Padding", big)
			}
			return r, err
		}
		count = or(count, 3000)
		after = func() (string, error) { return size(client, mock+"/__mock/journal?limit=10000", "") }
	case "state":
		if token == "" {
			return errors.New("case state needs --token")
		}
		build = func(i int) (*http.Request, error) {
			body := fmt.Sprintf(`{"platformId":29,"streamUrl":"rtmp://relay.example.net/live%d","streamKey":"live_%016x","displayName":"relay %d"}`, i, i, i)
			r, err := http.NewRequest("POST", mock+"/v2/user/channels", strings.NewReader(body))
			if err == nil {
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Authorization", "Bearer "+token)
			}
			return r, err
		}
		count = or(count, 20000)
		after = func() (string, error) { return size(client, mock+"/v2/user/channel/all", token) }
	case "proxy":
		build = func(i int) (*http.Request, error) {
			return http.NewRequest("GET", fmt.Sprintf("%s/nope/%d", proxy, i), nil)
		}
		count = or(count, 30000)
		after = func() (string, error) { return size(client, proxy+"/__proxy/metrics", "") }
	default:
		return fmt.Errorf("unknown case %q", kase)
	}

	got := &statuses{n: map[int]int{}}
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1))
				if i > count {
					return
				}
				req, err := build(i)
				if err == nil {
					var res *http.Response
					if res, err = client.Do(req.WithContext(context.Background())); err == nil {
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
						got.add(res.StatusCode)
						continue
					}
				}
				failed.Store(err)
				return
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return err
	}
	line := fmt.Sprintf("%-8s %6d requests: %s", kase, count, got)
	if after != nil {
		s, err := after()
		if err != nil {
			return err
		}
		line += "; " + s
	}
	fmt.Println(line)
	return nil
}

// size fetches url and reports the size of its body.
func size(client *http.Client, url, token string) (string, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	return fmt.Sprintf("%s is %d bytes", req.URL.Path, n), err
}

func or(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}
