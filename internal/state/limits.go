package state

import (
	"net/http"
	"time"

	"github.com/restreamkit/restreamkit/internal/apierror"
)

// Caps on what a world may hold. Restream documents no such limits: the numbers are the mock's
// own (UNCONFIRMED), picked well above what a real account holds so that no honest test meets
// them, and low enough that a full user stays a few megabytes. Requests that would grow a user
// past a cap are refused with 409 and a message that states it; things that grow by themselves
// (the history of a user whose simulated streams end) drop their oldest entries instead; an
// import or a fixture directory past a cap is refused whole.
const (
	// MaxUsers is how many users a world may have.
	MaxUsers = 1000
	// MaxChannelsPerUser is how many channels one user may have; POST /v2/user/channels past
	// it is a 409 channel_limit_reached. A channel is a destination of an event at most once,
	// so it also bounds the destinations of each event.
	MaxChannelsPerUser = 500
	// MaxOpenEventsPerUser is how many upcoming and live events one user may have; creating
	// one more (POST /v2/user/events/new, or a simulated stream that needs an instant event)
	// is a 409 event_limit_reached.
	MaxOpenEventsPerUser = 1000
	// MaxPastEventsPerUser is how many finished and missed events one user keeps. When a
	// simulated stream ends past it, the oldest past event (by the time it finished or was
	// due) is dropped.
	MaxPastEventsPerUser = 1000
	// MaxChatMessagesPerEvent is how long an event's chat history may be.
	MaxChatMessagesPerEvent = 10_000
	// MaxRecordingsPerEvent is how many recorded files (primary, secondary and audio together)
	// and, separately, how many transcriptions an event may have.
	MaxRecordingsPerEvent = 100
	// MaxAnalyticsPoints is how many per-minute viewer points one statistic may hold: a week.
	MaxAnalyticsPoints = 7 * 24 * 60
	// MaxStorageFilesPerUser is how many files one user's storage may hold.
	MaxStorageFilesPerUser = 1000
	// MaxClipsProjectsPerUser is how many clip projects one user may have; POST
	// /v2/user/clips/projects past it is a 409 clips_project_limit_reached.
	MaxClipsProjectsPerUser = 1000
	// MaxClipsPerProject is how many clips, posted clips and thumbnails (each) a project may have.
	MaxClipsPerProject = 1000
	// MaxStudioBrandsPerUser is how many Studio brands one user may have (brands come only
	// from fixtures and imports: the API cannot create them).
	MaxStudioBrandsPerUser = 100
	// MaxStudioCaptionsPerUser is how many Studio captions one user may have; creating one
	// more is a 409 studio_caption_limit_reached.
	MaxStudioCaptionsPerUser = 100
	// MaxStudioQrCodesPerUser is how many Studio QR codes one user may have; creating one more
	// is a 409 studio_qr_code_limit_reached. It also bounds the ids of a reorder.
	MaxStudioQrCodesPerUser = 100
	// MaxStudioTickersPerUser is how many Studio tickers one user may have; creating one more
	// is a 409 studio_ticker_limit_reached.
	MaxStudioTickersPerUser = 100
	// MaxStudioMediaPerUser is how many fonts, how many countdown music tracks and how many
	// audio backgrounds one user may have, and how many entries each of their nested lists
	// (variants, local names, sources, groups, channels) may hold. The API cannot add them.
	MaxStudioMediaPerUser = 100
	// MaxPublicEntries is how many platforms and how many ingest servers the public lists hold.
	MaxPublicEntries = 1000
)

// Bounds on the numbers a world holds, so that every one can be served and computed with.
const (
	// MaxID is the largest user or channel id: 2^53-1, the largest integer a JavaScript client
	// reads exactly from JSON.
	MaxID int64 = 1<<53 - 1
	// ChannelIDReserve is how many channel ids an imported world must leave free above its
	// largest one: room for one user to fill their channel cap. New ids are never reused
	// and never wrap: past MaxID, adding a channel is a 409 channel_ids_exhausted.
	ChannelIDReserve = MaxChannelsPerUser
	// MaxImportedChannelID is the largest channel id a world may hold when it is loaded.
	MaxImportedChannelID = MaxID - ChannelIDReserve
	// firstChannelID is where new channel ids start when the world's ids are smaller.
	firstChannelID int64 = 1_000_000
)

// Event times (scheduledFor, startedAt, finishedAt) are Unix seconds from 1970 to the end of
// year 9999: the range an ISO 8601 date-time with a four-digit year can name.
var (
	// MinEventTime is 1970-01-01T00:00:00Z.
	MinEventTime = time.Unix(0, 0).UTC()
	// MaxEventTime is 9999-12-31T23:59:59Z.
	MaxEventTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// eventTimeOK reports whether t (Unix seconds) is within MinEventTime and MaxEventTime.
func eventTimeOK(t int64) bool { return t >= MinEventTime.Unix() && t <= MaxEventTime.Unix() }

// errLimit is the 409 of a request that would grow a user past a cap.
func errLimit(name, format string, args ...any) *apierror.Error {
	return apierror.Newf(http.StatusConflict, name, format, args...)
}
