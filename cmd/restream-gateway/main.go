// Command restream-gateway runs a Restream capability file: the REST facade and the MCP server it
// exposes (Streamable HTTP, or stdio for desktop assistants), over the real Restream API or
// restream-mock, validating every call it makes against the bundled spec.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/restreamkit/restreamkit/internal/cli"
	"github.com/restreamkit/restreamkit/internal/gateway"
	"github.com/restreamkit/restreamkit/internal/version"
)

const envPrefix = "RESTREAM_GATEWAY_"

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "restream-gateway:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	ctx, stop := cli.SignalContext()
	defer stop()
	fs := pflag.NewFlagSet("restream-gateway", pflag.ContinueOnError)
	var c gateway.Config
	c.AddFlags(fs)
	stdio := fs.Bool("stdio", false, "serve the MCP adapter on standard input and output (as desktop assistants run MCP servers) instead of HTTP")
	// Logs go to standard error: standard output carries JSON-RPC in --stdio mode.
	log, done, err := cli.Parse(fs, envPrefix, version.String(), args, stdout)
	if err != nil || done {
		return err
	}
	c.Version, c.Logger, c.Getenv = version.String(), log, getenv
	if *stdio && c.Report == "-" {
		return errors.New("--report -: standard output carries the MCP messages in --stdio mode; give a file")
	}
	g, err := c.Gateway()
	if err != nil {
		return err
	}
	defer func() {
		if err := g.Close(); err != nil {
			log.Warn("closing", "err", err)
		}
	}()
	if *stdio {
		return g.ServeStdio(ctx, stdin, stdout)
	}
	// The banner goes to standard error, as the logs do: standard output may carry the report
	// (--report -).
	var lns []cli.Listener
	for _, s := range g.Servers() {
		ln, err := cli.Listen(s.Name, g.HTTPServer(s), addrFlags(fs, s)...)
		if err != nil {
			for _, l := range lns {
				l.Conn.Close()
			}
			return err
		}
		lns = append(lns, ln)
		fmt.Fprintf(stderr, "restream-gateway %s: %s on http://%s\n", version.String(), s.Name, ln.Conn.Addr())
	}
	return cli.Serve(ctx, log, 10*time.Second, nil, lns...)
}

// addrFlags returns the flags that choose the address of s.
func addrFlags(fs *pflag.FlagSet, s gateway.Server) []*pflag.Flag {
	flags := make([]*pflag.Flag, 0, len(s.Kinds))
	for _, kind := range s.Kinds {
		flags = append(flags, fs.Lookup(kind+"-addr"))
	}
	return flags
}
