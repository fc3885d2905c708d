package validate

import (
	"math"
	"testing"
)

func TestIntegerLiteralsAreReadExactly(t *testing.T) {
	cases := []struct {
		lit              string
		n                int64
		integer, inRange bool
	}{
		{"0", 0, true, true},
		{"-0", 0, true, true},
		{"123456789012345678", 123456789012345678, true, true},
		{"9223372036854775807", math.MaxInt64, true, true},
		{"-9223372036854775808", math.MinInt64, true, true},
		{"9223372036854775808", 0, true, false},
		{"-9223372036854775809", 0, true, false},
		{"18446744073709551615", 0, true, false},
		{"18446744073709551616", 0, true, false},
		{"99999999999999999999999", 0, true, false},
		{"1.0", 0, false, false},
		{"1e3", 0, false, false},
		{"-1E3", 0, false, false},
	}
	for _, tc := range cases {
		n, integer, inRange := parseIntLiteral([]byte(tc.lit))
		if n != tc.n || integer != tc.integer || inRange != tc.inRange {
			t.Errorf("%s: got %d %v %v, want %d %v %v", tc.lit, n, integer, inRange, tc.n, tc.integer, tc.inRange)
		}
	}
}

func TestIntegersCompareExactlyWithBounds(t *testing.T) {
	cases := []struct {
		n    int64
		f    float64
		want int
	}{
		{1, 1, 0}, {0, 0.5, -1}, {1, 0.5, 1}, {-1, -0.5, -1}, {-1, -1.5, 1},
		{math.MaxInt64, 1 << 63, -1}, {math.MinInt64, -1 << 63, 0}, {math.MinInt64, -1e19, 1},
		{1<<53 + 1, 1 << 53, 1}, // float64(n) would round to 2^53 and call them equal
		{5, math.NaN(), 1},
	}
	for _, tc := range cases {
		if got := cmpIntFloat(tc.n, tc.f); got != tc.want {
			t.Errorf("cmpIntFloat(%d, %v) = %d, want %d", tc.n, tc.f, got, tc.want)
		}
	}
}

func TestDateTimesAreTheOnesGoReads(t *testing.T) {
	for v, want := range map[string]bool{
		"2030-01-01T00:00:00Z":          true,
		"2030-01-01T00:00:00.123+23:59": true,
		"2030-01-01t00:00:00Z":          false,
		"2030-01-01T00:00:00z":          false,
		"2030-06-30T23:59:60Z":          false,
		"2030-02-29T00:00:00Z":          false,
	} {
		if got := isGoDateTime([]byte(v)); got != want {
			t.Errorf("%s: %v, want %v", v, got, want)
		}
	}
}
