package apierror

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
)

// Names of the envelopes a failure to reach an upstream becomes (502, or 504 for a timeout).
const (
	NameUpstreamUnavailable = "upstream_unavailable"
	NameUpstreamTimeout     = "upstream_timeout"
	NameUpstreamTLS         = "upstream_tls_error"
	NameUpstreamReset       = "upstream_reset"
	NameUpstreamError       = "upstream_error"
)

// Transport classifies the error of a round trip to an upstream (restream-proxy's forward,
// restream-gateway's call) into the envelope its client gets, and names the cause for metrics
// and logs: timeout (504), tls, refused, dns, reset or other (502). Both programs classify
// with it, so that the same failure has the same name everywhere.
func Transport(err error) (e *Error, cause string) {
	var tlsErr *tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var netErr net.Error
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return New(http.StatusGatewayTimeout, NameUpstreamTimeout, "Gateway timeout: the upstream did not answer in time"), "timeout"
	case errors.As(err, &tlsErr) || errors.As(err, &certErr) || errors.As(err, &unknownCA) || errors.As(err, &hostErr) ||
		strings.Contains(err.Error(), "tls: "):
		return New(http.StatusBadGateway, NameUpstreamTLS, "Bad gateway: the TLS handshake with the upstream failed"), "tls"
	case errors.Is(err, syscall.ECONNREFUSED):
		return New(http.StatusBadGateway, NameUpstreamUnavailable, "Bad gateway: the upstream refused the connection"), "refused"
	case errors.As(err, &dnsErr):
		return New(http.StatusBadGateway, NameUpstreamUnavailable, "Bad gateway: the upstream host cannot be resolved"), "dns"
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET):
		return New(http.StatusBadGateway, NameUpstreamReset, "Bad gateway: the upstream closed the connection mid-response"), "reset"
	}
	return New(http.StatusBadGateway, NameUpstreamError, "Bad gateway: the upstream failed"), "other"
}
