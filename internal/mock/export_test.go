package mock

import (
	"net/http"
	"net/url"
)

// CaptureWriter lets the external tests record answers with the gate's own capture (see
// recordNames in errornames_sent_test.go).
type CaptureWriter = captureWriter

// NewCaptureWriter wraps w.
func NewCaptureWriter(w http.ResponseWriter) *CaptureWriter { return &captureWriter{ResponseWriter: w} }

// Captured returns the status and the body written so far.
func (w *captureWriter) Captured() (int, []byte) { return w.status, w.data }

// ParseRequestFilter runs the Requests page's filter parser on q and returns the filter it
// took, written back as a query, for the fuzz target.
func ParseRequestFilter(q url.Values, known func(string) bool) (string, error) {
	f, err := parseRequestFilter(q, known)
	return f.query(), err
}
