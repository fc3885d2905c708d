// Command sseload keeps Server-Sent Events streams open and reads them as fast as they come, as
// browsers showing a dashboard would, until it is interrupted; then it prints how many events
// its readers received. bench/load.sh runs it against restream-mock's dashboard live stream
// (GET /__mock/ui/events) to measure the request path with dashboards open.
//
//	sseload --url URL [--readers N] [--control-token T]
//
// It prints "ready" once every stream answered 200 with text/event-stream, and exits 1 at once,
// naming the status, when one did not (a mock without the dashboard answers 404).
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080/__mock/ui/events", "the SSE stream to read")
	readers := flag.Int("readers", 4, "streams to keep open")
	token := flag.String("control-token", "", "the mock's --control-token, if it has one")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *url, *readers, *token); err != nil {
		fmt.Fprintln(os.Stderr, "sseload:", err)
		os.Exit(1)
	}
}

// counts are what every reader received, together.
type counts struct {
	events, comments, bytes atomic.Int64
}

func run(ctx context.Context, url string, readers int, token string) error {
	if readers < 1 {
		return errors.New("--readers must be at least 1")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var c counts
	bodies := make([]io.ReadCloser, 0, readers)
	defer func() {
		for _, b := range bodies {
			_ = b.Close()
		}
	}()
	client := &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 10 * time.Second}}
	for i := range readers {
		body, err := open(ctx, client, url, token)
		if err != nil {
			return fmt.Errorf("stream %d of %d: %w", i+1, readers, err)
		}
		bodies = append(bodies, body)
	}
	fmt.Println("ready")
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for _, b := range bodies {
		wg.Go(func() {
			if err := read(b, &c); err != nil && ctx.Err() == nil {
				errs <- err
				cancel()
			}
		})
	}
	<-ctx.Done()
	for _, b := range bodies {
		_ = b.Close()
	}
	wg.Wait()
	close(errs)
	fmt.Printf("%d dashboard readers over %s: %d events, %d comments (heartbeats), %d bytes\n",
		readers, time.Since(start).Round(time.Millisecond), c.events.Load(), c.comments.Load(), c.bytes.Load())
	if err := <-errs; err != nil {
		return fmt.Errorf("a stream ended early: %w", err)
	}
	return nil
}

// open starts one stream and checks that it is one.
func open(ctx context.Context, client *http.Client, url, token string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if res.StatusCode != http.StatusOK || mt != "text/event-stream" {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		_ = res.Body.Close()
		return nil, fmt.Errorf("GET %s answered %s (%s), not a text/event-stream: %s", url, res.Status,
			res.Header.Get("Content-Type"), bytes.TrimSpace(body))
	}
	return res.Body, nil
}

// read counts one stream's events (blocks ended by a blank line) and comments until it ends.
func read(body io.Reader, c *counts) error {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	inEvent := false
	for sc.Scan() {
		line := sc.Bytes()
		c.bytes.Add(int64(len(line)) + 1)
		switch {
		case len(line) == 0:
			if inEvent {
				c.events.Add(1)
			}
			inEvent = false
		case line[0] == ':':
			c.comments.Add(1)
		default:
			inEvent = true
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}
