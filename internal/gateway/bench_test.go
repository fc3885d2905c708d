package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// The same Restream call (GET /v2/user/channel/all) three ways, one connection, in-process: the
// figures bench/gateway.sh measures with wrk across processes, here with allocations.

func BenchmarkListChannelsStraightToTheMock(b *testing.B) {
	r := newRig(b, rigOptions{direct: true})
	req, _ := http.NewRequest(http.MethodGet, r.mock.URL+"/v2/user/channel/all", nil)
	req.Header.Set("Authorization", "Bearer "+r.token)
	benchRequest(b, req, "")
}

func BenchmarkListChannelsThroughTheFacade(b *testing.B) {
	r := newRig(b, rigOptions{direct: true})
	req, _ := http.NewRequest(http.MethodGet, r.rest+"/v1/channels", nil)
	benchRequest(b, req, "")
}

func BenchmarkListChannelsAsAnMCPToolCall(b *testing.B) {
	r := newRig(b, rigOptions{direct: true})
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list-channels","arguments":{},` +
		`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},` +
		`"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"}}}}`
	req, _ := http.NewRequest(http.MethodPost, r.mcp, nil)
	for k, v := range map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
		"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "list-channels"} {
		req.Header.Set(k, v)
	}
	benchRequest(b, req, body)
}

// benchRequest sends req b.N times on one keep-alive connection and checks every answer is a 200.
func benchRequest(b *testing.B, req *http.Request, body string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	b.ReportAllocs()
	for b.Loop() {
		if body != "" {
			req.Body = io.NopCloser(strings.NewReader(body))
		}
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || strings.Contains(string(data), `"isError":true`) {
			b.Fatalf("%d %s", res.StatusCode, data)
		}
	}
}
