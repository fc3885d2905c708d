package upstream_test

import (
	"context"
	"fmt"
	"net/url"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
	"github.com/restreamkit/restreamkit/internal/report"
	"github.com/restreamkit/restreamkit/restreamtest"
)

// A gateway builds one Client for all its routes and tools, pointed at the mock with BaseURL,
// and registers its metrics on the registry it serves at /metrics.
func Example() {
	rs, err := restreamtest.Start()
	if err != nil {
		panic(err)
	}
	defer rs.Close()

	// One call of a plan, as the capability loader builds it: list-platforms, mapped to names.
	restream := &capability.API{Namespace: "restream", BaseURL: &url.URL{Scheme: "https", Host: "api.restream.io", Path: "/v2"}}
	op := &capability.Op{API: restream, Name: "list-platforms", Method: "GET", Path: "/platform/all", SpecPath: "/v2/platform/all"}
	call := &capability.Call{Name: "mcp list-platforms", Op: op, Outputs: []*capability.Mapping{
		{Type: "array", Path: "$[0:2]", Items: &capability.Mapping{Type: "string", Path: "$.name"}},
	}}

	metrics := upstream.NewMetrics([]string{call.Name}) // upstream.CallNames(plan) in the gateway
	prometheus.NewRegistry().MustRegister(metrics)
	base, _ := url.Parse(rs.URL + "/v2")
	c, err := upstream.New(upstream.Options{BaseURL: base, Metrics: metrics, Report: report.New(nil)})
	if err != nil {
		panic(err)
	}
	defer c.CloseIdleConnections()

	res, err := c.Invoke(context.Background(), call, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.Mapped, res.Violations, string(res.Body))
	// Output: 200 true 0 ["Twitch","Youtube"]
}
