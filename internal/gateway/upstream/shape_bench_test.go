package upstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/restreamkit/restreamkit/internal/capability"
)

// channelList is restream-mock's answer to GET /v2/user/channel/all for its fixture user.
const channelList = `[{"active":true,"displayName":"nova_plays","embedUrl":"https://player.twitch.tv/?channel=nova_plays\u0026parent=restream.io","id":5120001,"identifier":"nova_plays","streamingPlatformId":1,"url":"https://www.twitch.tv/nova_plays"},{"active":true,"displayName":"Nova Plays","embedUrl":"https://www.youtube.com/embed/live_stream?channel=UCq3nV7xKp2LmR8sT4wY9bZa","id":5120002,"identifier":"UCq3nV7xKp2LmR8sT4wY9bZa","streamingPlatformId":5,"url":"https://www.youtube.com/channel/UCq3nV7xKp2LmR8sT4wY9bZa"},{"active":false,"displayName":"Nova Plays Gaming","embedUrl":"","id":5120003,"identifier":"108236479512734","streamingPlatformId":101,"url":"https://www.facebook.com/novaplaysgaming"},{"active":true,"displayName":"Nova backup server","embedUrl":"","id":5120004,"identifier":"rtmp://ingest.novaplays.tv/live","streamingPlatformId":29,"url":""},{"active":true,"displayName":"Nova Plays Live (Telegram)","embedUrl":"","id":5120005,"identifier":"novaplays_live","streamingPlatformId":72,"url":"https://t.me/novaplays_live"}]`

// The shaping of the mock's channel list with the capability's mapping "$": as the REST facade
// asks (no Value), as the MCP server asks (Value), and the decode and encode it replaces.

// benchShape shapes the channel list with the mapping "$" b.N times with shape.
func benchShape(b *testing.B, shape func(*Client, *capability.Call, *http.Response, []byte) *Result) {
	c, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	call := &capability.Call{Outputs: []*capability.Mapping{{Type: "array", Path: "$"}}}
	resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}}
	data := []byte(channelList)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if res := shape(c, call, resp, data); !res.Mapped {
			b.Fatal("not mapped")
		}
	}
}

func BenchmarkShapeWholeBodyOnly(b *testing.B) {
	benchShape(b, func(c *Client, call *capability.Call, resp *http.Response, data []byte) *Result {
		return c.shape(call, resp, data, 0, false)
	})
}

func BenchmarkShapeWholeWithValue(b *testing.B) {
	benchShape(b, func(c *Client, call *capability.Call, resp *http.Response, data []byte) *Result {
		return c.shape(call, resp, data, 0, true)
	})
}

func BenchmarkShapeByDecodingAndEncoding(b *testing.B) {
	benchShape(b, func(c *Client, call *capability.Call, resp *http.Response, data []byte) *Result {
		return slowShape(c, call, resp, data, 0)
	})
}

func BenchmarkCanonical(b *testing.B) {
	data := []byte(channelList)
	out := make([]byte, 0, len(data))
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		out, _ = canonical(out[:0], data)
	}
}

// BenchmarkCall is one call of the mock's channel list through the client, against a loopback
// server that answers at once with the mock's bytes: the client's own cost with its round trip,
// as the REST facade calls it (body only) and as the MCP server does (with Value).
func BenchmarkCall(b *testing.B) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(channelList))
	}))
	defer ts.Close()
	base, err := url.Parse(ts.URL + "/v2")
	if err != nil {
		b.Fatal(err)
	}
	c, err := New(Options{BaseURL: base})
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseIdleConnections()
	so, ok := c.spec.Operation("listChannels")
	if !ok {
		b.Fatal("no listChannels in the spec")
	}
	op := &capability.Op{API: &capability.API{Namespace: "restream", Auth: capability.Auth{Kind: "bearer", Token: "t"}},
		Method: so.Method, Path: "/user/channel/all", SpecPath: so.Path, Spec: so}
	call := &capability.Call{Name: "list-channels", Op: op, Outputs: []*capability.Mapping{{Type: "array", Path: "$"}}}
	for _, tc := range []struct {
		name   string
		invoke func(context.Context, *capability.Call, map[string]any) (*Result, error)
	}{{"BodyOnly", c.InvokeBody}, {"WithValue", c.Invoke}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := tc.invoke(context.Background(), call, nil)
				if err != nil || !res.Mapped {
					b.Fatalf("%v %+v", err, res)
				}
			}
		})
	}
}
