package upstream

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// OtherCall is the call label of every call whose name was not given to NewMetrics, so that the
// label set stays the plan's whatever calls are made.
const OtherCall = "other"

// Metrics are the invoker's Prometheus series. Every label has a bounded set of values: call
// names fixed by NewMetrics (the plan's) plus OtherCall; outcomes (status classes 2xx..5xx and
// other, invalid_args, and the *Error names); the validator's directions and rules.
//
// Metrics is a prometheus.Collector: register it on the gateway's registry,
// reg.MustRegister(m), and serve that registry at /metrics.
type Metrics struct {
	known      map[string]bool
	calls      *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	upstream   *prometheus.HistogramVec
	violations *prometheus.CounterVec
}

// NewMetrics returns the series for calls named in names (CallNames of the plan).
func NewMetrics(names []string) *Metrics {
	m := &Metrics{known: make(map[string]bool, len(names))}
	for _, n := range names {
		m.known[n] = true
	}
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "restream_gateway_upstream_calls_total",
		Help: "Upstream calls by route or tool and outcome: the upstream's status class, or why there was no answer (invalid_args, request_refused, upstream_timeout...).",
	}, []string{"call", "outcome"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "restream_gateway_upstream_call_duration_seconds",
		Help:    "Time of a whole call, from the caller's arguments to the shaped answer or the error.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"call"})
	m.upstream = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "restream_gateway_upstream_duration_seconds",
		Help:    "Time from sending a request upstream to the end of its answer's body.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"call"})
	m.violations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "restream_gateway_upstream_violations_total",
		Help: "Ways upstream calls and their answers departed from the spec, by call, direction and rule.",
	}, []string{"call", "direction", "rule"})
	for n := range m.known { // a call that never ran shows as 0, not as missing
		m.duration.WithLabelValues(n)
	}
	return m
}

// CallNames returns the names of every call of a plan (its REST routes' and MCP tools'), the
// label values NewMetrics should know.
func CallNames(p *capability.Plan) []string {
	var names []string
	seen := map[string]bool{}
	add := func(c *capability.Call) {
		if c != nil && !seen[c.Name] {
			seen[c.Name] = true
			names = append(names, c.Name)
		}
	}
	for _, a := range p.REST {
		for _, r := range a.Routes {
			add(r.Call)
		}
	}
	for _, a := range p.MCP {
		for _, t := range a.Tools {
			add(t.Call)
		}
	}
	return names
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.calls.Describe(ch)
	m.duration.Describe(ch)
	m.upstream.Describe(ch)
	m.violations.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.calls.Collect(ch)
	m.duration.Collect(ch)
	m.upstream.Collect(ch)
	m.violations.Collect(ch)
}

func (m *Metrics) label(name string) string {
	if m.known[name] {
		return name
	}
	return OtherCall
}

func (m *Metrics) call(name, outcome string, took time.Duration) {
	l := m.label(name)
	m.calls.WithLabelValues(l, outcome).Inc()
	m.duration.WithLabelValues(l).Observe(took.Seconds())
}

func (m *Metrics) upstreamTime(name string, took time.Duration) {
	m.upstream.WithLabelValues(m.label(name)).Observe(took.Seconds())
}

func (m *Metrics) violation(name string, v validate.Violation) {
	m.violations.WithLabelValues(m.label(name), string(v.Direction), string(v.Rule)).Inc()
}
