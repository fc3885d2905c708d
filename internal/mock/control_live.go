package mock

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/live"
	"github.com/restreamkit/restreamkit/internal/wsmock"
)

// This file holds the control API of the live feeds: streams, chat and faults.

func streamOut(info live.StreamInfo) controlapi.Stream {
	ids := append([]int64{}, info.ChannelIDs...)
	return controlapi.Stream{UserId: info.UserID, EventId: uuid.MustParse(info.EventID), Suid: info.Suid,
		CreatedAt: info.CreatedAt, IntervalMs: int(info.Interval / time.Millisecond), ChannelIds: ids}
}

func (c *controlAPI) ListStreams(_ context.Context, req controlapi.ListStreamsRequestObject) (controlapi.ListStreamsResponseObject, error) {
	out := controlapi.ListStreams200JSONResponse{Streams: []controlapi.Stream{}}
	users := []int64{}
	if req.Params.UserId != nil {
		users = append(users, *req.Params.UserId)
	} else {
		for _, p := range c.s.store.Users() {
			users = append(users, p.Id)
		}
	}
	for _, uid := range users {
		for _, info := range c.s.streams.Running(uid) {
			out.Streams = append(out.Streams, streamOut(info))
		}
	}
	return out, nil
}

func (c *controlAPI) StartStream(_ context.Context, req controlapi.StartStreamRequestObject) (controlapi.StartStreamResponseObject, error) {
	b := req.Body
	sr := live.StartRequest{Viewers: b.Viewers}
	if b.EventId != nil {
		sr.EventID = b.EventId.String()
	}
	if b.IntervalMs != nil {
		sr.Interval = time.Duration(*b.IntervalMs) * time.Millisecond
	}
	info, err := c.s.streams.Start(b.UserId, sr)
	if err != nil {
		return nil, err
	}
	return controlapi.StartStream201JSONResponse(streamOut(info)), nil
}

func (c *controlAPI) StopStream(_ context.Context, req controlapi.StopStreamRequestObject) (controlapi.StopStreamResponseObject, error) {
	id := ""
	if req.Body.EventId != nil {
		id = req.Body.EventId.String()
	}
	info, err := c.s.streams.Stop(req.Body.UserId, id)
	if err != nil {
		return nil, err
	}
	return controlapi.StopStream200JSONResponse(streamOut(info)), nil
}

func (c *controlAPI) ListChatConnections(_ context.Context, req controlapi.ListChatConnectionsRequestObject) (controlapi.ListChatConnectionsResponseObject, error) {
	if !c.s.store.HasUser(req.Params.UserId) {
		return nil, apierror.Newf(http.StatusNotFound, "user_not_found", "UserNotFound: no user %d", req.Params.UserId)
	}
	out := controlapi.ListChatConnections200JSONResponse{Connections: []map[string]any{}}
	for _, ci := range c.s.chat.Connections(req.Params.UserId) {
		raw, err := json.Marshal(ci)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, err
		}
		out.Connections = append(out.Connections, m)
	}
	return out, nil
}

func (c *controlAPI) InjectChatEvent(_ context.Context, req controlapi.InjectChatEventRequestObject) (controlapi.InjectChatEventResponseObject, error) {
	b := req.Body
	in := live.Injection{}
	if b.ConnectionIdentifier != nil {
		in.ConnectionIdentifier = *b.ConnectionIdentifier
	}
	if b.EventSourceId != nil {
		in.EventSourceID = *b.EventSourceId
	}
	if b.EventTypeId != nil {
		in.EventTypeID = *b.EventTypeId
	}
	if b.Author != nil {
		in.Author = *b.Author
	}
	if b.Text != nil {
		in.Text = *b.Text
	}
	if b.DonationAmount != nil || b.DonationCurrency != nil {
		in.Donation = &live.Donation{}
		if b.DonationAmount != nil {
			in.Donation.Amount = *b.DonationAmount
		}
		if b.DonationCurrency != nil {
			in.Donation.CurrencyString = *b.DonationCurrency
		}
	}
	sent, err := c.s.chat.InjectEvent(b.UserId, in)
	if err != nil {
		return nil, err
	}
	return controlapi.InjectChatEvent201JSONResponse{ConnectionIdentifier: sent.ConnectionIdentifier,
		EventIdentifier: sent.EventIdentifier, EventSourceId: sent.EventSourceID, EventTypeId: sent.EventTypeID}, nil
}

