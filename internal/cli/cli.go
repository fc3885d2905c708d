// Package cli holds what the commands share: flags that also read environment variables, the
// command-line rules every command follows (--help, no positional arguments, no negative numbers),
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
	"strconv"
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
		if f.Changed || f.Name == "help" {
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

// Listen opens srv.Addr for srv; the caller learns the real address (for port 0) from
// Conn.Addr(). flags are the flags that choose this address (more than one when servers share
// it): a failure names them and their environment variables, so that "address already in use"
// says what to change.
func Listen(name string, srv *http.Server, flags ...*pflag.Flag) (Listener, error) {
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return Listener{}, listenError(name, srv.Addr, err, flags)
	}
	return Listener{Name: name, Server: srv, Conn: ln}, nil
}

// listenError words a failure to listen on addr: the flags and variables that set addr, and for
// an address in use, which of them picks another.
func listenError(name, addr string, err error, flags []*pflag.Flag) error {
	var names, envs, ways []string
	for _, f := range flags {
		if f == nil {
			continue
		}
		names = append(names, "--"+f.Name)
		way := "--" + f.Name
		if env := envOf(f); env != "" {
			envs = append(envs, env)
			way += " or " + env
		}
		ways = append(ways, way)
	}
	if len(names) == 0 {
		return fmt.Errorf("%s: %w", name, err)
	}
	where := strings.Join(names, ", ") + " " + addr
	if len(envs) > 0 {
		where += " (" + strings.Join(envs, ", ") + ")"
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s: %w; choose another with %s", where, syscall.EADDRINUSE, strings.Join(ways, ", "))
	}
	return fmt.Errorf("%s: %w", where, err)
}

// envAnnotation is the pflag annotation under which Parse records a flag's environment variable.
const envAnnotation = "restreamkit/cli:env"

// envOf returns the environment variable Parse gave f, or "".
func envOf(f *pflag.Flag) string {
	if v := f.Annotations[envAnnotation]; len(v) == 1 {
		return v[0]
	}
	return ""
}

// flagName names f for an error message: "--journal-size -1 (RESTREAM_MOCK_JOURNAL_SIZE)".
func flagName(f *pflag.Flag) string {
	s := "--" + f.Name + " " + f.Value.String()
	if env := envOf(f); env != "" {
		s += " (" + env + ")"
	}
	return s
}

// CheckNonNegative refuses a negative value in every numeric flag of fs (integers, floats and
// durations, and slices of them): sizes, counts, intervals and timeouts have no meaning below
// zero, and a negative one would otherwise reach make, a ring buffer or a timer. Parse calls it.
func CheckNonNegative(fs *pflag.FlagSet) error {
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		values := []string{f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			values = sv.GetSlice()
		}
		for _, v := range values {
			if isNegative(strings.TrimSuffix(f.Value.Type(), "Slice"), v) {
				errs = append(errs, fmt.Errorf("%s: must not be negative", flagName(f)))
				return
			}
		}
	})
	return errors.Join(errs...)
}

// isNegative reports whether v, the text of a pflag value of type typ, is below zero; false for
// types that are not numbers.
func isNegative(typ, v string) bool {
	switch typ {
	case "duration":
		d, err := time.ParseDuration(v)
		return err == nil && d < 0
	case "int", "int8", "int16", "int32", "int64", "float32", "float64":
		n, err := strconv.ParseFloat(v, 64)
		return err == nil && n < 0
	}
	return false
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

// Parse adds the flags every command has (--help, --log-level, --log-format, --version) to fs,
// parses args and then the environment (envPrefix), applies the rules every command follows, and
// returns the logger, writing to standard error. The rules: --help prints the usage to stdout;
// positional arguments are an error naming them (the commands take flags only); a negative number
// is an error naming its flag and variable (CheckNonNegative). done is true when --help or
// --version printed to stdout: the command then exits with status 0.
func Parse(fs *pflag.FlagSet, envPrefix, version string, args []string, stdout io.Writer) (log *slog.Logger, done bool, err error) {
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	logFormat := fs.String("log-format", "text", "text or json")
	printVersion := fs.Bool("version", false, "print the version and exit")
	help := fs.BoolP("help", "h", false, "print this help and exit")
	AddEnvHelp(fs, envPrefix)
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" {
			_ = fs.SetAnnotation(f.Name, envAnnotation, []string{EnvName(envPrefix, f.Name)})
		}
	})
	if err := fs.Parse(args); err != nil {
		return nil, false, err
	}
	if *help {
		_, err := fmt.Fprintf(stdout, "Usage: %s [flags]\n\nEvery flag can also be set by the environment variable shown after it; flags win.\n\nFlags:\n%s", fs.Name(), fs.FlagUsages())
		return nil, true, err
	}
	if rest := fs.Args(); len(rest) > 0 {
		noun := "argument"
		if len(rest) > 1 {
			noun += "s"
		}
		return nil, false, fmt.Errorf("unexpected %s %s: %s takes flags only (see --help)", noun, quoteAll(rest), fs.Name())
	}
	if err := ApplyEnv(fs, envPrefix, os.LookupEnv); err != nil {
		return nil, false, err
	}
	if *printVersion {
		_, err := fmt.Fprintln(stdout, fs.Name(), version)
		return nil, true, err
	}
	if err := CheckNonNegative(fs); err != nil {
		return nil, false, err
	}
	log, err = NewLogger(os.Stderr, *logLevel, *logFormat)
	return log, false, err
}

// quoteAll quotes each argument, so that an empty or spaced one shows: "a", "b c".
func quoteAll(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return strings.Join(q, ", ")
}
