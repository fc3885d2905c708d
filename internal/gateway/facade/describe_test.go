package facade_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/gateway/facade"
	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// description fetches /openapi.json from a running facade.
func description(t *testing.T, ts *httptest.Server) []byte {
	t.Helper()
	a := send(t, ts, "GET", "/openapi.json", "", "")
	if a.status != 200 || a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %d %q", a.status, a.header.Get("Content-Type"))
	}
	return a.body
}

func TestTheDescriptionIsAValidOpenAPIDocumentOfEveryRoute(t *testing.T) {
	adapter := testAdapter()
	ts := serve(t, adapter, &fakeInvoker{}, facade.Options{})
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(description(t, ts))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("kin-openapi finds the description invalid: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != ts.URL {
		t.Fatalf("servers %v, want the facade's own URL %s", doc.Servers, ts.URL)
	}
	for _, r := range adapter.Routes {
		o := doc.Paths.Value(r.Path).GetOperation(r.Method)
		if o == nil {
			t.Fatalf("%s %s is not described", r.Method, r.Path)
		}
		if o.OperationID != r.Name || o.Extensions["x-restream-operation"] != r.Call.Op.Spec.ID {
			t.Fatalf("%s %s: operationId %q, x-restream-operation %v", r.Method, r.Path, o.OperationID, o.Extensions["x-restream-operation"])
		}
		for _, in := range r.Inputs {
			if in.In == "body" {
				prop := o.RequestBody.Value.Content.Get("application/json").Schema.Value.Properties[in.Name]
				if prop == nil {
					t.Fatalf("%s %s: body field %s is not described", r.Method, r.Path, in.Name)
				}
				continue
			}
			p := o.Parameters.GetByInAndName(in.In, in.Name)
			if p == nil || p.Required != (in.Required || in.In == "path") {
				t.Fatalf("%s %s: parameter %s in %s described as %+v", r.Method, r.Path, in.Name, in.In, p)
			}
			want, _ := json.Marshal(in.Schema)
			got, _ := json.Marshal(p.Schema.Value)
			if !jsonEqual(want, got) {
				t.Fatalf("%s %s: parameter %s has the schema %s, want %s", r.Method, r.Path, in.Name, got, want)
			}
		}
		var success string
		for _, st := range r.Call.Op.Spec.Statuses() {
			if st[0] == '2' && success == "" {
				success = st
			}
		}
		ok := o.Responses.Value(success)
		if ok == nil || ok.Value == nil {
			t.Fatalf("%s %s: the success status is not described", r.Method, r.Path)
		}
		if media := ok.Value.Content.Get("application/json"); (media != nil) != (r.OutputSchema != nil) {
			t.Fatalf("%s %s: the success answer's body is described as %v, the route's output schema is %v", r.Method, r.Path, media, r.OutputSchema)
		} else if media != nil && r.OutputSchema["type"] != nil && media.Schema.Value.Type.Slice()[0] != r.OutputSchema["type"] {
			t.Fatalf("%s %s: the success answer is described as %v, want the route's %v", r.Method, r.Path, media.Schema.Value.Type, r.OutputSchema["type"])
		}
		for _, status := range []string{"400", "413", "502", "504", "4XX", "5XX"} {
			resp := o.Responses.Value(status)
			if resp == nil || resp.Value.Content.Get("application/json").Schema.Ref != "#/components/schemas/ErrorEnvelope" {
				t.Fatalf("%s %s: status %s is not described with the error envelope", r.Method, r.Path, status)
			}
		}
	}
	patch := doc.Paths.Value("/v1/channels/{id}").Patch
	body := patch.RequestBody.Value
	schema := body.Content.Get("application/json").Schema.Value
	if !body.Required || !reflect.DeepEqual(schema.Required, []string{"active"}) || schema.AdditionalProperties.Has == nil || *schema.AdditionalProperties.Has {
		t.Fatalf("the PATCH body is described as required=%v %+v", body.Required, schema)
	}
	if patch.Responses.Value("415") == nil || doc.Paths.Value("/v1/channels/{id}").Get.Responses.Value("415") != nil {
		t.Fatal("415 belongs to the routes that take a body, and only to them")
	}
	if doc.Paths.Value("/v1/channels/{id}").Get.Responses.Value("404") == nil {
		t.Fatal("the 404 Restream documents for getChannel is not described")
	}
	want, _ := json.Marshal(bundled().Doc().Components.Schemas["ErrorBody"].Value)
	got, _ := json.Marshal(doc.Components.Schemas["ErrorBody"].Value)
	if !jsonEqual(want, got) {
		t.Fatalf("ErrorBody %s differs from the bundled spec's %s", got, want)
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func TestTheDescriptionNamesTheServerItIsGiven(t *testing.T) {
	ts := serve(t, testAdapter(), &fakeInvoker{}, facade.Options{ServerURL: "http://127.0.0.1:8080", Title: "T", Version: "9", BearerAuth: true})
	doc, err := openapi3.NewLoader().LoadFromData(description(t, ts))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if doc.Servers[0].URL != "http://127.0.0.1:8080" || doc.Info.Title != "T" || doc.Info.Version != "9" {
		t.Fatalf("servers %s, info %+v", doc.Servers[0].URL, doc.Info)
	}
	if len(doc.Security) != 1 || doc.Components.SecuritySchemes["gatewayToken"].Value.Scheme != "bearer" {
		t.Fatalf("the inbound token is not described: %+v", doc.Security)
	}
}

// realisticInvoker answers as Restream answers each route, so that the facade's answers can be
// held to its description.
func realisticInvoker() *fakeInvoker {
	channel := `{"id":1,"streamingPlatformId":5,"embedUrl":"","url":"https://twitch.tv/x","identifier":"x","displayName":"X","active":true}`
	env := func(status int, name string) []byte {
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"statusCode": status, "status": status, "code": status, "message": "m", "name": name}})
		return b
	}
	jsonH := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	return &fakeInvoker{answer: func(c *capability.Call, args map[string]any) (*upstream.Result, error) {
		switch {
		case args["id"] == json.Number("404"):
			return &upstream.Result{Status: 404, Body: env(404, "not_found"), Header: jsonH}, nil
		case args["id"] == json.Number("429"):
			return &upstream.Result{Status: 429, Body: env(429, "too_many_requests"), Header: http.Header{"Content-Type": {"application/json"}, "Retry-After": {"3"}}}, nil
		case args["id"] == json.Number("503"):
			return &upstream.Result{Status: 503, Body: []byte("busy"), Header: http.Header{"Content-Type": {"text/plain"}}}, nil
		case args["id"] == json.Number("504"):
			return nil, &upstream.Error{Status: 504, Name: "upstream_timeout", Message: "slow"}
		case args["id"] == json.Number("502"):
			return nil, &upstream.Error{Status: 502, Name: "upstream_unavailable", Message: "down"}
		case args["id"] == json.Number("400"):
			return nil, &upstream.ArgError{Field: "id", Message: "is refused"}
		}
		switch c.Op.Spec.ID {
		case "getChannel":
			return &upstream.Result{Status: 200, Body: []byte(channel), Mapped: true, Header: jsonH}, nil
		case "listChannels":
			return &upstream.Result{Status: 200, Body: []byte("[" + channel + "]"), Mapped: true, Header: jsonH}, nil
		case "updateChannel", "updateChannelMeta":
			return &upstream.Result{Status: 200, Header: http.Header{}}, nil
		case "listEventHistory", "getEvent", "getChannelMeta", "getStreamKey", "getEventStreamKey":
			return &upstream.Result{Status: 200, Body: []byte(`{}`), Mapped: true, Header: jsonH}, nil
		}
		return &upstream.Result{Status: 200, Body: []byte(`[]`), Mapped: true, Header: jsonH}, nil
	}}
}

