package restreamtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"
	"golang.org/x/oauth2"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/oauth"
)

// Typed helpers over the control API (/__mock/). Each is one HTTP call; a refusal comes back as a
// *ControlError carrying the error envelope.

// Reset restores the fixture world, the OAuth clients the server started with, the settings it
// started with (Config.AutoApprove), real time and an empty journal, and removes faults and the users AddUser added. Tokens, including the ready ones
// of Token, stay valid, except those of clients AddClient or DeleteClient changed and those of
// the users removed.
func (s *Server) Reset() error {
	res, err := s.control.ResetMockWithResponse(context.Background())
	if err := check(res, err); err != nil {
		return err
	}
	for _, u := range s.users[s.loaded:] {
		delete(s.tokens, u.ID)
	}
	s.users = s.users[:s.loaded:s.loaded]
	return nil
}

// ExportState returns the whole world as JSON, as LoadState takes it.
func (s *Server) ExportState() ([]byte, error) {
	res, err := s.control.ExportStateWithResponse(context.Background())
	if err := check(res, err); err != nil {
		return nil, err
	}
	return res.Body, nil
}

// LoadState replaces the whole world with a snapshot (from ExportState, or written by hand in the
// same shape). An inconsistent snapshot is refused and changes nothing.
func (s *Server) LoadState(snapshot []byte) error {
	res, err := s.control.ImportStateWithBodyWithResponse(context.Background(), "application/json", strings.NewReader(string(snapshot)))
	if err := check(res, err); err != nil {
		return err
	}
	return s.loadUsers()
}

// AdvanceClock moves the mock clock forward: tokens, codes and replay windows follow it.
func (s *Server) AdvanceClock(d time.Duration) error {
	res, err := s.control.AdvanceClockWithResponse(context.Background(), controlapi.AdvanceClockJSONRequestBody{Seconds: int64(d / time.Second)})
	return check(res, err)
}

// Now returns the mock time.
func (s *Server) Now() (time.Time, error) {
	res, err := s.control.GetClockWithResponse(context.Background())
	if err := check(res, err); err != nil {
		return time.Time{}, err
	}
	return res.JSON200.NowIso, nil
}

// StreamOptions shape a simulated stream.
type StreamOptions struct {
	// EventID is the event to go live with; empty means the live event without a stream, else
	// the next upcoming event, else a new instant event.
	EventID string
	// Interval between updates on the streaming feed; 0 means the server's.
	Interval time.Duration
	// Viewers is the total viewer count to start from; nil picks a realistic one.
	Viewers *int
}

// Stream is a simulated stream.
type Stream struct {
	UserID int64
	// EventID is the live event's id (a UUID), as the REST API and the feeds name it.
	EventID string
	// Suid is the streaming session id the streaming feed's frames carry.
	Suid string
	// ChannelIDs are the channels with an outgoing stream.
	ChannelIDs []int64
	// Interval is the time between updates on the streaming feed.
	Interval time.Duration
	// CreatedAt is when the stream started, on the mock clock.
	CreatedAt time.Time
}

func streamOf(g *controlapi.Stream) Stream {
	return Stream{UserID: g.UserId, EventID: g.EventId.String(), Suid: g.Suid, ChannelIDs: g.ChannelIds,
		Interval: time.Duration(g.IntervalMs) * time.Millisecond, CreatedAt: time.Unix(g.CreatedAt, 0).UTC()}
}

// StartStream goes live for a user: the event moves to in-progress and the streaming feed reports
// the ingest, one outgoing stream per enabled channel and the platforms' viewer counts.
func (s *Server) StartStream(userID int64, o StreamOptions) (Stream, error) {
	body := controlapi.StartStreamJSONRequestBody{UserId: userID, Viewers: o.Viewers}
	if o.EventID != "" {
		id, err := uuid.Parse(o.EventID)
		if err != nil {
			return Stream{}, fmt.Errorf("event id: %w", err)
		}
		body.EventId = &id
	}
	if o.Interval > 0 {
		ms := int(o.Interval / time.Millisecond)
		body.IntervalMs = &ms
	}
	res, err := s.control.StartStreamWithResponse(context.Background(), body)
	if err := check(res, err); err != nil {
		return Stream{}, err
	}
	return streamOf(res.JSON201), nil
}

