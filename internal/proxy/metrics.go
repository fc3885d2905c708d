package proxy

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the proxy's Prometheus series, on a registry of its own (no global state).
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
		Name: "restream_proxy_not_validated_total", Help: "Bodies forwarded without validation because they were over the limit.",
	}, []string{"direction"})
	m.registry.MustRegister(m.requests, m.violations, m.upstreamErrors, m.upstreamTime, m.validationTime,
		m.frames, m.sockets, m.notValidated, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

func (m *metrics) request(op, method string, status int) {
	m.requests.WithLabelValues(op, method, strconv.Itoa(status)).Inc()
}
