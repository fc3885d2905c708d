package randid_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/restreamkit/restreamkit/internal/randid"
)

func TestUUIDsAreVersion4AndFollowTheSeed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		a, b   uint64
		repeat bool
	}{
		{"the same seed gives the same ids", 9, 9, true},
		{"another seed gives other ids", 9, 10, false},
		{"seed 0 gives random ids", 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ra, rb := randid.NewRand(tc.a), randid.NewRand(tc.b)
			a, b := randid.UUID(ra), randid.UUID(rb)
			for _, s := range []string{a, b} {
				if u, err := uuid.Parse(s); err != nil || u.Version() != 4 || u.Variant() != uuid.RFC4122 {
					t.Fatalf("%s is not a version 4 UUID: %v", s, err)
				}
			}
			if (a == b) != tc.repeat {
				t.Fatalf("%s and %s; want equal: %v", a, b, tc.repeat)
			}
		})
	}
}

func TestDerivedSeedsKeepZeroRandomAndPartPurposes(t *testing.T) {
	for _, tc := range []struct {
		name string
		seed uint64
		a, b string
		same bool
	}{
		{"zero stays zero, random", 0, "chat", "streams", true},
		{"one purpose gives one seed", 5, "chat", "chat", true},
		{"two purposes give two seeds", 5, "chat", "streams", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := randid.Derive(tc.seed, tc.a), randid.Derive(tc.seed, tc.b)
			if tc.seed == 0 && a != 0 {
				t.Fatalf("Derive(0) = %d, want 0", a)
			}
			if (a == b) != tc.same {
				t.Fatalf("%d and %d; want equal: %v", a, b, tc.same)
			}
		})
	}
}

func TestASourceRepeatsItsSeed(t *testing.T) {
	a, b := randid.NewSource(3), randid.NewSource(3)
	ka, kb := make([]byte, 12), make([]byte, 12)
	a.Read(ka)
	b.Read(kb)
	if string(ka) != string(kb) || a.UUID() != b.UUID() {
		t.Fatal("two sources seeded alike drew different values")
	}
}
