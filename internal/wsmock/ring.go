package wsmock

import "time"

// stamped is a published frame with the mock time it was published at.
type stamped struct {
	at    time.Time
	frame []byte
}

// ring is a user's replay buffer: frames in publication order, bounded in count. The zero value
// is empty. It is guarded by its hub's lock.
type ring struct {
	buf   []stamped // circular; grows up to the limit
	start int       // index of the oldest frame
	n     int       // frames held
}

// push appends a frame, dropping the oldest when the ring holds limit frames, and drops frames
// published before cutoff, which no socket can be sent any more: the ring then holds only what
// a replay may need.
func (r *ring) push(at time.Time, frame []byte, limit int, cutoff time.Time) {
	for r.n > 0 && r.buf[r.start].at.Before(cutoff) {
		r.pop()
	}
	if r.n == limit {
		r.pop()
	}
	if r.n == len(r.buf) { // full below the limit: grow, unrolling the circle
		grown := make([]stamped, max(min(2*len(r.buf), limit), 16))
		grown = grown[:min(len(grown), limit)]
		for i := range r.n {
			grown[i] = r.buf[(r.start+i)%len(r.buf)]
		}
		r.buf, r.start = grown, 0
	}
	r.buf[(r.start+r.n)%len(r.buf)] = stamped{at: at, frame: frame}
	r.n++
}

func (r *ring) pop() {
	r.buf[r.start] = stamped{} // let the frame be collected
	r.start = (r.start + 1) % len(r.buf)
	r.n--
}

// since returns the frames published at or after cutoff, oldest first. Publication order is
// kept even if the mock clock was moved backwards in between: a frame is replayed when its own
// stamp is recent enough.
func (r *ring) since(cutoff time.Time) [][]byte {
	var out [][]byte
	for i := range r.n {
		s := r.buf[(r.start+i)%len(r.buf)]
		if !s.at.Before(cutoff) {
			out = append(out, s.frame)
		}
	}
	return out
}

// len reports how many frames the ring holds.
func (r *ring) len() int { return r.n }