// TestTheFacadeConformsToItsOwnDescription sends good and bad requests to the facade and holds
// each exchange to /openapi.json, read by internal/validate: every answer is one the description
// documents, and the facade refuses a request exactly when the description says it is invalid.
func TestTheFacadeConformsToItsOwnDescription(t *testing.T) {
	ts := serve(t, testAdapter(), realisticInvoker(), facade.Options{MaxBodyBytes: 256})
	spec, err := validate.LoadData(description(t, ts))
	if err != nil {
		t.Fatalf("internal/validate cannot load the description: %v", err)
	}
	for _, tc := range []struct {
		method, target, contentType, body string
		refused                           bool // the facade refuses it before any call
	}{
		{"GET", "/v1/channels/1/meta", "", "", false},
		{"GET", "/v1/stream-key", "", "", false},
		{"GET", "/v1/events/in-progress", "", "", false},
		{"GET", "/v1/events/0b0c5b36-3f2e-4b8e-9d55-6a1f8b5a9c11/stream-key", "", "", false},
		{"GET", "/v1/events/nope/stream-key", "", "", true},
		{"GET", "/v1/stream-key?id=1", "", "", true},
		{"GET", "/v1/platforms", "", "", false},
		{"GET", "/v1/channels", "", "", false},
		{"GET", "/v1/channels/1", "", "", false},
		{"GET", "/v1/channels/404", "", "", false},
		{"GET", "/v1/channels/429", "", "", false},
		{"GET", "/v1/channels/503", "", "", false},
		{"GET", "/v1/channels/504", "", "", false},
		{"GET", "/v1/channels/502", "", "", false},
		{"GET", "/v1/channels/400", "", "", false},
		{"PATCH", "/v1/channels/1", "application/json", `{"active":false}`, false},
		{"PATCH", "/v1/channels/1/meta", "application/json", `{"title":"T"}`, false},
		{"PATCH", "/v1/channels/1/meta", "application/json", `{"title":"T","description":"D"}`, false},
		{"GET", "/v1/events/history?page=2&limit=10", "", "", false},
		{"GET", "/v1/events/upcoming?source=1&scheduled=false", "", "", false},
		{"GET", "/v1/events/0b0c5b36-3f2e-4b8e-9d55-6a1f8b5a9c11", "", "", false},
		{"GET", "/v1/channels/0", "", "", true},
		{"GET", "/v1/channels/x", "", "", true},
		{"GET", "/v1/events/nope", "", "", true},
		{"GET", "/v1/events/history?limit=1000", "", "", true},
		{"GET", "/v1/events/history?lmit=10", "", "", true},
		{"GET", "/v1/events/history?page=1&page=2", "", "", true},
		{"GET", "/v1/channels?page=1", "", "", true},
		{"GET", "/v1/events/upcoming?scheduled=maybe", "", "", true},
		{"GET", "/v1/channels/1", "application/json", `{}`, true},
		{"PATCH", "/v1/channels/1", "application/json", `{"active":1}`, true},
		{"PATCH", "/v1/channels/1", "application/json", `{"active":true,"name":"x"}`, true},
		{"PATCH", "/v1/channels/1", "application/json", `{"Active":true}`, true},
		{"PATCH", "/v1/channels/1", "application/json", `{}`, true},
		{"PATCH", "/v1/channels/1", "", "", true},
		{"PATCH", "/v1/channels/1", "text/plain", `{"active":true}`, true},
		{"PATCH", "/v1/channels/1", "application/json", `{"active":true}x`, true},
		{"PATCH", "/v1/channels/1/meta", "application/json", `{"description":"D"}`, true},
	} {
		t.Run(tc.method+" "+tc.target+" "+tc.body, func(t *testing.T) {
			var pp validate.PathParams
			req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			op, v, _ := spec.Find(tc.method, req.URL.EscapedPath(), &pp)
			if v != nil {
				t.Fatalf("the description has no operation for the request: %v", v)
			}
			vs := spec.CheckRequest(nil, op, &pp, req, []byte(tc.body), validate.CheckOptions{SkipSecurity: true, UnknownQuery: true})
			if said := len(vs) > 0; said != tc.refused {
				t.Fatalf("the description says invalid=%v (%v), the test expects the facade to refuse=%v", said, vs, tc.refused)
			}
			a := send(t, ts, tc.method, tc.target, tc.contentType, tc.body)
			if vs := spec.CheckResponse(nil, op, a.status, a.header, a.body); len(vs) > 0 {
				t.Fatalf("the facade's %d answer breaks its own description: %v\n%s", a.status, vs, a.body)
			}
			facadeRefused := a.status == 400 && !strings.Contains(string(a.body), "is refused") || a.status == 415
			if facadeRefused != tc.refused {
				t.Fatalf("the facade answered %d %s; refused=%v, want %v", a.status, a.body, facadeRefused, tc.refused)
			}
		})
	}

	// A body over the bound is refused with the 413 the description documents (a size is not
	// a rule OpenAPI can state, so the description itself accepts the request).
	big := `{"title":"` + strings.Repeat("x", 300) + `"}`
	req := httptest.NewRequest("PATCH", "/v1/channels/1/meta", strings.NewReader(big))
	var pp validate.PathParams
	op, _, _ := spec.Find("PATCH", req.URL.EscapedPath(), &pp)
	a := send(t, ts, "PATCH", "/v1/channels/1/meta", "application/json", big)
	if a.status != 413 {
		t.Fatalf("status %d for a body over the bound", a.status)
	}
	if vs := spec.CheckResponse(nil, op, a.status, a.header, a.body); len(vs) > 0 {
		t.Fatalf("the 413 breaks the description: %v", vs)
	}
}

func TestAHeadRequestIsAGetWithoutItsBody(t *testing.T) {
	inv := &fakeInvoker{}
	ts := serve(t, testAdapter(), inv, facade.Options{})
	for _, target := range []string{"/v1/channels/42", "/openapi.json"} {
		get := send(t, ts, "GET", target, "", "")
		head := send(t, ts, "HEAD", target, "", "")
		if head.status != 200 || len(head.body) != 0 || head.header.Get("Content-Type") != get.header.Get("Content-Type") ||
			head.header.Get("Content-Length") != get.header.Get("Content-Length") {
			t.Fatalf("HEAD %s: %d %q %v; GET: %v", target, head.status, head.body, head.header, get.header)
		}
	}
	if a := send(t, ts, "HEAD", "/v1/channels/x", "", ""); a.status != 400 || len(a.body) != 0 {
		t.Fatalf("HEAD with a bad id: %d", a.status)
	}
}
