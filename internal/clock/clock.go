// Package clock is the one source of time for the mock. It reads real time plus an offset
// that tests and the control API can move, so that tokens, codes and replay windows can be
// expired on demand without sleeping.
package clock

import (
	"sync/atomic"
	"time"
)

// Clock is real time shifted by an adjustable offset. The zero value is ready to use and
// reads real time. It is safe for concurrent use.
type Clock struct {
	offset atomic.Int64 // nanoseconds added to time.Now
}

// New returns a clock that reads real time.
func New() *Clock { return &Clock{} }

// Now returns the current mock time.
func (c *Clock) Now() time.Time {
	return time.Now().Add(time.Duration(c.offset.Load()))
}

// Advance moves the clock forward by d (backward if d is negative) and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.offset.Add(int64(d))
	return c.Now()
}

// Offset reports how far the clock is from real time.
func (c *Clock) Offset() time.Duration { return time.Duration(c.offset.Load()) }

// SetOffset places the clock at real time plus d.
func (c *Clock) SetOffset(d time.Duration) { c.offset.Store(int64(d)) }
