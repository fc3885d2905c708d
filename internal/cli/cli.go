// Package cli holds what the commands share: flags that also read environment variables,
// logger set-up, and running HTTP servers until a signal asks them to stop gracefully.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
)

// EnvName returns the environment variable of a flag: prefix plus the flag name in upper case with
// dashes as underscores ("addr" → "RESTREAM_MOCK_ADDR").
func EnvName(prefix, flag string) string {
	return prefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// ApplyEnv gives every flag of fs not set on the command line the value of its environment
// variable, when that is set. Call it after fs.Parse: command-line flags win over the environment.
func ApplyEnv(fs *pflag.FlagSet, prefix string, lookup func(string) (string, bool)) error {
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		name := EnvName(prefix, f.Name)
		if v, ok := lookup(name); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// AddEnvHelp appends each flag's environment variable to its usage text.
func AddEnvHelp(fs *pflag.FlagSet, prefix string) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && f.Name != "version" {
			f.Usage += " [$" + EnvName(prefix, f.Name) + "]"
		}
	})
}

// NewLogger returns a slog logger writing to w at level ("debug", "info", "warn", "error") in
// format ("text" or "json").
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}

// Listener is one HTTP server and the socket it serves.
type Listener struct {
	Name   string
	Server *http.Server
	Conn   net.Listener
}

// Listen opens addr for srv; the caller learns the real address (for port 0) from Conn.Addr().
func Listen(name string, srv *http.Server) (Listener, error) {
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return Listener{}, fmt.Errorf("%s: %w", name, err)
	}
	return Listener{Name: name, Server: srv, Conn: ln}, nil
}

// SignalContext returns a context that ends on SIGINT or SIGTERM. Commands take it first thing, so
// that a signal arriving during start-up still shuts down gracefully.
func SignalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// Serve runs every listener until ctx ends (see SignalContext), then shuts them down, giving open
// requests up to grace to finish. onShutdown runs first, for instance to close WebSockets with a
// proper close frame.
func Serve(ctx context.Context, log *slog.Logger, grace time.Duration, onShutdown func(context.Context), lns ...Listener) error {
	errc := make(chan error, len(lns))
	for _, l := range lns {
		go func() {
			if err := l.Server.Serve(l.Conn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s: %w", l.Name, err)
				return
			}
			errc <- nil
		}()
	}
	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if onShutdown != nil {
		onShutdown(sctx)
	}
	var errs []error
	for _, l := range lns {
		if err := l.Server.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", l.Name, err))
		}
	}
	return errors.Join(append(errs, runErr)...)
}

// Parse adds the flags every command has (--log-level, --log-format, --version) to fs, parses
// args and then the environment (envPrefix), and returns the logger, writing to standard error.
// done is true when --version printed "<fs name> <version>" to stdout: the command then exits.
func Parse(fs *pflag.FlagSet, envPrefix, version string, args []string, stdout io.Writer) (log *slog.Logger, done bool, err error) {
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	logFormat := fs.String("log-format", "text", "text or json")
	printVersion := fs.Bool("version", false, "print the version and exit")
	AddEnvHelp(fs, envPrefix)
	if err := fs.Parse(args); err != nil {
		return nil, false, err
	}
	if err := ApplyEnv(fs, envPrefix, os.LookupEnv); err != nil {
		return nil, false, err
	}
	if *printVersion {
		_, err := fmt.Fprintln(stdout, fs.Name(), version)
		return nil, true, err
	}
	log, err = NewLogger(os.Stderr, *logLevel, *logFormat)
	return log, false, err
}
