//go:build linux

package main

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

// serverFrame builds an unmasked frame as a server sends it (RFC 6455 §5.2).
func serverFrame(b0 byte, payload []byte) []byte {
	var out []byte
	switch n := len(payload); {
	case n < 126:
		out = []byte{b0, byte(n)}
	case n <= 0xFFFF:
		out = binary.BigEndian.AppendUint16([]byte{b0, 126}, uint16(n))
	default:
		out = binary.BigEndian.AppendUint64([]byte{b0, 127}, uint64(n))
	}
	return append(out, payload...)
}

func TestParseFrameReadsEachLengthEncodingAndWaitsForTheRest(t *testing.T) {
	for _, n := range []int{0, 125, 126, 0xFFFF, 0x10000} {
		payload := bytes.Repeat([]byte{'x'}, n)
		fr := serverFrame(0x81, payload)
		got, op, size, ok := parseFrame(append(fr, 0x81, 0)) // followed by the next frame
		if !ok || op != 0x1 || size != len(fr) || !bytes.Equal(got, payload) {
			t.Errorf("%d-byte payload: got %d bytes, opcode %#x, size %d, ok %v; want the payload, text, size %d",
				n, len(got), op, size, ok, len(fr))
		}
		for cut := range min(len(fr), 12) {
			if _, _, size, ok := parseFrame(fr[:cut]); ok || size != 0 {
				t.Errorf("%d-byte payload cut at %d: ok %v, size %d; want an incomplete frame", n, cut, ok, size)
			}
		}
	}
}

func TestParseFrameRefusesWhatAServerMustNotSendOrThisReaderDoesNotTake(t *testing.T) {
	for name, fr := range map[string][]byte{
		"masked":        {0x81, 0x80 | 1, 1, 2, 3, 4, 'x'},
		"fragmented":    serverFrame(0x01, []byte("x")),
		"reserved bits": serverFrame(0xC1, []byte("x")),
		"over 1 MiB":    binary.BigEndian.AppendUint64([]byte{0x81, 127}, 1<<20+1),
	} {
		if _, _, size, _ := parseFrame(fr); size != -1 {
			t.Errorf("%s frame: size %d, want -1 (refused)", name, size)
		}
	}
}

func TestConsumeRecordsEventsAcrossReadsAndAnswersPings(t *testing.T) {
	rec := newRecorder(1)
	r := &epollReader{rec: rec}
	s := &epollSocket{fd: -1}
	event := serverFrame(0x81, []byte(`{"action":"event","payload":{"eventIdentifier":"e-1"}}`))
	stream := append(serverFrame(0x81, []byte(`{"action":"connection_info"}`)), event...)
	stream = append(stream, serverFrame(0x8A, nil)...) // a pong, ignored
	for i := range stream {                            // one byte per read
		if !r.consume(s, stream[i:i+1], time.Now()) {
			t.Fatalf("byte %d refused", i)
		}
	}
	if n := len(rec.at["e-1"]); n != 1 {
		t.Errorf("event e-1 recorded %d times, want once", n)
	}
	if len(s.pending) != 0 {
		t.Errorf("%d bytes left pending after whole frames", len(s.pending))
	}
	if r.consume(s, serverFrame(0x82, []byte("binary")), time.Now()) {
		t.Error("a binary frame was accepted")
	}
}

func FuzzParseFrame(f *testing.F) {
	f.Add(serverFrame(0x81, []byte(`{"action":"event"}`)))
	f.Add(serverFrame(0x81, bytes.Repeat([]byte{'x'}, 300)))
	f.Add([]byte{0x81, 127, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{0x89, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		payload, _, size, ok := parseFrame(data)
		if ok && (size < 2 || size > len(data) || len(payload) > size) {
			t.Fatalf("size %d, payload %d bytes, of %d bytes", size, len(payload), len(data))
		}
	})
}
