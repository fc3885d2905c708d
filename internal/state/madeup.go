package state

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// What the store makes up for a user who was given none: fixtures that leave a user's stream key
// or web chat out, and users added at run time. Each value is derived from the user id, so it is
// the same at every start and in every run, as CI snapshots need; the fixture keys are public
// anyway, so being guessable costs nothing.

// madeUp returns 32 hex digits derived from a purpose and a user id.
func madeUp(purpose string, user int64) string {
	sum := sha256.Sum256([]byte("restreamkit " + purpose + " " + strconv.FormatInt(user, 10)))
	return hex.EncodeToString(sum[:16])
}

// MadeUpStreamKey is the RTMP stream key of a user given none: re_<id>_<32 hex digits>, the shape
// of Restream's keys.
func MadeUpStreamKey(user int64) string {
	return "re_" + strconv.FormatInt(user, 10) + "_" + madeUp("stream key", user)
}

// MadeUpWebchatURL is the embeddable chat of a user given none, with a version 4 UUID token.
func MadeUpWebchatURL(user int64) string {
	h := []byte(madeUp("webchat", user))
	h[12] = '4'
	h[16] = "89ab"[h[16]%4]
	return "https://chat.restream.io/embed?token=" + string(h[0:8]) + "-" + string(h[8:12]) + "-" +
		string(h[12:16]) + "-" + string(h[16:20]) + "-" + string(h[20:32])
}
