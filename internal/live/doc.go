// Package live decides what the mock's two WebSocket feeds say. It holds the frame types of
// Restream's streaming-updates feed (updateIncoming, updateOutgoing, updateStatuses and their
// deletes) and of its chat feed (the {action, payload, timestamp} envelope with connection,
// event, reply and relay payloads), with the documented field names and nullability, and two
// simulators that produce them:
//
//   - Streams plays a stream going live: an ingest stream, one outgoing stream per enabled
//     channel (CONNECTING, then CONNECTED), and platform statuses with drifting viewers, until
//     it is stopped, when the event finishes and moves to the history.
//   - Chat keeps, per user, the map of chat connections Restream would hold (one per enabled
//     channel of a platform with chat, plus Discord and Facebook profile or group connections
//     from a fixture), announces every change of it, and injects chat events, scripted
//     conversations, replies and relays on request.
//
// Both read the world from a *state.Store, learn about its changes through HandleChange, take
// time from the mock clock and publish through a Publisher, which in the mock is a wsmock.Feed
// and in tests a fake. Neither keeps a goroutine beyond Stop or Close.
package live