func (c *controlAPI) RunChatScript(_ context.Context, req controlapi.RunChatScriptRequestObject) (controlapi.RunChatScriptResponseObject, error) {
	run, err := c.s.chat.RunScript(req.Body.UserId, string(req.Body.Name))
	if err != nil {
		return nil, err
	}
	return controlapi.RunChatScript202JSONResponse{Name: run.Name, Messages: run.Messages}, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (c *controlAPI) SendChatReply(_ context.Context, req controlapi.SendChatReplyRequestObject) (controlapi.SendChatReplyResponseObject, error) {
	b := req.Body
	res, err := c.s.chat.Reply(b.UserId, live.ReplyRequest{Text: b.Text, ConnectionIdentifiers: deref(b.ConnectionIdentifiers),
		ClientReplyUUID: deref(b.ClientReplyUuid), Outcome: string(deref(b.Outcome)), Reason: deref(b.Reason)})
	if err != nil {
		return nil, err
	}
	return controlapi.SendChatReply201JSONResponse{ReplyUuid: res.ReplyUUID, ClientReplyUuid: res.ClientReplyUUID,
		ConnectionIdentifiers: res.ConnectionIdentifiers, EventSourceId: res.EventSourceID, Outcomes: res.Outcomes}, nil
}

func (c *controlAPI) SendChatRelay(_ context.Context, req controlapi.SendChatRelayRequestObject) (controlapi.SendChatRelayResponseObject, error) {
	b := req.Body
	res, err := c.s.chat.Relay(b.UserId, live.RelayRequest{SourceEventIdentifier: deref(b.SourceEventIdentifier),
		ConnectionIdentifiers: deref(b.ConnectionIdentifiers), Outcome: string(deref(b.Outcome)), Reason: deref(b.Reason)})
	if err != nil {
		return nil, err
	}
	return controlapi.SendChatRelay201JSONResponse{SourceEventIdentifier: res.SourceEventIdentifier,
		ConnectionIdentifiers: res.ConnectionIdentifiers, Outcomes: res.Outcomes}, nil
}

func (c *controlAPI) ListFaults(context.Context, controlapi.ListFaultsRequestObject) (controlapi.ListFaultsResponseObject, error) {
	return controlapi.ListFaults200JSONResponse{Faults: c.s.listFaults()}, nil
}

func (c *controlAPI) ClearFaults(context.Context, controlapi.ClearFaultsRequestObject) (controlapi.ClearFaultsResponseObject, error) {
	c.s.clearFaults()
	return controlapi.ClearFaults204Response{}, nil
}

func (c *controlAPI) DeleteFault(_ context.Context, req controlapi.DeleteFaultRequestObject) (controlapi.DeleteFaultResponseObject, error) {
	if !c.s.deleteFault(req.Id) {
		return nil, apierror.Newf(http.StatusNotFound, "fault_not_found", "FaultNotFound: no fault %q", req.Id)
	}
	return controlapi.DeleteFault204Response{}, nil
}

func (c *controlAPI) AddFault(_ context.Context, req controlapi.AddFaultRequestObject) (controlapi.AddFaultResponseObject, error) {
	b := req.Body
	if b.Target == controlapi.Rest {
		f, err := c.s.addRESTFault(*b)
		if err != nil {
			return nil, err
		}
		return controlapi.AddFault201JSONResponse(f), nil
	}
	feed := c.s.streamingFeed
	if b.Target == controlapi.Chat {
		feed = c.s.chatFeed
	}
	if b.OperationId != nil || b.Method != nil || b.Path != nil || b.LatencyMs != nil || b.Probability != nil {
		return nil, invalidFault("operationId, method, path, latencyMs and probability are for REST faults")
	}
	out := controlapi.Fault{Id: "fault-" + string(b.Target) + "-" + uuid.NewString()[:8], Target: string(b.Target)}
	if b.CloseCode != nil {
		if err := checkCloseFault(b); err != nil {
			return nil, err
		}
		reason := deref(b.CloseReason)
		code := websocket.StatusCode(*b.CloseCode)
		n := 0
		if b.UserId != nil {
			n = feed.CloseUser(*b.UserId, code, reason)
		} else {
			n = feed.CloseAll(code, reason)
		}
		out.Closed = &n
		return controlapi.AddFault201JSONResponse(out), nil
	}
	if b.UserId != nil || b.CloseReason != nil {
		return nil, invalidFault("userId and closeReason are for closing sockets, with closeCode")
	}
	if b.Status == nil || b.Count == nil {
		return nil, invalidFault("a WebSocket fault needs closeCode, or status and count")
	}
	if !slices.Contains(wsmock.RefusalStatuses(), *b.Status) {
		return nil, invalidFault(fmt.Sprintf(`"status" %d cannot refuse an upgrade; use one of %v`, *b.Status, wsmock.RefusalStatuses()))
	}
	if *b.Count < 1 {
		return nil, invalidFault(`"count" must be at least 1 for refused upgrades`)
	}
	retry := time.Duration(deref(b.RetryAfterSeconds)) * time.Second
	if err := feed.RefuseNext(*b.Status, *b.Count, retry); err != nil {
		return nil, err // RefusalStatuses was checked above: a bug
	}
	out.Status, out.Remaining = b.Status, b.Count
	if b.RetryAfterSeconds != nil {
		out.RetryAfterSeconds = b.RetryAfterSeconds
	}
	return controlapi.AddFault201JSONResponse(out), nil
}

// checkCloseFault checks a fault that closes sockets: a code a close frame may carry, a reason
// that fits one, and none of the fields of refused upgrades.
func checkCloseFault(b *controlapi.FaultRequest) error {
	if b.Status != nil || b.Count != nil || b.RetryAfterSeconds != nil {
		return invalidFault("status, count and retryAfterSeconds are for refused upgrades, not with closeCode")
	}
	if !wsmock.SendableCloseCode(*b.CloseCode) {
		return invalidFault(fmt.Sprintf(`"closeCode" %d cannot be sent in a close frame; use 1000-1003, 1007-1014 or 3000-4999`, *b.CloseCode))
	}
	if n := len(deref(b.CloseReason)); n > wsmock.MaxCloseReason {
		return invalidFault(fmt.Sprintf(`"closeReason" is %d bytes in UTF-8; a close frame carries at most %d`, n, wsmock.MaxCloseReason))
	}
	return nil
}
