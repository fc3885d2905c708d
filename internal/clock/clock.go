// Package clock is the one source of time for the mock. It reads real time plus an offset
// that tests and the control API can move, so that tokens, codes and replay windows can be
// expired on demand without sleeping.
//
// The package also owns the bounds of that offset. A time.Duration holds about 292 years, so an
// offset moved without bounds wraps around to the past and revives every expired token; the
// offset therefore never leaves ±MaxOffset, and the control API's moves go through Forward,
// which checks a client's number before any arithmetic.
package clock

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Bounds of the mock clock. Ten years per move is more than any token lifetime (a refresh token
// lives one year) and a hundred years in all is more than any test needs, while staying far
// from the ~292 years a time.Duration can hold.
const (
	// MaxStepSeconds is the largest single forward move, in seconds: ten years of 365 days
	// (315,360,000 s). The control API's spec states the same maximum.
	MaxStepSeconds = 10 * 365 * 24 * 60 * 60
	// MaxOffset is how far the clock may ever be from real time, either way: a hundred years
	// of 365 days (3,153,600,000 s).
	MaxOffset = 100 * 365 * 24 * time.Hour
)

// ErrNegativeStep, ErrStepTooLarge and ErrOffsetTooLarge are the reasons Forward refuses a move.
// The clock is unchanged when Forward returns one of them.
var (
	ErrNegativeStep   = errors.New("the clock only moves forward")
	ErrStepTooLarge   = fmt.Errorf("a move is at most %d seconds (ten years)", MaxStepSeconds)
	ErrOffsetTooLarge = fmt.Errorf("the clock is never more than %d seconds (a hundred years) ahead of real time", int64(MaxOffset/time.Second))
)

// Clock is real time shifted by an adjustable offset. The zero value is ready to use and
// reads real time. It is safe for concurrent use.
type Clock struct {
	offset atomic.Int64 // nanoseconds added to time.Now, always within ±MaxOffset
}

// New returns a clock that reads real time.
func New() *Clock { return &Clock{} }

// Now returns the current mock time.
func (c *Clock) Now() time.Time {
	return time.Now().Add(time.Duration(c.offset.Load()))
}

// Forward moves the clock forward by seconds, a number from a client, and returns the new time.
// It refuses, leaving the clock unchanged, a negative move (ErrNegativeStep), a move over
// MaxStepSeconds (ErrStepTooLarge) and one that would put the clock more than MaxOffset ahead of
// real time (ErrOffsetTooLarge). The bounds are checked before any arithmetic, and the move is
// atomic: concurrent moves never push the offset past the bound together.
func (c *Clock) Forward(seconds int64) (time.Time, error) {
	switch {
	case seconds < 0:
		return c.Now(), ErrNegativeStep
	case seconds > MaxStepSeconds:
		return c.Now(), ErrStepTooLarge
	}
	d := int64(time.Duration(seconds) * time.Second) // at most ten years: no overflow
	for {
		old := c.offset.Load()
		if old > int64(MaxOffset)-d {
			return c.Now(), ErrOffsetTooLarge
		}
		if c.offset.CompareAndSwap(old, old+d) {
			return c.Now(), nil
		}
	}
}

// Advance moves the clock by d, backward if d is negative, and returns the new time. It is for
// tests and trusted callers; the offset saturates at ±MaxOffset instead of wrapping around.
// Numbers from clients go through Forward, which refuses what Advance would clamp.
func (c *Clock) Advance(d time.Duration) time.Time {
	for {
		old := c.offset.Load()
		if c.offset.CompareAndSwap(old, clamp(old, int64(d))) {
			return c.Now()
		}
	}
}

// clamp returns old+d bounded to ±MaxOffset, without overflowing on the way.
func clamp(old, d int64) int64 {
	const limit = int64(MaxOffset)
	switch {
	case d > 0 && old > limit-d:
		return limit
	case d < 0 && old < -limit-d:
		return -limit
	}
	return old + d
}

// Offset reports how far the clock is from real time.
func (c *Clock) Offset() time.Duration { return time.Duration(c.offset.Load()) }

// SetOffset places the clock at real time plus d, bounded to ±MaxOffset.
func (c *Clock) SetOffset(d time.Duration) { c.offset.Store(clamp(0, int64(d))) }
