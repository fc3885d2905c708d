package clock

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"
)

const year = 365 * 24 * time.Hour

func TestForwardChecksEachMoveAndTheTotal(t *testing.T) {
	tests := []struct {
		name       string
		start      time.Duration
		seconds    int64
		wantErr    error
		wantOffset time.Duration
	}{
		{"a move of an hour is taken", 0, 3600, nil, time.Hour},
		{"a move of nothing is taken", time.Hour, 0, nil, time.Hour},
		{"a move of exactly ten years is taken", 0, MaxStepSeconds, nil, 10 * year},
		{"a negative move is refused", time.Hour, -1, ErrNegativeStep, time.Hour},
		{"the most negative number is refused", time.Hour, math.MinInt64, ErrNegativeStep, time.Hour},
		{"a move one second over ten years is refused", 0, MaxStepSeconds + 1, ErrStepTooLarge, 0},
		{"the largest number is refused before any arithmetic", 0, math.MaxInt64, ErrStepTooLarge, 0},
		{"a move up to exactly a hundred years ahead is taken", 90 * year, MaxStepSeconds, nil, MaxOffset},
		{"a move one second past a hundred years ahead is refused", MaxOffset, 1, ErrOffsetTooLarge, MaxOffset},
		{"a move past the bound from just under it is refused whole", MaxOffset - time.Second, 2, ErrOffsetTooLarge, MaxOffset - time.Second},
		{"a clock set back may move forward again", -MaxOffset, MaxStepSeconds, nil, -90 * year},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New()
			c.SetOffset(tt.start)
			before := c.Now()
			now, err := c.Forward(tt.seconds)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Forward(%d) error %v, want %v", tt.seconds, err, tt.wantErr)
			}
			if got := c.Offset(); got != tt.wantOffset {
				t.Fatalf("offset %v, want %v", got, tt.wantOffset)
			}
			if now.Before(before) {
				t.Fatalf("Forward moved the clock back from %v to %v", before, now)
			}
		})
	}
}

func TestAdvanceSaturatesInsteadOfWrapping(t *testing.T) {
	tests := []struct {
		name  string
		moves []time.Duration
		want  time.Duration
	}{
		{"thirty moves of ten years stop at a hundred years", repeat(30, 10*year), MaxOffset},
		{"the largest duration stops at a hundred years", []time.Duration{math.MaxInt64}, MaxOffset},
		{"the smallest duration stops a hundred years back", []time.Duration{math.MinInt64}, -MaxOffset},
		{"a move back from the bound is exact", []time.Duration{math.MaxInt64, -time.Hour}, MaxOffset - time.Hour},
		{"ordinary moves add up", []time.Duration{time.Hour, -30 * time.Minute}, 30 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New()
			for _, d := range tt.moves {
				c.Advance(d)
			}
			if got := c.Offset(); got != tt.want {
				t.Fatalf("offset %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSetOffsetIsBounded(t *testing.T) {
	c := New()
	c.SetOffset(math.MaxInt64)
	if c.Offset() != MaxOffset {
		t.Fatalf("offset %v, want %v", c.Offset(), MaxOffset)
	}
	c.SetOffset(math.MinInt64)
	if c.Offset() != -MaxOffset {
		t.Fatalf("offset %v, want %v", c.Offset(), -MaxOffset)
	}
}

func TestConcurrentForwardMovesNeverPassTheBoundTogether(t *testing.T) {
	c := New()
	c.SetOffset(MaxOffset - 10*time.Second)
	var wg sync.WaitGroup
	var mu sync.Mutex
	taken := 0
	for range 50 {
		wg.Go(func() {
			if _, err := c.Forward(1); err == nil {
				mu.Lock()
				taken++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if taken != 10 || c.Offset() != MaxOffset {
		t.Fatalf("%d moves taken, offset %v; want 10 and %v", taken, c.Offset(), MaxOffset)
	}
}

func repeat(n int, d time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}
