package webui_test

import (
	"math"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/webui"
)

func TestDurationsReadAsAPersonSaysThem(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0 µs"},
		{850 * time.Microsecond, "850 µs"},
		{12 * time.Millisecond, "12 ms"},
		{12*time.Millisecond + 900*time.Microsecond, "12 ms"},
		{999 * time.Millisecond, "999 ms"},
		{1500 * time.Millisecond, "1.5 s"},
		{9999 * time.Millisecond, "9.9 s"},
		{42 * time.Second, "42 s"},
		{3*time.Minute + 4*time.Second, "3 min 4 s"},
		{2*time.Hour + 5*time.Minute, "2 h 5 min"},
		{-12 * time.Millisecond, "-12 ms"},
		{math.MinInt64, "-2,562,047 h 47 min"},
	} {
		if got := webui.Duration(tc.in); got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestClockShowsTheTimeOfDayAndADashForNoTime(t *testing.T) {
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 12, 1, 14, 3, 7, 999, time.UTC), "14:03:07"},
		{time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), "00:00:00"},
		{time.Time{}, "—"},
	} {
		if got := webui.Clock(tc.in); got != tc.want {
			t.Errorf("Clock(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAgoSaysHowFarATimeIsFromNowBothWays(t *testing.T) {
	now := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{now, "just now"},
		{now.Add(-999 * time.Millisecond), "just now"},
		{now.Add(-3 * time.Second), "3 s ago"},
		{now.Add(-5*time.Minute - 59*time.Second), "5 min ago"},
		{now.Add(-3 * time.Hour), "3 h ago"},
		{now.Add(-1500 * 24 * time.Hour), "1,500 d ago"},
		{now.Add(2 * time.Hour), "in 2 h"},
		{now.Add(30 * time.Second), "in 30 s"},
		{time.Time{}, "—"},
	} {
		if got := webui.Ago(now, tc.in); got != tc.want {
			t.Errorf("Ago(now, now%+v) = %q, want %q", tc.in.Sub(now), got, tc.want)
		}
	}
}

func TestCountsHaveThousandsSeparators(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {12345, "12,345"}, {1234567, "1,234,567"},
		{-1000, "-1,000"}, {-999, "-999"}, {math.MaxInt64, "9,223,372,036,854,775,807"},
		{math.MinInt64, "-9,223,372,036,854,775,808"},
	} {
		if got := webui.Count(tc.in); got != tc.want {
			t.Errorf("Count(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestBytesUseBinaryUnitsAndNeverRoundUpToALimit(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{0, "0 B"}, {512, "512 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1229, "1.2 KiB"},
		{4096, "4.0 KiB"}, {4095, "3.9 KiB"}, {1 << 20, "1.0 MiB"}, {1<<20 + 1<<18, "1.2 MiB"},
		{3 << 30, "3.0 GiB"}, {-2048, "-2.0 KiB"}, {math.MaxInt64, "7.9 EiB"}, {math.MinInt64, "-7.9 EiB"},
	} {
		if got := webui.Bytes(tc.in); got != tc.want {
			t.Errorf("Bytes(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