// StopStream ends a user's stream (the only one when eventID is empty): the feed reports the
// outgoing and incoming streams deleted, and the event is finished.
func (s *Server) StopStream(userID int64, eventID string) (Stream, error) {
	body := controlapi.StopStreamJSONRequestBody{UserId: userID}
	if eventID != "" {
		id, err := uuid.Parse(eventID)
		if err != nil {
			return Stream{}, fmt.Errorf("event id: %w", err)
		}
		body.EventId = &id
	}
	res, err := s.control.StopStreamWithResponse(context.Background(), body)
	if err := check(res, err); err != nil {
		return Stream{}, err
	}
	return streamOf(res.JSON200), nil
}

// ChatEvent is one chat message (or sticker, or Super Chat) to send. Zero fields are generated:
// the first connected connection, the source's text type, an author, a text, an amount.
type ChatEvent struct {
	ConnectionIdentifier string
	EventSourceID        int // 2 Twitch, 13 YouTube, 20 Facebook page, 25 Discord...
	EventTypeID          int // 4 Twitch text, 5 YouTube text, 7 Super Chat...
	Author, Text         string
	DonationAmount       string // "$5.00", for Super Chats and Super Stickers
	DonationCurrency     string // "USD"
}

// SentChatEvent says what a chat event was sent as: the fields of its frame on the chat feed.
type SentChatEvent struct {
	ConnectionIdentifier string // the connection it arrived on
	EventIdentifier      string
	EventSourceID        int
	EventTypeID          int
}

// SendChatEvent sends one chat event to the user's chat sockets.
func (s *Server) SendChatEvent(userID int64, e ChatEvent) (SentChatEvent, error) {
	body := controlapi.InjectChatEventJSONRequestBody{UserId: userID, ConnectionIdentifier: opt(e.ConnectionIdentifier),
		Author: opt(e.Author), Text: opt(e.Text), DonationAmount: opt(e.DonationAmount), DonationCurrency: opt(e.DonationCurrency)}
	if e.EventSourceID != 0 {
		body.EventSourceId = &e.EventSourceID
	}
	if e.EventTypeID != 0 {
		body.EventTypeId = &e.EventTypeID
	}
	res, err := s.control.InjectChatEventWithResponse(context.Background(), body)
	if err := check(res, err); err != nil {
		return SentChatEvent{}, err
	}
	g := res.JSON201
	return SentChatEvent{ConnectionIdentifier: g.ConnectionIdentifier, EventIdentifier: g.EventIdentifier,
		EventSourceID: g.EventSourceId, EventTypeID: g.EventTypeId}, nil
}

// RunChatScript plays a named script ("hello", "superchat", "raid") and returns how many events it
// sends; they follow a few milliseconds apart.
func (s *Server) RunChatScript(userID int64, name string) (int, error) {
	res, err := s.control.RunChatScriptWithResponse(context.Background(),
		controlapi.RunChatScriptJSONRequestBody{UserId: userID, Name: controlapi.ChatScriptName(name)})
	if err := check(res, err); err != nil {
		return 0, err
	}
	return res.JSON202.Messages, nil
}

// ChatReply is a reply sent from Restream Chat.
type ChatReply struct {
	Text string
	// ConnectionIdentifiers are the targets; none means a common reply to every connection.
	ConnectionIdentifiers []string
	// Fail makes the platforms fail it, with Reason (default "internal").
	Fail   bool
	Reason string
}

// SentChatReply says how a reply was played on the chat feed.
type SentChatReply struct {
	// ReplyUUID and ClientReplyUUID are the ids the reply frames carry.
	ReplyUUID, ClientReplyUUID string
	// EventSourceID is 1 for a common reply, else the target's source.
	EventSourceID int
	// ConnectionIdentifiers are the targets.
	ConnectionIdentifiers []string
	// Outcomes says per connection "confirmed" or the failure reason.
	Outcomes map[string]string
}

