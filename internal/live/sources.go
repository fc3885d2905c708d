package live

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
)

// Chat event sources (eventSourceId), facts §5.2.
const (
	SourceRestream        = 1 // common replies to every connection
	SourceTwitch          = 2
	SourceYouTube         = 13
	SourceFacebookProfile = 19
	SourceFacebookPage    = 20
	SourceFacebookGroup   = 21
	SourceDLive           = 24
	SourceDiscord         = 25
	SourceLinkedIn        = 26
)

// Chat event types (eventTypeId), facts §5.3.
const (
	TypeDiscordText            = 1
	TypeDLiveText              = 2
	TypeDLiveEmoji             = 3
	TypeTwitchText             = 4
	TypeYouTubeText            = 5
	TypeYouTubeSuperChat       = 7
	TypeYouTubeSuperSticker    = 8
	TypeFacebookProfileText    = 11
	TypeFacebookProfileSticker = 12
	TypeFacebookPageText       = 13
	TypeFacebookPageSticker    = 14
	TypeFacebookGroupText      = 19
	TypeFacebookGroupSticker   = 20
	TypeLinkedInText           = 21
)

// sourceInfo is what the mock knows of one event source.
type sourceInfo struct {
	slug       string // the platform part of a connectionIdentifier
	eventBased bool   // chat needs a live event (facts §5.2)
	reply      bool   // replies can be sent to it
	relay      bool   // events can be relayed to it
	types      []int  // its event types, the plain text one first; none for undocumented ones
}

// sources follows the table of facts §5.2, limited to the sources whose chat the mock can describe:
// those with a documented connection target (facts §5.4), and Facebook groups, whose event types
// are documented and whose target takes the page shape (UNCONFIRMED). Trovo, X, Kick and Rumble
// have neither documented targets nor documented event types, so the mock opens no chat connection
// to them: every frame it sends must match the published frame schemas.
var sources = map[int]sourceInfo{
	SourceTwitch:          {slug: "twitch", reply: true, relay: true, types: []int{TypeTwitchText}},
	SourceYouTube:         {slug: "youtube", eventBased: true, reply: true, relay: true, types: []int{TypeYouTubeText, TypeYouTubeSuperChat, TypeYouTubeSuperSticker}},
	SourceFacebookProfile: {slug: "facebook", eventBased: true, types: []int{TypeFacebookProfileText, TypeFacebookProfileSticker}},
	SourceFacebookPage:    {slug: "facebook", eventBased: true, reply: true, types: []int{TypeFacebookPageText, TypeFacebookPageSticker}},
	SourceFacebookGroup:   {slug: "facebook", eventBased: true, types: []int{TypeFacebookGroupText, TypeFacebookGroupSticker}},
	SourceDLive:           {slug: "dlive", reply: true, relay: true, types: []int{TypeDLiveText, TypeDLiveEmoji}},
	SourceDiscord:         {slug: "discord", reply: true, relay: true, types: []int{TypeDiscordText}},
	SourceLinkedIn:        {slug: "linkedin", eventBased: true, types: []int{TypeLinkedInText}},
}

// typeSources maps each event type to its source.
var typeSources = func() map[int]int {
	m := map[int]int{}
	for src, info := range sources {
		for _, t := range info.types {
			m[t] = src
		}
	}
	return m
}()

// EventTypes returns every event type the mock can inject, ascending.
func EventTypes() []int {
	return []int{TypeDiscordText, TypeDLiveText, TypeDLiveEmoji, TypeTwitchText, TypeYouTubeText, TypeYouTubeSuperChat,
		TypeYouTubeSuperSticker, TypeFacebookProfileText, TypeFacebookProfileSticker, TypeFacebookPageText,
		TypeFacebookPageSticker, TypeFacebookGroupText, TypeFacebookGroupSticker, TypeLinkedInText}
}

// SourceOfEventType returns the event source an event type belongs to.
func SourceOfEventType(typeID int) (int, bool) {
	src, ok := typeSources[typeID]
	return src, ok
}

// Restream platform ids of the channels whose chat Restream reads. They are the fixture's
// platform ids; only Twitch (1) and Youtube (5) are documented ids.
const (
	PlatformTwitch       = 1
	PlatformYouTube      = 5
	PlatformFacebookPage = 101
	PlatformLinkedIn     = 102
	PlatformKick         = 103
	PlatformX            = 104
	PlatformDLive        = 106
	PlatformTrovo        = 107
)

var platformSources = map[int]int{
	PlatformTwitch:       SourceTwitch,
	PlatformYouTube:      SourceYouTube,
	PlatformFacebookPage: SourceFacebookPage,
	PlatformLinkedIn:     SourceLinkedIn,
	PlatformDLive:        SourceDLive,
}

// SourceOfPlatform returns the chat event source of a channel's platform. Other platforms
// (manually configured RTMP, SRT, WHIP... destinations, TikTok) have no chat.
func SourceOfPlatform(platformID int) (int, bool) {
	src, ok := platformSources[platformID]
	return src, ok
}

// connectionIdentifier names a target as <userId>-<platform>-<target id>. The format is
// UNCONFIRMED: it comes from a third-party test fixture ("674443-youtube-abc"), not from the
// documentation, which only says that the value identifies the target.
func connectionIdentifier(userID int64, source int, targetID string) string {
	return strconv.FormatInt(userID, 10) + "-" + sources[source].slug + "-" + targetID
}

// derived returns stable pseudo-random bytes for a name, so that the platform-side ids of a
// Restream event (a YouTube video id, a Facebook live video id...) are the same every time the
// mock builds them, in chat targets and in streaming frames alike.
func derived(parts ...string) [32]byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// derivedDigits returns n decimal digits derived from parts, not starting with 0.
func derivedDigits(n int, parts ...string) string {
	d := derived(parts...)
	v := binary.BigEndian.Uint64(d[:8])
	s := fmt.Sprintf("%d%019d", 1+v%9, binary.BigEndian.Uint64(d[8:16])%1e19)
	for len(s) < n {
		s += s
	}
	return s[:n]
}

// youTubeVideoID returns an 11-character YouTube-style id derived from parts.
func youTubeVideoID(parts ...string) string {
	d := derived(parts...)
	return base64.RawURLEncoding.EncodeToString(d[:9])[:11]
}

// platformEventIdentifier is the id a platform gives the broadcast of a Restream event: the
// eventIdentifier of streaming frames and the event of event-based chat targets. Platforms
// without per-stream pages have none ("").
func platformEventIdentifier(platformID int, eventID string) string {
	if eventID == "" {
		return ""
	}
	switch platformID {
	case PlatformYouTube:
		return youTubeVideoID("youtube", eventID)
	case PlatformFacebookPage:
		return derivedDigits(16, "facebook", eventID)
	case PlatformLinkedIn:
		return "urn:li:ugcPost:" + derivedDigits(19, "linkedin", eventID)
	}
	return ""
}
