package live

import (
	"encoding/json"
	"fmt"
	"time"
)

// Actions of the chat feed.
const (
	ActionHeartbeat        = "heartbeat"
	ActionConnectionInfo   = "connection_info"
	ActionConnectionClosed = "connection_closed"
	ActionEvent            = "event"
	ActionReplyCreated     = "reply_created"
	ActionReplyAccepted    = "reply_accepted"
	ActionReplyConfirmed   = "reply_confirmed"
	ActionReplyFailed      = "reply_failed"
	ActionRelayAccepted    = "relay_accepted"
	ActionRelayConfirmed   = "relay_confirmed"
	ActionRelayFailed      = "relay_failed"
)

// Connection statuses of connection_info.
const (
	StatusConnecting = "connecting"
	StatusConnected  = "connected"
	StatusError      = "error"
)

// Reasons of connection_closed.
const (
	ClosedRemoved          = "removed"    // the channel was deleted or disabled
	ClosedReplaced         = "replaced"   // another connection to the same target took over
	ClosedExpired          = "expired"    // no longer needed
	ClosedSuperseded       = "superseded" // replaced by another connection
	ClosedShutdown         = "shutdown"   // the serving instance is stopping
	ClosedEstablishTooLong = "connection_establish_too_long"
	ClosedInternal         = "internal"
)

// Reason of a connection_info in error that the mock produces.
const (
	// ReasonEventNotStarted: an event-based source (YouTube, Facebook, LinkedIn) whose user has
	// no live event, so there is no chat to read yet.
	ReasonEventNotStarted = "event_not_started"
)

// Reasons of reply_failed and relay_failed that the mock produces by itself; a failure the
// caller asks for may carry any reason.
const (
	// FailedInErrorState: the connection is in error, or its source cannot take replies or
	// relays (facts §5.2).
	FailedInErrorState = "connection_in_error_state"
	// FailedNotEstablished: the connection is still connecting.
	FailedNotEstablished = "connection_not_established_yet"
	// FailedInternal is the default reason of a failure asked for without one.
	FailedInternal = "internal"
)

// Envelope is every chat frame: an action, its payload and when the server sent it.
type Envelope struct {
	Action    string `json:"action"`
	Payload   any    `json:"payload"`
	Timestamp int64  `json:"timestamp"` // Unix seconds
}

// HeartbeatPayload is the empty payload of heartbeat.
type HeartbeatPayload struct{}

// ConnectionInfo describes one chat connection: a target (a channel, a Discord channel...)
// Restream reads chat from. Clients keep the latest per ConnectionIdentifier.
type ConnectionInfo struct {
	ConnectionIdentifier string `json:"connectionIdentifier"` // identifies the target
	ConnectionUUID       string `json:"connectionUuid"`       // identifies this connection to it
	EventSourceID        int    `json:"eventSourceId"`
	// Reason is set only when Status is StatusError.
	Reason *string `json:"reason"`
	Status string  `json:"status"`
	// Target has the shape of the source: one of the *Target types of this package.
	Target any   `json:"target"`
	UserID int64 `json:"userId"`
}

// ConnectionClosed ends a connection. Clients drop the map entry only when the uuid matches.
type ConnectionClosed struct {
	ConnectionUUID string `json:"connectionUuid"`
	Reason         string `json:"reason"`
}

// ChatEvent is one chat message, donation or sticker from a connection.
type ChatEvent struct {
	ConnectionIdentifier string `json:"connectionIdentifier"`
	// EventIdentifier is the source's id of the message; it is not unique.
	EventIdentifier string `json:"eventIdentifier"`
	// EventPayload has the shape of EventTypeID: one of the *Payload types of this package.
	EventPayload  any   `json:"eventPayload"`
	EventSourceID int   `json:"eventSourceId"`
	EventTypeID   int   `json:"eventTypeId"`
	UserID        int64 `json:"userId"`
}

// ReplyCreated announces a reply sent from Restream Chat.
type ReplyCreated struct {
	ClientReplyUUID       string   `json:"clientReplyUuid"`
	ConnectionIdentifiers []string `json:"connectionIdentifiers"`
	// EventSourceID is SourceRestream for a common reply, else the source of the one target.
	EventSourceID int    `json:"eventSourceId"`
	ReplyUUID     string `json:"replyUuid"`
	Text          string `json:"text"`
}

// ReplyAccepted and ReplyConfirmed report a reply's progress on one connection.
type ReplyAccepted struct {
	ConnectionIdentifier string `json:"connectionIdentifier"`
	ReplyUUID            string `json:"replyUuid"`
}

// ReplyConfirmed reports that the platform shows the reply. It may come before ReplyAccepted,
// or never.
type ReplyConfirmed = ReplyAccepted

// ReplyFailed reports that a reply could not be delivered to one connection.
type ReplyFailed struct {
	ConnectionIdentifier string `json:"connectionIdentifier"`
	Reason               string `json:"reason"`
	ReplyUUID            string `json:"replyUuid"`
}

// RelayAccepted reports the progress of relaying an event to one connection.
type RelayAccepted struct {
	ConnectionIdentifier  string `json:"connectionIdentifier"`
	SourceEventIdentifier string `json:"sourceEventIdentifier"` // the relayed event's eventIdentifier
}

// RelayConfirmed reports that the platform shows the relayed event.
type RelayConfirmed = RelayAccepted

// RelayFailed reports that an event could not be relayed to one connection.
type RelayFailed struct {
	ConnectionIdentifier  string `json:"connectionIdentifier"`
	Reason                string `json:"reason"`
	SourceEventIdentifier string `json:"sourceEventIdentifier"`
}

// encodeChat builds a chat frame.
func encodeChat(action string, payload any, now time.Time) []byte {
	return mustJSON(Envelope{Action: action, Payload: payload, Timestamp: now.Unix()})
}

// HeartbeatFrame is the chat feed's heartbeat at now; it fits wsmock.Options.HeartbeatFrame.
func HeartbeatFrame(now time.Time) []byte {
	return encodeChat(ActionHeartbeat, HeartbeatPayload{}, now)
}

// ShutdownFrame is the connection_closed frame, reason shutdown, for one connection.
func ShutdownFrame(connectionUUID string, now time.Time) []byte {
	return encodeChat(ActionConnectionClosed, ConnectionClosed{ConnectionUUID: connectionUUID, Reason: ClosedShutdown}, now)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil { // the frame types hold only strings, numbers, bools and slices of them
		panic(fmt.Sprintf("live: encoding %T: %v", v, err))
	}
	return b
}
