package proxy

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the proxy's Prometheus series, on a registry of its own (no global state). Every
// label has a bounded set of values: operations of the spec plus a few fixed buckets (see
// bucket), standard methods, statuses, rules, directions, feeds and causes.
type metrics struct {
	registry       *prometheus.Registry
	requests       *prometheus.CounterVec
	violations     *prometheus.CounterVec
	upstreamErrors *prometheus.CounterVec
	upstreamTime   *prometheus.HistogramVec
	validationTime *prometheus.HistogramVec
	frames         *prometheus.CounterVec
	sockets        *prometheus.GaugeVec
	notValidated   *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{registry: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "restream_proxy_requests_total", Help: "HTTP exchanges proxied, by operation, method and status sent to the client.",
	}, []string{"operation", "method", "status"})
	m.violations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "restream_proxy_violations_total", Help: "Contract violations found, by operation, direction and rule.",
	}, []string{"operation", "direction", "rule"})
	m.upstreamErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "restream_proxy_upstream_errors_total", Help: "Exchanges the upstream failed, by cause.",
	}, []string{"cause"})
	m.upstreamTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "restream_proxy_upstream_duration_seconds", Help: "Time from forwarding a request to the upstream's response headers.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"operation"})
	m.validationTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "restream_proxy_validation_duration_seconds", Help: "Time spent validating, by direction.",
		Buckets: prometheus.ExponentialBuckets(0.000001, 2, 16),
	}, []string{"direction"})
	m.frames = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "restream_proxy_ws_frames_total", Help: "WebSocket frames relayed, by feed and direction.",
	}, []string{"feed", "direction"})
	m.sockets = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "restream_proxy_ws_connections", Help: "Open proxied WebSocket connections, by feed.",
	}, []string{"feed"})
	m.notValidated = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "restream_proxy_not_validated_total", Help: "Bodies forwarded without validation: over the limit, or in a coding the proxy does not decode.",
	}, []string{"direction"})
	m.registry.MustRegister(m.requests, m.violations, m.upstreamErrors, m.upstreamTime, m.validationTime,
		m.frames, m.sockets, m.notValidated, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// request counts one exchange. op is a report bucket (see bucket); the method and status are
// bounded here, since a client makes up methods and an upstream statuses.
func (m *metrics) request(op, method string, status int) {
	code := "other"
	if status >= 100 && status <= 599 {
		code = strconv.Itoa(status)
	}
	m.requests.WithLabelValues(op, methodLabel(method), code).Inc()
}

// methodLabel is the method as a metric label: one of the methods HTTP defines, or OTHER.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodOptions, http.MethodTrace, http.MethodConnect:
		return method
	}
	return "OTHER"
}
