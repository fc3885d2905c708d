// Package randid owns the mock's seedable randomness: the generators of the simulators and the
// ids (UUIDs, key bytes) that reach the feeds' frames and the REST answers, so that one seed
// (restream-mock --seed) makes a run repeatable for CI snapshots.
package randid

import (
	"crypto/rand"
	"encoding/binary"
	"hash/fnv"
	mrand "math/rand/v2"
	"sync"

	"github.com/google/uuid"
)

// NewRand returns a generator seeded with seed, or randomly when seed is 0. It is not safe for
// concurrent use: its owner guards it.
func NewRand(seed uint64) *mrand.Rand {
	if seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	return mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// UUID returns a version 4 UUID drawn from r, so that a seeded r gives the same ids in the same
// order.
func UUID(r *mrand.Rand) string {
	var u uuid.UUID
	binary.LittleEndian.PutUint64(u[:8], r.Uint64())
	binary.LittleEndian.PutUint64(u[8:], r.Uint64())
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u.String()
}

// Source is a generator safe for concurrent use, for owners without a lock of their own.
type Source struct {
	mu sync.Mutex
	r  *mrand.Rand
}

// NewSource returns a Source seeded with seed, or randomly when seed is 0.
func NewSource(seed uint64) *Source { return &Source{r: NewRand(seed)} }

// UUID returns the next version 4 UUID.
func (s *Source) UUID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return UUID(s.r)
}

// Read fills b with the next bytes.
func (s *Source) Read(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range b {
		b[i] = byte(s.r.Uint32())
	}
}

// Derive returns the seed of one of several generators run from one user-given seed, so that
// they do not draw the same numbers: 0 (random) stays 0, and distinct purposes give distinct,
// repeatable seeds.
func Derive(seed uint64, purpose string) uint64 {
	if seed == 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(purpose))
	x := seed ^ h.Sum64()
	// splitmix64's finalizer spreads nearby seeds apart.
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return x | 1
}
