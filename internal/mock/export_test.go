package mock

import "net/http"

// CaptureWriter lets the external tests record answers with the gate's own capture (see
// recordNames in errornames_sent_test.go).
type CaptureWriter = captureWriter

// NewCaptureWriter wraps w.
func NewCaptureWriter(w http.ResponseWriter) *CaptureWriter { return &captureWriter{ResponseWriter: w} }

// Captured returns the status and the body written so far.
func (w *captureWriter) Captured() (int, []byte) { return w.status, w.body.Bytes() }
