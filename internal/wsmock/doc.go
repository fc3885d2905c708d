// Package wsmock is the transport of the mock's two WebSocket feeds, Restream's streaming
// updates (wss://streaming.api.restream.io/ws) and chat (wss://chat.api.restream.io/ws).
// It knows sockets, not messages: what the frames say is the business of package live.
//
// A Feed authenticates the accessToken query parameter before upgrading (a bad token is an HTTP
// 401 with Restream's error envelope, never an upgrade followed by a close), fans every
// published frame out to the sockets of its user only, replays the last minute of frames to a
// socket that connects (the streaming feed's documented behaviour), sends heartbeats (the chat
// feed's), and ignores what clients send, so that control frames are still answered, as long
// as it keeps to the protocol: a text message that is not UTF-8 closes the socket with 1007, a
// message over the read limit with 1009, any other protocol violation with 1002.
//
// Everything is bounded: each socket has a send queue of its own, drained by its own writer
// goroutine, and a socket whose queue fills is closed with StatusPolicyViolation rather than
// allowed to slow the publisher or the other sockets; the replay ring keeps a fixed number of
// frames per user; client messages are limited in size and checked for UTF-8 in chunks, without
// holding them. Faults can be injected for tests: refused upgrades (RefusalStatuses) and
// server-side closes with a chosen code (SendableCloseCode).
//
// No goroutine outlives its socket, and Shutdown waits for all of them.
package wsmock
