package validate_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/restreamkit/restreamkit/internal/validate"
	"github.com/restreamkit/restreamkit/openapi"
)

// fiveChannels is a realistic GET /v2/user/channel/all response.
const fiveChannels = `[
{"id":5120001,"streamingPlatformId":1,"embedUrl":"https://player.twitch.tv/?channel=nova_plays&parent=restream.io","url":"https://www.twitch.tv/nova_plays","identifier":"nova_plays","displayName":"Nova Plays","active":true},
{"id":5120002,"streamingPlatformId":5,"embedUrl":"https://www.youtube.com/embed/live_stream?channel=UC9x0AN7BWHpCDHSm9NiJFJQ","url":"https://www.youtube.com/channel/UC9x0AN7BWHpCDHSm9NiJFJQ","identifier":"UC9x0AN7BWHpCDHSm9NiJFJQ","displayName":"Nova Plays","active":true},
{"id":5120003,"streamingPlatformId":37,"embedUrl":"","url":"https://www.facebook.com/groups/novaplayscommunity","identifier":"novaplayscommunity","displayName":"Nova Plays Community","active":false},
{"id":5120004,"streamingPlatformId":29,"embedUrl":"","url":"rtmp://ingest.example-cdn.net/live","identifier":"custom-rtmp-5120004","displayName":"Backup CDN","active":true},
{"id":5120005,"streamingPlatformId":72,"embedUrl":"","url":"rtmps://dc4-1.rtmp.t.me/s","identifier":"telegram-5120005","displayName":"Nova on Telegram","active":true}]`

type pair struct {
	name, method, path, reqBody string
	status                      int
	respBody                    string
}

var pairs = []pair{
	{"GET channel/all", http.MethodGet, "/v2/user/channel/all", "", 200, fiveChannels},
	{"PATCH channel", http.MethodPatch, "/v2/user/channel/5120001", `{"active":false}`, 200, ""},
}

func newRequest(p pair) *http.Request {
	var body io.Reader
	if p.reqBody != "" {
		body = strings.NewReader(p.reqBody)
	}
	r := httptest.NewRequest(p.method, "https://api.restream.io"+p.path, body)
	r.Header.Set("Authorization", "Bearer 2a407cfc9e1d4f7b8a6c5d4e3f2a1b0c9d8e7f6a")
	if p.reqBody != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}

func respHeader(p pair) http.Header {
	h := http.Header{}
	if p.respBody != "" {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	return h
}

// BenchmarkPair validates one request/response pair with this package.
func BenchmarkPair(b *testing.B) {
	spec, err := validate.Load(openapi.FS, openapi.RestreamSpec)
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range pairs {
		b.Run(p.name, func(b *testing.B) {
			r := newRequest(p)
			h := respHeader(p)
			reqBody, respBody := []byte(p.reqBody), []byte(p.respBody)
			out := make([]validate.Violation, 0, 8)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var pp validate.PathParams
				op, v, _ := spec.Find(r.Method, r.URL.Path, &pp)
				if v != nil {
					b.Fatal(v)
				}
				out = spec.CheckRequest(out[:0], op, &pp, r, reqBody, validate.CheckOptions{})
				out = spec.CheckResponse(out, op, p.status, h, respBody)
				if len(out) != 0 {
					b.Fatal(out)
				}
			}
		})
	}
}

// BenchmarkPairKinOpenAPI validates the same pairs with plain kin-openapi: a gorillamux router,
// openapi3filter.ValidateRequest and ValidateResponse. It is the yardstick for BenchmarkPair.
func BenchmarkPairKinOpenAPI(b *testing.B) {
	data, err := openapi.FS.ReadFile(openapi.RestreamSpec)
	if err != nil {
		b.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		b.Fatal(err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		b.Fatal(err)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil }}
	ctx := context.Background()
	for _, p := range pairs {
		b.Run(p.name, func(b *testing.B) {
			h := respHeader(p)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r := newRequest(p)
				route, params, err := router.FindRoute(r)
				if err != nil {
					b.Fatal(err)
				}
				in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
				if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
					b.Fatal(err)
				}
				out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: p.status, Header: h, Options: opts}
				out.SetBodyBytes([]byte(p.respBody))
				if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var _ = bytes.NewReader
