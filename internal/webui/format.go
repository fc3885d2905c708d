package webui

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"time"
)

// Funcs are the formatting functions the layout and the pages use, by the names templates call
// them: duration, clock, ago, count and bytes. Pages add their own with template.Funcs.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"duration": Duration,
		"clock":    Clock,
		"ago":      Ago,
		"count":    Count,
		"bytes":    Bytes,
	}
}

// Duration says how long something took the way a person reads it: "850 µs", "12 ms", "1.5 s",
// "3 min 4 s", "2 h 5 min". Precision shrinks as the value grows, because nobody reads the
// milliseconds of an hour.
func Duration(d time.Duration) string {
	neg := ""
	if d < 0 {
		neg = "-"
		if d == math.MinInt64 {
			d = math.MaxInt64
		} else {
			d = -d
		}
	}
	switch {
	case d < time.Millisecond:
		return neg + strconv.FormatInt(d.Microseconds(), 10) + " µs"
	case d < time.Second:
		return neg + strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	case d < 10*time.Second:
		return neg + strconv.FormatFloat(math.Floor(d.Seconds()*10)/10, 'f', 1, 64) + " s"
	case d < time.Minute:
		return neg + strconv.FormatInt(int64(d/time.Second), 10) + " s"
	case d < time.Hour:
		return fmt.Sprintf("%s%d min %d s", neg, d/time.Minute, d%time.Minute/time.Second)
	default:
		return fmt.Sprintf("%s%s h %d min", neg, Count(int64(d/time.Hour)), d%time.Hour/time.Minute)
	}
}

// Clock is a time of day, "14:03:07", in the time's own zone; the zero time is "—".
func Clock(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("15:04:05")
}

// Ago says how far t is from now: "just now", "3 s ago", "5 min ago", "in 2 h"; the zero time
// is "—". Pages pass their own now (the mock's clock), so a moved clock reads right.
func Ago(now, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := now.Sub(t)
	future := d < 0
	if future {
		d = t.Sub(now)
	}
	if d < time.Second {
		return "just now"
	}
	var s string
	switch {
	case d < time.Minute:
		s = strconv.FormatInt(int64(d/time.Second), 10) + " s"
	case d < time.Hour:
		s = strconv.FormatInt(int64(d/time.Minute), 10) + " min"
	case d < 48*time.Hour:
		s = strconv.FormatInt(int64(d/time.Hour), 10) + " h"
	default:
		s = Count(int64(d/(24*time.Hour))) + " d"
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// Count writes an integer with thousands separators: "12,345", "-1,000".
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return sign + string(out)
}

// Bytes writes a size in binary units: "512 B", "1.2 KiB", "1.2 MiB", "3.0 GiB". It truncates
// rather than rounds, so that a value just under a limit never reads as the limit.
func Bytes(n int64) string {
	if n < 0 {
		return "-" + Bytes(-max(n, -math.MaxInt64))
	}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for i < len(units)-1 && n>>(10*(i+2)) > 0 {
		i++
	}
	// Integer arithmetic: a float64 would round 2^63-1 up to 8.0 EiB.
	whole := n >> (10 * (i + 1))
	tenths := (n >> (10 * i) & 1023) * 10 / 1024
	return strconv.FormatInt(whole, 10) + "." + strconv.FormatInt(tenths, 10) + " " + units[i]
}
