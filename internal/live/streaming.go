package live

// Actions of the streaming-updates feed. Every frame is one JSON object with an action field.
const (
	ActionUpdateIncoming = "updateIncoming"
	ActionDeleteIncoming = "deleteIncoming"
	ActionUpdateOutgoing = "updateOutgoing"
	ActionDeleteOutgoing = "deleteOutgoing"
	ActionUpdateStatuses = "updateStatuses"
)

// Outgoing stream statuses of updateOutgoing.
const (
	OutgoingConnecting   = "CONNECTING"
	OutgoingConnected    = "CONNECTED"
	OutgoingDisconnected = "DISCONNECTED"
)

// UpdateIncoming reports that the ingest stream (encoder to Restream) was created or updated;
// there is no separate creation frame.
type UpdateIncoming struct {
	Action string `json:"action"`
	UserID int64  `json:"userId"`
	// EventID is the Restream event of the stream, null when it has none. The current site
	// documents it; the Aug-2025 snapshot does not.
	EventID   *string           `json:"eventId"`
	CreatedAt int64             `json:"createdAt"` // stream start, Unix seconds
	Suid      string            `json:"suid"`      // streaming session id
	Streaming IncomingStreaming `json:"streaming"`
}

// IncomingStreaming is what Restream measures of the ingest stream.
type IncomingStreaming struct {
	Fps              float64         `json:"fps"`
	KeyframeInterval float64         `json:"keyframeInterval"` // seconds
	LossRate         float64         `json:"lossRate"`
	Bitrate          IncomingBitrate `json:"bitrate"`
	Codec            Codec           `json:"codec"`
	ProfileAndLevel  string          `json:"profileAndLevel"` // such as "high/4.1"
	Height           int             `json:"height"`
	Width            int             `json:"width"`
}

// IncomingBitrate is in bits per second; Total is Audio plus Video.
type IncomingBitrate struct {
	Total int64 `json:"total"`
	Audio int64 `json:"audio"`
	Video int64 `json:"video"`
}

// Codec names the audio and video codecs, such as "aac" and "h264".
type Codec struct {
	Audio string `json:"audio"`
	Video string `json:"video"`
}

// DeleteIncoming reports that the ingest stream finished.
type DeleteIncoming struct {
	Action    string `json:"action"`
	UserID    int64  `json:"userId"`
	CreatedAt int64  `json:"createdAt"`
	Suid      string `json:"suid"`
}

// UpdateOutgoing reports that the outgoing stream to one channel was created or updated.
type UpdateOutgoing struct {
	Action            string            `json:"action"`
	UserID            int64             `json:"userId"`
	PlatformID        int               `json:"platformId"`
	ChannelID         int64             `json:"channelId"`
	CreatedAt         int64             `json:"createdAt"`
	ChannelIdentifier string            `json:"channelIdentifier"`
	EventIdentifier   string            `json:"eventIdentifier"` // the platform's id of the broadcast, "" when it has none
	Streaming         OutgoingStreaming `json:"streaming"`
}

// OutgoingStreaming is the state of an outgoing stream.
type OutgoingStreaming struct {
	Status        string `json:"status"`  // OutgoingConnecting, OutgoingConnected or OutgoingDisconnected
	Bitrate       int64  `json:"bitrate"` // bits per second
	BufferedBytes int64  `json:"bufferedBytes"`
}

// DeleteOutgoing reports that the outgoing stream to one channel finished.
type DeleteOutgoing struct {
	Action     string `json:"action"`
	UserID     int64  `json:"userId"`
	PlatformID int    `json:"platformId"`
	ChannelID  int64  `json:"channelId"`
	CreatedAt  int64  `json:"createdAt"`
}

// UpdateStatuses is what a destination platform reports about the stream. A null field means
// the platform does not give that information, for now or for good.
type UpdateStatuses struct {
	Action            string  `json:"action"`
	UserID            int64   `json:"userId"`
	PlatformID        int     `json:"platformId"`
	ChannelID         int64   `json:"channelId"`
	CreatedAt         int64   `json:"createdAt"`
	UpdatedAt         int64   `json:"updatedAt"` // when the platform was asked; may be a stale cache
	ChannelIdentifier string  `json:"channelIdentifier"`
	EventIdentifier   string  `json:"eventIdentifier"`
	ChannelViews      *int64  `json:"channelViews"`
	Followers         *int64  `json:"followers"`
	GameTitle         *string `json:"gameTitle"`
	Online            bool    `json:"online"`
	StreamViews       *int64  `json:"streamViews"`
	Title             *string `json:"title"`
	Viewers           *int64  `json:"viewers"`
}
