// Command restream-mock is a stateful fake of the Restream API: REST under /v2, OAuth 2.0 at the
// root, and a control API under /__mock/ for tests. It listens on loopback by default and seeds
// its world from the embedded example files.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/pflag"

	"github.com/restreamkit/restreamkit/internal/cli"
	"github.com/restreamkit/restreamkit/internal/fixtures"
	"github.com/restreamkit/restreamkit/internal/guard"
	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/oauth"
	"github.com/restreamkit/restreamkit/internal/version"
)

const envPrefix = "RESTREAM_MOCK_"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "restream-mock:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	ctx, stop := cli.SignalContext()
	defer stop()
	fs := pflag.NewFlagSet("restream-mock", pflag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address of the REST, OAuth and control API (also /streaming/ws and /chat/ws)")
	streamingAddr := fs.String("streaming-addr", "127.0.0.1:8081", "address of the streaming-updates feed (/ws); empty to disable")
	chatAddr := fs.String("chat-addr", "127.0.0.1:8082", "address of the chat feed (/ws); empty to disable")
	heartbeat := fs.Duration("chat-heartbeat", 45*time.Second, "interval of the chat feed's heartbeat")
	interval := fs.Duration("stream-interval", 2*time.Second, "interval of a simulated stream's updates")
	seed := fs.Uint64("seed", 0, "make the stream and chat simulators repeatable: the same seed and the same requests give the same frames in the same order, timestamps aside (0: random)")
	fixturesDir := fs.String("fixtures", "", "directory laid out like examples/ laid over the embedded examples: it may hold only some files, or some users' examples of a file")
	fixturesOnly := fs.Bool("fixtures-only", false, "seed from the --fixtures (or --check-fixtures) directory alone, without the embedded examples under it")
	probe := fs.Bool("probe", false, "ask the mock listening on --addr whether it is healthy (GET /__mock/health) and exit 0 if so, 1 if not: a container's HEALTHCHECK")
	checkDir := fs.String("check-fixtures", "", "check a fixtures directory (laid over the embedded examples unless --fixtures-only), print every problem or what it leaves out, and exit")
	clientFlags := fs.StringArray("client", nil, "OAuth client ID:SECRET[:REDIRECT,...] with every scope, added to the fixtures' (repeatable; white space separates several in one value; default redirects: http://localhost/callback, 127.0.0.1 and [::1], any port)")
	autoApprove := fs.Bool("auto-approve", false, "approve the OAuth dialog at once, for the default user or the one the Restreamkit-Login-As header names (CI without a browser)")
	maxBody := fs.Int64("max-body-bytes", mock.DefaultMaxBodyBytes, "largest request body accepted")
	journalSize := fs.Int("journal-size", mock.DefaultJournalSize, fmt.Sprintf("requests kept in the journal (1 to %d, each at most %d KiB)", mock.MaxJournalSize, mock.JournalEntryMaxBytes>>10))
	printToken := fs.Bool("print-token", true, "print a ready access token for the default user at start")
	allowHosts := fs.StringSlice("allow-host", nil, "further Host the control API answers (repeatable; \"*\" turns the Host check off); loopback names and addresses always pass")
	allowOrigins := fs.StringSlice("allow-origin", nil, "browser origin trusted to write to the control API, such as http://localhost:5173 (repeatable)")
	controlToken := fs.String("control-token", "", "require this bearer token on the control API (/__mock/), for shared machines")
	log, done, err := cli.Parse(fs, envPrefix, version.String(), args, os.Stdout)
	if err != nil || done {
		return err
	}
	opts := mock.Options{AutoApprove: *autoApprove, MaxBodyBytes: *maxBody, JournalSize: *journalSize, Logger: log,
		ChatHeartbeat: *heartbeat, StreamInterval: *interval, Seed: *seed,
		Control: guard.Options{AllowHosts: *allowHosts, TrustedOrigins: *allowOrigins, Token: *controlToken}}
	if opts.Clients, err = oauth.ParseClientFlags(*clientFlags); err != nil {
		return fmt.Errorf("--client: %w", err)
	}
	if *probe {
		return cli.Probe(ctx, *addr, "/__mock/health")
	}
	if *checkDir != "" {
		return checkFixtures(ctx, opts, *checkDir, *fixturesOnly)
	}
	if *fixturesDir != "" {
		if opts.Fixtures, err = fixtures.Dir(*fixturesDir); err != nil {
			return err
		}
		opts.FixturesName, opts.FixturesOnly = *fixturesDir, *fixturesOnly
	} else if *fixturesOnly {
		return errors.New("--fixtures-only needs --fixtures DIR")
	}
	srv, err := mock.New(opts)
	if err != nil {
		return err
	}
	for _, note := range srv.FixtureNotes() {
		log.Info("fixtures: " + note)
	}
	api, err := cli.Listen("api", srv.HTTPServer(*addr), fs.Lookup("addr"))
	if err != nil {
		return err
	}
	lns := []cli.Listener{api}
	base := "http://" + api.Conn.Addr().String()
	fmt.Printf("restream-mock %s: REST, OAuth and control API on %s\n", version.String(), base)
	dashboard := base + mock.UIPath
	if *controlToken != "" {
		dashboard += "?token=<the --control-token> (once; a cookie keeps it)"
	}
	fmt.Printf("restream-mock %s: dashboard on %s\n", version.String(), dashboard)
	if !guard.IsLoopbackAddr(*addr) {
		msg := "the API listens beyond loopback: other machines can reach it; the control API still answers only loopback Hosts and --allow-host"
		if *controlToken == "" {
			msg += ", and anyone who can send such a Host can drive it: set --control-token"
		}
		log.Warn(msg, "addr", *addr)
	}
	for _, feed := range []struct {
		name, flag, addr string
		h                http.Handler
	}{{"streaming", "streaming-addr", *streamingAddr, srv.StreamingHandler()}, {"chat", "chat-addr", *chatAddr, srv.ChatHandler()}} {
		if feed.addr == "" {
			continue
		}
		mux := http.NewServeMux()
		mux.Handle("/ws", feed.h)
		hs := srv.HTTPServer(feed.addr)
		hs.Handler = mux
		ln, err := cli.Listen(feed.name, hs, fs.Lookup(feed.flag))
		if err != nil {
			return err
		}
		lns = append(lns, ln)
		fmt.Printf("restream-mock %s: %s feed on ws://%s/ws\n", version.String(), feed.name, ln.Conn.Addr())
	}
	if *printToken {
		if err := srv.PrintBanner(os.Stdout, base); err != nil {
			return err
		}
	}
	// Start-up parses two specs and the fixtures, and leaves megabytes of garbage the runtime
	// would keep mapped for minutes: hand it back once, beside the first requests, so that an
	// idle mock (often one per CI job) stays small.
	go debug.FreeOSMemory()
	return cli.Serve(ctx, log, 10*time.Second, func(ctx context.Context) {
		if err := srv.Shutdown(ctx); err != nil {
			log.Warn("closing the WebSockets", "err", err)
		}
	}, lns...)
}

// checkFixtures checks the fixtures directory dir as --fixtures would seed from it and reports
// on standard output: what the directory leaves out and the mock would make up, then a summary.
// Problems come back as the error, every one of them, each named by file and JSON pointer.
func checkFixtures(ctx context.Context, opts mock.Options, dir string, only bool) error {
	fsys, err := fixtures.Dir(dir)
	if err != nil {
		return err
	}
	opts.Fixtures, opts.FixturesName, opts.FixturesOnly = fsys, dir, only
	opts.Logger = nil
	seed, err := mock.CheckFixtures(ctx, opts)
	if err != nil {
		return err
	}
	for _, note := range seed.Notes {
		fmt.Println("note:", note)
	}
	examples := 0
	for _, f := range seed.Files {
		examples += len(f.Examples)
	}
	base := "over the embedded examples"
	if only {
		base = "alone"
	}
	fmt.Printf("%s: the fixtures keep every rule (%s): %d users, %d examples, %d OAuth clients\n",
		dir, base, len(seed.World.Users), examples, len(seed.Clients))
	return nil
}