// SendChatReply plays a reply's lifecycle on the chat feed: reply_created, then per connection
// reply_accepted and reply_confirmed, or reply_failed.
func (s *Server) SendChatReply(userID int64, r ChatReply) (SentChatReply, error) {
	body := controlapi.SendChatReplyJSONRequestBody{UserId: userID, Text: r.Text, Reason: opt(r.Reason)}
	if len(r.ConnectionIdentifiers) > 0 {
		body.ConnectionIdentifiers = &r.ConnectionIdentifiers
	}
	if r.Fail {
		fail := controlapi.ChatReplyOutcomeFail
		body.Outcome = &fail
	}
	res, err := s.control.SendChatReplyWithResponse(context.Background(), body)
	if err := check(res, err); err != nil {
		return SentChatReply{}, err
	}
	g := res.JSON201
	return SentChatReply{ReplyUUID: g.ReplyUuid, ClientReplyUUID: g.ClientReplyUuid, EventSourceID: g.EventSourceId,
		ConnectionIdentifiers: g.ConnectionIdentifiers, Outcomes: g.Outcomes}, nil
}

// ChatConnections returns the user's chat connection map (connection_info payloads).
func (s *Server) ChatConnections(userID int64) ([]map[string]any, error) {
	res, err := s.control.ListChatConnectionsWithResponse(context.Background(), &controlapi.ListChatConnectionsParams{UserId: userID})
	if err := check(res, err); err != nil {
		return nil, err
	}
	return res.JSON200.Connections, nil
}

// Fault is a failure to inject; see the control API's addFault. For the REST API set OperationID
// (or Method and Path), and Status and/or Latency; Count 0 lasts until ClearFaults. For a feed
// (Target "streaming" or "chat"), set Status and Count to refuse upgrades, or CloseCode to close
// the open sockets (of UserID, or all) now.
type Fault struct {
	Target      string // "rest" (the default), "streaming" or "chat"
	OperationID string
	Method      string
	Path        string
	Status      int
	RetryAfter  time.Duration
	Latency     time.Duration
	Probability float64 // 0 means always
	Count       int
	CloseCode   int
	CloseReason string
	UserID      int64
}

