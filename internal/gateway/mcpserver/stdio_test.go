package mcpserver

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// serveStdio runs ServeStdio on in-process pipes and returns the client's ends and the
// server's result.
func serveStdio(t *testing.T, ctx context.Context, srv *Server) (toServer *io.PipeWriter, fromServer *io.PipeReader, done <-chan error) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		err := srv.ServeStdio(ctx, inR, outW)
		outW.Close()
		errc <- err
	}()
	return inW, outR, errc
}

func TestGoSDKClientOverStdioInEachEra(t *testing.T) {
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			inv := newFakeInvoker()
			srv, err := New(testAdapter(), inv, Options{})
			if err != nil {
				t.Fatal(err)
			}
			toServer, fromServer, done := serveStdio(t, t.Context(), srv)
			client := mcp.NewClient(&mcp.Implementation{Name: "go-sdk-test", Version: "1"}, nil)
			cs, err := client.Connect(t.Context(), &mcp.IOTransport{Reader: fromServer, Writer: toServer},
				&mcp.ClientSessionOptions{ProtocolVersion: era.version})
			if err != nil {
				t.Fatal(err)
			}
			exerciseTools(t, cs, inv, era.version, false) // stdio has no session ids
			if err := cs.Close(); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Errorf("ServeStdio after the client closed stdin: %v, want a clean end", err)
			}
		})
	}
}

func TestServeStdioEndsCleanlyWhenItsContextIsDone(t *testing.T) {
	srv, err := New(testAdapter(), newFakeInvoker(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	toServer, fromServer, done := serveStdio(t, ctx, srv)
	defer toServer.Close()
	go io.Copy(io.Discard, fromServer)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeStdio: %v, want nil on cancellation", err)
	}
}

func TestServeStdioSpeaksNewlineDelimitedJSONRPC(t *testing.T) {
	srv, err := New(testAdapter(), newFakeInvoker(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	toServer, fromServer, done := serveStdio(t, t.Context(), srv)
	lines := bufio.NewScanner(fromServer)
	send := func(msg string) {
		t.Helper()
		if _, err := io.WriteString(toServer, msg+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	next := func() rpcResponse {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("no answer: %v", lines.Err())
		}
		var resp rpcResponse
		if err := json.Unmarshal(lines.Bytes(), &resp); err != nil {
			t.Fatalf("%v: %s", err, lines.Bytes())
		}
		return resp
	}
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	if resp := next(); !strings.Contains(string(resp.Result), `"protocolVersion":"2025-06-18"`) {
		t.Errorf("initialize: %s", resp.Result)
	}
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get-channel","arguments":{"id":true}}}`)
	if resp := next(); resp.Error == nil || resp.Error.Code != -32602 || !strings.Contains(resp.Error.Message, "/id") {
		t.Errorf("invalid arguments: %+v", resp)
	}
	send(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get-stream-key"}}`)
	if resp := next(); !strings.Contains(string(resp.Result), `"structuredContent":{"streamKey":"re_123_abc"}`) {
		t.Errorf("get-stream-key: %s", resp.Result)
	}
	toServer.Close()
	if err := <-done; err != nil {
		t.Errorf("ServeStdio at the end of its input: %v", err)
	}
}
