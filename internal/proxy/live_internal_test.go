package proxy

import (
	"bytes"
	"fmt"
	"testing"
)

func liveOf(id string, body int) *liveExchange {
	return &liveExchange{id: id, kind: kindHTTP, resBody: bytes.Repeat([]byte("x"), body)}
}

func TestTheRingKeepsTheNewestExchangesUpToItsCount(t *testing.T) {
	r := newLiveRing(3, 1<<20)
	for i := range 5 {
		r.add(liveOf(fmt.Sprint(i), 0))
	}
	xs, next, missed := r.since(0, 10)
	var ids []string
	for _, x := range xs {
		ids = append(ids, x.id)
	}
	if fmt.Sprint(ids) != "[2 3 4]" || next != 5 || missed != 2 {
		t.Fatalf("kept %v, next %d, missed %d; want [2 3 4], 5, 2", ids, next, missed)
	}
	if r.at(1) != nil || r.at(4) == nil || r.at(4).id != "4" || r.at(5) != nil {
		t.Fatal("at returns an evicted or future exchange, or misses a kept one")
	}
}

func TestTheRingEvictsTheOldestToStayWithinItsBytes(t *testing.T) {
	one := liveOf("0", 1000).bytes() // every id below is one byte
	r := newLiveRing(100, 3*one)
	for i := range 5 {
		r.add(liveOf(fmt.Sprint(i), 1000))
	}
	if n, b := r.stats(); n != 3 || b > 3*one {
		t.Fatalf("%d exchanges in %d bytes; want 3 in at most %d", n, b, 3*one)
	}
	// An exchange larger than the whole budget is still kept, alone: the newest is always shown.
	r.add(liveOf("big", 10*one))
	if n, _ := r.stats(); n != 1 || r.at(5).id != "big" {
		t.Fatalf("after an oversized exchange: %d kept", n)
	}
}

func TestAKeptBodyIsCutAndNeverPinsALargerArray(t *testing.T) {
	big := make([]byte, 10*LiveBodyBytes)
	kept, cut := keepBody(big, false)
	if len(kept) != LiveBodyBytes || cap(kept) != LiveBodyBytes || cut != 9*LiveBodyBytes {
		t.Fatalf("kept %d (cap %d), cut %d", len(kept), cap(kept), cut)
	}
	pooled := []byte("pooled")
	kept, _ = keepBody(pooled, true)
	pooled[0] = 'X'
	if string(kept) != "pooled" {
		t.Fatalf("a shared buffer was kept by reference: %q", kept)
	}
}

func TestSinceReportsWhatASlowReaderMissed(t *testing.T) {
	r := newLiveRing(4, 1<<20)
	for i := range 10 {
		r.add(liveOf(fmt.Sprint(i), 0))
	}
	xs, next, missed := r.since(3, 2)
	if len(xs) != 2 || xs[0].id != "8" || next != 10 || missed != 5 {
		t.Fatalf("got %d from %q, next %d, missed %d; want 2 from 8, 10, 5", len(xs), xs[0].id, next, missed)
	}
}