// AddFault injects a failure and returns its id.
func (s *Server) AddFault(f Fault) (string, error) {
	if f.Target == "" {
		f.Target = "rest"
	}
	body := controlapi.AddFaultJSONRequestBody{Target: controlapi.FaultRequestTarget(f.Target), OperationId: opt(f.OperationID),
		Path: opt(f.Path), CloseReason: opt(f.CloseReason)}
	if f.Method != "" {
		m := controlapi.FaultRequestMethod(strings.ToUpper(f.Method))
		body.Method = &m
	}
	setInt := func(dst **int, v int) {
		if v != 0 {
			*dst = &v
		}
	}
	setInt(&body.Status, f.Status)
	setInt(&body.RetryAfterSeconds, int(f.RetryAfter/time.Second))
	setInt(&body.LatencyMs, int(f.Latency/time.Millisecond))
	setInt(&body.Count, f.Count)
	setInt(&body.CloseCode, f.CloseCode)
	if f.Probability > 0 {
		p := float32(f.Probability)
		body.Probability = &p
	}
	if f.UserID != 0 {
		body.UserId = &f.UserID
	}
	res, err := s.control.AddFaultWithResponse(context.Background(), body)
	if err := check(res, err); err != nil {
		return "", err
	}
	return res.JSON201.Id, nil
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() error {
	res, err := s.control.ClearFaultsWithResponse(context.Background())
	return check(res, err)
}

// JournalEntry is one request the server answered, with secrets redacted.
type JournalEntry struct {
	// ID is a sequence number.
	ID int64
	// Time is when the request arrived (real time).
	Time         time.Time
	Method, Path string
	// Query is the query string, with secret values redacted.
	Query string
	// OperationID is the operation the request was routed to; "" when none matched.
	OperationID string
	// Status is the response status.
	Status int
	// Duration is how long the server took to answer.
	Duration time.Duration
	// UserID is whose token the request carried, when it was valid; 0 otherwise.
	UserID int64
	// Headers are the request headers (the first value of each), credentials redacted.
	Headers map[string]string
	// RequestBody is the body (at most 4 KiB), redacted; "" when there was none or it was withheld.
	RequestBody string
	// Error and Message are the error envelope's name and message, for refused requests.
	Error, Message string
	// Truncated names the fields cut to fit the entry's bounds.
	Truncated []string
}

func journalEntryOf(g controlapi.JournalEntry) JournalEntry {
	e := JournalEntry{ID: g.Id, Time: g.Time, Method: g.Method, Path: g.Path, Query: g.Query, OperationID: g.OperationId,
		Status: g.Status, Duration: time.Duration(float64(g.DurationMs) * float64(time.Millisecond)),
		UserID: deref(g.UserId), RequestBody: deref(g.RequestBody), Error: deref(g.Error), Message: deref(g.Message)}
	if g.Headers != nil {
		e.Headers = *g.Headers
	}
	if g.Truncated != nil {
		for _, f := range *g.Truncated {
			e.Truncated = append(e.Truncated, string(f))
		}
	}
	return e
}

// Journal returns the most recent requests, oldest first, of one operation when operationID is
// not empty. Secrets are redacted. Calls to the control API (restreamtest's own helpers) are not
// listed.
func (s *Server) Journal(operationID string) ([]JournalEntry, error) {
	params := &controlapi.GetJournalParams{}
	if operationID != "" {
		params.OperationId = &operationID
	}
	res, err := s.control.GetJournalWithResponse(context.Background(), params)
	if err := check(res, err); err != nil {
		return nil, err
	}
	entries := make([]JournalEntry, len(res.JSON200.Entries))
	for i, g := range res.JSON200.Entries {
		entries[i] = journalEntryOf(g)
	}
	return entries, nil
}

// SignIn walks the authorization dialog like a browser would, signing in as userID, and exchanges
// the code: what an app's login flow gets back. It signs in as userID with or without
// auto-approve: on the consent page it picks the account, and auto-approve honours the account
// that the request's Restreamkit-Login-As header names (the mock's own header, which the
// consent page does not need). An unknown user is an error either way.
func (s *Server) SignIn(ctx context.Context, userID int64) (*oauth2.Token, error) {
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	dialog, err := http.NewRequestWithContext(ctx, http.MethodGet, s.OAuth2.AuthCodeURL("restreamtest"), nil)
	if err != nil {
		return nil, err
	}
	dialog.Header.Set(oauth.HeaderLoginAs, strconv.FormatInt(userID, 10))
	res, err := noFollow.Do(dialog)
	if err != nil {
		return nil, err
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode == http.StatusOK { // the consent page: press Allow as userID
		action, req, ok := oauth.ConsentForm(page)
		if !ok {
			return nil, fmt.Errorf("the consent page has no form to answer")
		}
		target, err := url.Parse(s.URL + "/login")
		if err == nil {
			target, err = target.Parse(action)
		}
		if err != nil {
			return nil, err
		}
		form := url.Values{oauth.FieldRequest: {req}, oauth.FieldAccount: {strconv.FormatInt(userID, 10)},
			oauth.FieldDecision: {oauth.DecisionApprove}}
		if res, err = noFollow.PostForm(target.String(), form); err != nil {
			return nil, err
		}
		page, _ = io.ReadAll(io.LimitReader(res.Body, 4<<10))
		res.Body.Close()
	}
	if res.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("the authorization dialog answered %d: %s", res.StatusCode, page)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		return nil, err
	}
	code := loc.Query().Get("code")
	if code == "" {
		return nil, fmt.Errorf("the dialog redirected without a code: %s", loc)
	}
	return s.OAuth2.Exchange(ctx, code)
}

// deref returns what p points to, or the zero value.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// opt returns a pointer to s, or nil for "": the control API's optional fields.
func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Client is an OAuth client (an application) to register with AddClient.
type Client struct {
	ID     string
	Secret string
	// Name is what the consent page shows; the id when empty.
	Name string
	// RedirectURIs are absolute URIs. A loopback one (http://127.0.0.1/..., http://[::1]/...,
	// http://localhost/...) matches the same URI on any port, so an app's own test listener on a
	// free port needs no registration of its port.
	RedirectURIs []string
	// Scopes in any spelling; every scope when empty.
	Scopes []string
}

// AddClient registers an OAuth client, or replaces the one with the same id (which ends that
// client's tokens unless nothing changed), and returns its configuration with endpoints pointing
// at this server and the first redirect URI. Reset removes it again.
func (s *Server) AddClient(c Client) (*oauth2.Config, error) {
	body := controlapi.PutMockClientJSONRequestBody{ClientId: c.ID, ClientSecret: c.Secret, Name: opt(c.Name), RedirectUris: c.RedirectURIs}
	if len(c.Scopes) > 0 {
		body.Scopes = &c.Scopes
	}
	res, err := s.control.PutMockClientWithResponse(context.Background(), body)
	if err := check(res, err); err != nil {
		return nil, err
	}
	return &oauth2.Config{ClientID: c.ID, ClientSecret: c.Secret, RedirectURL: c.RedirectURIs[0],
		Endpoint: oauth2.Endpoint{AuthURL: s.URL + "/login", TokenURL: s.URL + "/oauth/token"}}, nil
}

// DeleteClient removes an OAuth client; its tokens stop working at once.
func (s *Server) DeleteClient(id string) error {
	res, err := s.control.DeleteMockClientWithResponse(context.Background(), id)
	return check(res, err)
}

// NewUser is a user to add with AddUser: a test sets up exactly the world it needs.
type NewUser struct {
	// ID is the user id; 0 picks the next after the largest.
	ID       int64
	Username string // letters, digits, ".", "_" and "-"; unique
	// Email is <username>@example.com when empty.
	Email string
	// StreamKey is re_<id>_mock when empty.
	StreamKey string
	Channels  []NewChannel
}

// NewChannel is a channel of a NewUser; the mock assigns its id.
type NewChannel struct {
	// PlatformID is a platform of /v2/platform/all (1 Twitch, 5 YouTube, ...).
	PlatformID  int
	DisplayName string
	// Identifier is the display name when empty.
	Identifier string
	// Inactive channels get no streams; channels are active by default.
	Inactive bool
	URL      string
	EmbedURL string
}

// AddUser adds a user with channels (POST /__mock/users) and returns the user's id. Token then
// returns a ready token for the user, and the consent page offers them. The user lasts until
// Reset or LoadState; a refused user (a taken id or username, an unknown platform) changes nothing.
func (s *Server) AddUser(u NewUser) (int64, error) {
	body := controlapi.AddMockUserJSONRequestBody{Username: u.Username, StreamKey: opt(u.StreamKey)}
	if u.ID != 0 {
		body.Id = &u.ID
	}
	if u.Email != "" {
		e := openapi_types.Email(u.Email)
		body.Email = &e
	}
	if len(u.Channels) > 0 {
		chs := make([]controlapi.UserChannelCreate, 0, len(u.Channels))
		for _, c := range u.Channels {
			active := !c.Inactive
			chs = append(chs, controlapi.UserChannelCreate{StreamingPlatformId: c.PlatformID, DisplayName: c.DisplayName,
				Identifier: opt(c.Identifier), Active: &active, Url: opt(c.URL), EmbedUrl: opt(c.EmbedURL)})
		}
		body.Channels = &chs
	}
	res, err := s.control.AddMockUserWithResponse(context.Background(), body)
	if err := check(res, err); err != nil {
		return 0, err
	}
	added := res.JSON201
	tok, err := s.NewToken(added.Id)
	if err != nil {
		return 0, err
	}
	s.users = append(s.users, User{ID: added.Id, Username: added.Username, Email: added.Email})
	s.tokens[added.Id] = tok
	return added.Id, nil
}
