// Command restream-proxy is a validating reverse proxy for Restream traffic: it forwards an app's
// REST, OAuth and WebSocket traffic to Restream (or restream-mock) and checks every request,
// response and frame against the bundled spec and JSON Schemas, reporting or refusing what
// breaks the contract.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/restreamkit/restreamkit/internal/cli"
	"github.com/restreamkit/restreamkit/internal/drift"
	"github.com/restreamkit/restreamkit/internal/guard"
	"github.com/restreamkit/restreamkit/internal/proxy"
	"github.com/restreamkit/restreamkit/internal/version"
)

const envPrefix = "RESTREAM_PROXY_"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "restream-proxy:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	ctx, stop := cli.SignalContext()
	defer stop()
	fs := pflag.NewFlagSet("restream-proxy", pflag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8090", "address of the REST and OAuth proxy (also /streaming/ws, /chat/ws, /__proxy/)")
	streamingAddr := fs.String("streaming-addr", "127.0.0.1:8091", "address of the streaming-updates feed (/ws); empty to disable")
	chatAddr := fs.String("chat-addr", "127.0.0.1:8092", "address of the chat feed (/ws); empty to disable")
	upstream := fs.String("upstream", "https://api.restream.io", "REST and OAuth upstream")
	streamingUp := fs.String("streaming-upstream", "wss://streaming.api.restream.io/ws", "streaming-updates upstream")
	chatUp := fs.String("chat-upstream", "wss://chat.api.restream.io/ws", "chat upstream")
	reqMode := fs.String("request-mode", "report", "off, report or enforce (invalid requests get 400, never forwarded)")
	resMode := fs.String("response-mode", "report", "off, report or enforce (invalid responses become 502)")
	wsMode := fs.String("ws-mode", "report", "off, report or enforce (invalid frames are dropped)")
	report := fs.String("report", "", "violations as JSON lines: a file, or - for standard output")
	junit := fs.String("junit", "", "JUnit XML file written on shutdown, one test case per operation seen")
	summary := fs.Bool("summary", true, "print a table of operations and violations on shutdown")
	header := fs.Bool("violations-header", false, "add "+proxy.ViolationsHeader+" to every response (responses are then validated before sending)")
	maxValidate := fs.Int64("max-validate-bytes", proxy.DefaultMaxValidateBytes, "largest body validated; larger ones pass unvalidated")
	dialTimeout := fs.Duration("dial-timeout", proxy.DefaultDialTimeout, "upstream connect timeout")
	tlsTimeout := fs.Duration("tls-handshake-timeout", proxy.DefaultTLSHandshakeTimeout, "upstream TLS handshake timeout")
	headerTimeout := fs.Duration("response-header-timeout", proxy.DefaultResponseHeaderTimeout, "wait for the upstream's response headers")
	upstreamTimeout := fs.Duration("upstream-timeout", proxy.DefaultUpstreamTimeout, "whole exchange with the upstream, streamed response included")
	readHeaderTimeout := fs.Duration("read-header-timeout", proxy.DefaultReadHeaderTimeout, "wait for a client's request headers")
	readTimeout := fs.Duration("read-timeout", proxy.DefaultReadTimeout, "wait for a client's whole request (headers and the body the proxy validates)")
	writeTimeout := fs.Duration("write-timeout", proxy.DefaultWriteTimeout, "answer the proxy's own endpoints and refusals (a proxied exchange gets --upstream-timeout)")
	idleTimeout := fs.Duration("idle-timeout", proxy.DefaultIdleTimeout, "keep an idle keep-alive connection open")
	maxHeader := fs.Int("max-header-bytes", proxy.DefaultMaxHeaderBytes, "largest request header block; larger ones get 431")
	maxWS := fs.Int("max-websockets", proxy.DefaultMaxWebSockets, "WebSockets relayed at once; more get 503")
	allowHosts := fs.StringSlice("allow-host", nil, "further Host that /__proxy/ and the forwarded /__mock/ answer (repeatable; \"*\" turns the check off); loopback always passes")
	allowOrigins := fs.StringSlice("allow-origin", nil, "browser origin trusted to write to the forwarded /__mock/ control API (repeatable)")
	record := fs.String("record", "", "directory to record the /v2 exchanges into, as fixtures restream-mock --fixtures serves (added to an earlier recording there; secrets and e-mail addresses replaced)")
	harFile := fs.String("har", "", "HTTP Archive (HAR 1.2) file the exchanges are written to on shutdown, redacted, for browser devtools and other tools")
	// What a run leaves behind for CI and the spec's maintainers.
	driftReport := fs.String("drift-report", "", "drift report file written on shutdown: violations per operation, field and rule, with suggested spec changes")
	driftFormat := fs.String("drift-report-format", string(drift.Markdown), "markdown or json")
	failOnViolations := fs.Bool("fail-on-violations", false, "exit with status 1 at shutdown (signal or POST /__proxy/shutdown) when any violation was seen")
	log, done, err := cli.Parse(fs, envPrefix, version.String(), args, os.Stdout)
	if err != nil || done {
		return err
	}
	opts := proxy.Options{Report: *report, JUnit: *junit, AddViolationsHeader: *header, MaxValidateBytes: *maxValidate,
		DialTimeout: *dialTimeout, TLSHandshakeTimeout: *tlsTimeout, ResponseHeaderTimeout: *headerTimeout,
		UpstreamTimeout: *upstreamTimeout, ReadHeaderTimeout: *readHeaderTimeout, ReadTimeout: *readTimeout,
		WriteTimeout: *writeTimeout, IdleTimeout: *idleTimeout, MaxHeaderBytes: *maxHeader, MaxWebSockets: *maxWS, Logger: log,
		Control: guard.Options{AllowHosts: *allowHosts, TrustedOrigins: *allowOrigins}, Record: *record, HAR: *harFile, Version: version.String()}
	if *summary {
		opts.Summary = os.Stderr
	}
	opts.DriftReport = *driftReport
	if opts.DriftReportFormat, err = drift.ParseFormat(*driftFormat); err != nil {
		return fmt.Errorf("--drift-report-format: %w", err)
	}
	for _, m := range []struct {
		dst *proxy.Mode
		src string
	}{{&opts.RequestMode, *reqMode}, {&opts.ResponseMode, *resMode}, {&opts.WSMode, *wsMode}} {
		if *m.dst, err = proxy.ParseMode(m.src); err != nil {
			return err
		}
	}
	if opts.Upstream, err = url.Parse(*upstream); err != nil {
		return fmt.Errorf("--upstream: %w", err)
	}
	if opts.StreamingUpstream, err = optionalURL(*streamingUp); err != nil {
		return fmt.Errorf("--streaming-upstream: %w", err)
	}
	if opts.ChatUpstream, err = optionalURL(*chatUp); err != nil {
		return fmt.Errorf("--chat-upstream: %w", err)
	}
	p, err := proxy.New(opts)
	if err != nil {
		return err
	}
	var lns []cli.Listener
	// The banner goes to standard error: standard output may carry the report (--report -).
	for _, l := range []struct {
		name, flag, addr string
		h                http.Handler
	}{
		{"api", "addr", *addr, p.Handler()},
		{"streaming", "streaming-addr", *streamingAddr, p.StreamingHandler()},
		{"chat", "chat-addr", *chatAddr, p.ChatHandler()},
	} {
		if l.addr == "" {
			continue
		}
		h, scheme, path := l.h, "http://", ""
		if l.name != "api" {
			mux := http.NewServeMux()
			mux.Handle("/ws", h)
			h, scheme, path = mux, "ws://", "/ws"
		}
		ln, err := cli.Listen(l.name, p.HTTPServer(l.addr, h), fs.Lookup(l.flag))
		if err != nil {
			for _, l := range lns {
				l.Conn.Close()
			}
			return err
		}
		lns = append(lns, ln)
		fmt.Fprintf(os.Stderr, "restream-proxy %s: %s on %s%s%s\n", version.String(), l.name, scheme, ln.Conn.Addr(), path)
		if l.name == "api" {
			fmt.Fprintf(os.Stderr, "restream-proxy %s: dashboard on http://%s%s\n", version.String(), ln.Conn.Addr(), proxy.UIPrefix)
		}
	}
	ctx, stopServing := p.ShutdownContext(ctx) // a signal or POST /__proxy/shutdown
	defer stopServing()
	serveErr := cli.Serve(ctx, log, 10*time.Second, p.CloseWebSockets, lns...)
	closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Close(closeCtx); err != nil {
		return errors.Join(serveErr, err)
	}
	if n := p.Violations(); serveErr == nil && *failOnViolations && n > 0 {
		what := "violations"
		if n == 1 {
			what = "violation"
		}
		return fmt.Errorf("%d %s seen (--fail-on-violations)", n, what)
	}
	return serveErr
}

func optionalURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, nil
	}
	return url.Parse(s)
}
