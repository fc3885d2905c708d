package wsmock

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRingKeepsFramesInOrderWithinItsLimitAndWindow(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	tests := []struct {
		name   string
		limit  int
		pushes []int // the second each frame is published at; frame i is "i"
		window time.Duration
		since  int // replay cutoff, in seconds
		want   string
		held   int
	}{
		{"an empty ring replays nothing", 4, nil, time.Hour, 0, "", 0},
		{"frames inside the window are replayed in order", 4, []int{0, 1, 2}, time.Hour, 0, "0,1,2", 3},
		{"the oldest frames go when the limit is reached", 3, []int{0, 1, 2, 3, 4}, time.Hour, 0, "2,3,4", 3},
		{"the ring grows past its first allocation", 100, seq(40), time.Hour, 0, strings.Join(strs(40), ","), 40},
		{"the ring wraps around many times", 5, seq(23), time.Hour, 0, "18,19,20,21,22", 5},
		{"frames older than the cutoff are not replayed", 10, []int{0, 10, 20, 30}, time.Hour, 15, "2,3", 4},
		{"a frame exactly at the cutoff is replayed", 10, []int{0, 10, 20}, time.Hour, 10, "1,2", 3},
		{"frames out of the window are dropped on push", 10, []int{0, 10, 100, 130}, time.Minute, 0, "2,3", 2},
		{"a clock moved back keeps publication order", 10, []int{50, 40, 60}, time.Hour, 45, "0,2", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r ring
			for i, s := range tt.pushes {
				r.push(at(s), []byte(strconv.Itoa(i)), tt.limit, at(s).Add(-tt.window))
			}
			var got []string
			for _, f := range r.since(at(tt.since)) {
				got = append(got, string(f))
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("replayed %v, want %s", got, tt.want)
			}
			if r.len() != tt.held || len(r.buf) > tt.limit {
				t.Errorf("holds %d frames in %d slots, want %d frames within the limit %d", r.len(), len(r.buf), tt.held, tt.limit)
			}
		})
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func strs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}
