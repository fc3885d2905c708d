package conformance

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/restreamkit/restreamkit/internal/redact"
	"github.com/restreamkit/restreamkit/internal/report"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// The live suites (Reads, NoToken, Writes) need nothing of the target but an account's access
// token: no control API, no fixtures. They find the ids they need in the account's own lists, so
// they run against the mock, against the real API and through restream-proxy alike, and every
// answer is checked against the spec (validate.Spec.CheckResponse), the same check the proxy
// makes. What the account lacks (a channel, a recording) or the token may not read (a scope) is
// a skip with its reason, never a failure: the suites must not cry wolf on a sparse account.

// liveIDs are ids a read found for a later one; "" when the account has none.
type liveIDs struct {
	channel, event, finished, recordingFile, file, project, clip string
	caption, qrCode                                              string
}

// liveRead is one read-only operation of Reads.
type liveRead struct {
	op string
	// path returns the values of the path's parameters, or why the account cannot be asked.
	path func(ids *liveIDs) (values map[string]string, missing string)
	// body is the request body of a read sent with POST (a download link).
	body func(ids *liveIDs) []byte
	// learn reads ids for later reads from a success's body.
	learn func(ids *liveIDs, body []byte)
	// absent is a documented status saying the account has none of the thing (no analytics).
	absent int
}

// need returns a path function that fills name from one id, or reports what is missing.
func need(name string, id func(*liveIDs) string, what string) func(*liveIDs) (map[string]string, string) {
	return func(ids *liveIDs) (map[string]string, string) {
		if v := id(ids); v != "" {
			return map[string]string{name: v}, ""
		}
		return nil, what
	}
}

// liveReads are the reads in the order they learn ids: every list comes before the reads of
// one item.
func liveReads() []liveRead {
	channel := func(ids *liveIDs) string { return ids.channel }
	event := func(ids *liveIDs) string { return ids.event }
	finished := func(ids *liveIDs) string { return ids.finished }
	noChannel := "the account has no channel (listChannels)"
	noEvent := "the account has no upcoming or live event (listInProgressEvents, listUpcomingEvents)"
	noFinished := "the account has no past event (listEventHistory)"
	noProject := "the account has no clips project (listClipsProjects)"
	return []liveRead{
		{op: "listPlatforms"},
		{op: "listServers"},
		{op: "getUserProfile"},
		{op: "getSelectedIngest"},
		{op: "getStreamKey"},
		{op: "getWebchatUrl"},
		{op: "listChannels", learn: func(ids *liveIDs, b []byte) {
			var list []struct{ ID json.Number }
			if json.Unmarshal(b, &list) == nil && len(list) > 0 {
				ids.channel = list[0].ID.String()
			}
		}},
		{op: "getChannel", path: need("id", channel, noChannel)},
		{op: "getChannelMeta", path: need("id", channel, noChannel)},
		{op: "listInProgressEvents", learn: firstEvent},
		{op: "listUpcomingEvents", learn: firstEvent},
		{op: "listEventHistory", learn: func(ids *liveIDs, b []byte) {
			var page struct{ Items []struct{ ID string } }
			if json.Unmarshal(b, &page) == nil && len(page.Items) > 0 {
				ids.finished = page.Items[0].ID
			}
		}},
		{op: "getEvent", path: need("id", event, noEvent)},
		{op: "getEventStreamKey", path: need("id", event, noEvent)},
		{op: "getEventSrtStreamKey", path: need("id", event, noEvent)},
		{op: "listEventRecordings", path: need("eventId", finished, noFinished), learn: func(ids *liveIDs, b []byte) {
			var recs struct{ PrimaryVideos []struct{ FileName string } }
			if json.Unmarshal(b, &recs) == nil && len(recs.PrimaryVideos) > 0 {
				ids.recordingFile = recs.PrimaryVideos[0].FileName
			}
		}},
		{op: "getEventRecordingDownloadUrl",
			path: func(ids *liveIDs) (map[string]string, string) {
				if ids.finished == "" {
					return nil, noFinished
				}
				if ids.recordingFile == "" {
					return nil, "the latest past event has no recording (listEventRecordings)"
				}
				return map[string]string{"eventId": ids.finished}, ""
			},
			body: func(ids *liveIDs) []byte {
				b, _ := json.Marshal(map[string]string{"fileName": ids.recordingFile})
				return b
			}},
		{op: "listEventTranscriptions", path: need("eventId", finished, noFinished)},
		{op: "getEventChatHistory", path: need("eventId", finished, noFinished)},
		{op: "getEventViewerAnalytics", path: need("eventId", finished, noFinished), absent: http.StatusNotFound},
		{op: "listStorageFiles", learn: func(ids *liveIDs, b []byte) {
			var files struct{ Files []struct{ ID, Status string } }
			if json.Unmarshal(b, &files) == nil {
				for _, f := range files.Files {
					if strings.EqualFold(f.Status, "ready") {
						ids.file = f.ID
						return
					}
				}
			}
		}},
		{op: "getStorageFile", path: need("fileId", func(ids *liveIDs) string { return ids.file }, "the account has no ready file (listStorageFiles)")},
		{op: "getStorageFileDownloadUrl", path: need("fileId", func(ids *liveIDs) string { return ids.file }, "the account has no ready file (listStorageFiles)")},
		{op: "listClipsProjects", learn: func(ids *liveIDs, b []byte) {
			var list struct{ Projects []struct{ ProjectID string } }
			if json.Unmarshal(b, &list) == nil && len(list.Projects) > 0 {
				ids.project = list.Projects[0].ProjectID
			}
		}},
		{op: "getClipsProject", path: need("projectId", func(ids *liveIDs) string { return ids.project }, noProject),
			learn: func(ids *liveIDs, b []byte) {
				var p struct{ Clips []struct{ ClipID string } }
				if json.Unmarshal(b, &p) == nil && len(p.Clips) > 0 {
					ids.clip = p.Clips[0].ClipID
				}
			}},
		{op: "getClipDownloadUrl", path: func(ids *liveIDs) (map[string]string, string) {
			if ids.project == "" {
				return nil, noProject
			}
			return need("clipId", func(ids *liveIDs) string { return ids.clip }, "the first clips project has no clip (getClipsProject)")(ids)
		}},
		// Studio.
		{op: "listStudioBrands"},
		{op: "listStudioCaptions", learn: func(ids *liveIDs, b []byte) {
			var list struct{ Captions []struct{ ID string } }
			if json.Unmarshal(b, &list) == nil && len(list.Captions) > 0 {
				ids.caption = list.Captions[0].ID
			}
		}},
		{op: "getStudioCaption", path: need("captionId", func(ids *liveIDs) string { return ids.caption }, "the account has no Studio caption (listStudioCaptions)")},
		{op: "listStudioQrCodes", learn: func(ids *liveIDs, b []byte) {
			var list struct{ QrCodes []struct{ ID string } }
			if json.Unmarshal(b, &list) == nil && len(list.QrCodes) > 0 {
				ids.qrCode = list.QrCodes[0].ID
			}
		}},
		{op: "getStudioQrCode", path: need("qrCodeId", func(ids *liveIDs) string { return ids.qrCode }, "the account has no Studio QR code (listStudioQrCodes)")},
		{op: "listStudioTickers"},
		{op: "listStudioFonts"},
		{op: "listStudioCountdownMusic"},
		{op: "listStudioAudioBackgrounds"},
	}
}

// request returns the path values and body of the read, or why the account cannot be asked.
func (r liveRead) request(ids *liveIDs) (values map[string]string, body []byte, missing string) {
	if r.path != nil {
		if values, missing = r.path(ids); missing != "" {
			return nil, nil, missing
		}
	}
	if r.body != nil {
		body = r.body(ids)
	}
	return values, body, ""
}

// firstEvent learns the first event of a list, unless one is known (in progress comes first).
func firstEvent(ids *liveIDs, b []byte) {
	var list []struct{ ID string }
	if ids.event == "" && json.Unmarshal(b, &list) == nil && len(list) > 0 {
		ids.event = list[0].ID
	}
}

// notRead are the operations Reads leaves to other suites, and why.
var notRead = map[string]string{
	"showAuthorizeDialog": "the OAuth dialog needs a registered client and a browser",
	"refreshToken":        "needs a refresh token and a client secret, and would rotate them",
	"revokeToken":         "would revoke the token",
}

// Reads calls every read-only operation of the spec with an account's access token, each on ids
// the account's own lists gave, and checks that the answer is a success the spec documents. An
// operation needing an id the account lacks is skipped, as is one the token lacks the scope for
// (after its 403 was checked against the spec). Operations that change state are Writes'.
func Reads(t T, tg Target, token string) {
	spec := Spec(t)
	ids := &liveIDs{}
	reads := liveReads()
	for _, r := range reads {
		ran := false
		Run(t, r.op, func(t T) {
			ran = true
			op, ok := spec.Operation(r.op)
			if !ok {
				t.Fatalf("the spec has no operation %s", r.op)
			}
			values, body, missing := r.request(ids)
			if missing != "" {
				t.Skipf("%s", missing)
			}
			status, b := liveCall(t, tg, spec, op, values, token, body)
			switch {
			case status >= 200 && status < 300:
				if r.learn != nil {
					r.learn(ids, b)
				}
			case status == http.StatusForbidden && strings.Contains(string(b), "insufficient_scope"):
				t.Skipf("the token lacks the scope %s (the 403 conforms)", strings.Join(op.Scopes, ", "))
			case status == http.StatusForbidden: // a plan without the feature (srt_not_available)
				t.Skipf("the account may not use this (the 403 conforms): %s", shown(b))
			case status == r.absent && r.absent != 0:
				t.Skipf("the account has none: %d, as documented", status)
			default:
				t.Fatalf("%s %s answered %d, not a success: %s", op.Method, op.Path, status, shown(b))
			}
		})
		if !ran && r.learn != nil { // left out by a selection: still learn what later reads need
			if op, ok := spec.Operation(r.op); ok {
				if values, body, missing := r.request(ids); missing == "" {
					if status, _, b := liveRequest(t, tg, spec, op, values, token, body); status/100 == 2 {
						r.learn(ids, b)
					}
				}
			}
		}
	}
	for _, op := range spec.Operations() {
		covered := notRead[op.ID] != "" || slices.ContainsFunc(reads, func(r liveRead) bool { return r.op == op.ID })
		if !covered && !mutates(op) && !partial(t) {
			t.Errorf("operation %s reads but Reads does not call it", op.ID)
		}
	}
}

// mutates reports whether op changes state: every method but GET, except the POSTs that only
// mint a download link.
func mutates(op *validate.Operation) bool {
	return op.Method != http.MethodGet && !strings.HasSuffix(op.Path, "/download-url")
}

// NoToken sends every secured read of the spec without an access token and checks that each is
// refused with a 401 the spec documents. The ids are samples: the refusal comes before a lookup.
func NoToken(t T, tg Target) {
	spec := Spec(t)
	for _, op := range spec.Operations() {
		if len(op.Scopes) == 0 || mutates(op) {
			continue
		}
		Run(t, op.ID, func(t T) {
			p := baseProbe(t, spec, op)
			var body []byte
			if op.Method != http.MethodGet {
				p.header.Set("Content-Type", "application/json")
				body = []byte(`{}`)
			}
			p.body = body
			status, h, b := p.send(t, tg)
			if vs := spec.CheckResponse(nil, op, status, h, b); len(vs) > 0 {
				t.Fatalf("%s %s answered %d, which breaks the spec: %s", p.method, p.path, status, describe(vs))
			}
			if status != http.StatusUnauthorized {
				t.Fatalf("%s %s without a token answered %d, want 401: %s", p.method, p.path, status, shown(b))
			}
		})
	}
}

// WriteChannel is the channel Writes adds: a custom RTMP destination (platform 29) whose name
// says who made it, so that one left behind by a killed run is easy to find and delete.
const (
	WriteChannelPlatform = 29
	WriteChannelName     = "restream-check test channel"
	WriteChannelURL      = "rtmp://ingest.example.net/live"
)

// Writes adds a test channel to the account, reads it, switches it off, deletes it, and checks
// that it is gone and that the account's channels are the ones it had before. It touches nothing
// it did not create; a channel it made is deleted even when a step fails (a failure to delete is
// reported with the id to delete by hand). Events cannot be deleted through the API, so Writes
// creates none.
func Writes(t T, tg Target, token string) {
	spec := Spec(t)
	op := func(id string) *validate.Operation {
		o, ok := spec.Operation(id)
		if !ok {
			t.Fatalf("the spec has no operation %s", id)
		}
		return o
	}
	before := channelIDs(t, tg, spec, op("listChannels"), token)
	created, deleted := "", false
	defer func() {
		if created != "" && !deleted {
			if status, _ := liveCall(t, tg, spec, op("deleteChannel"), map[string]string{"channelId": created}, token, nil); status/100 != 2 {
				t.Errorf("could not delete the test channel %s (%d): delete it by hand", created, status)
			}
		}
	}()
	type step struct {
		name  string
		run   func(t T)
		needs int // 1: the channel addChannel created, not yet deleted; 2: that channel, deleted
	}
	steps := []step{
		{"addChannel", func(t T) {
			body, _ := json.Marshal(map[string]any{"platformId": WriteChannelPlatform, "streamUrl": WriteChannelURL,
				"streamKey": "restream-check", "displayName": WriteChannelName})
			status, b := liveCall(t, tg, spec, op("addChannel"), nil, token, body)
			var ch struct{ ID json.Number }
			if json.Unmarshal(b, &ch) == nil && ch.ID != "" {
				created = ch.ID.String()
			}
			if status/100 != 2 || created == "" {
				t.Fatalf("addChannel answered %d, want a success with the new channel's id: %s", status, shown(b))
			}
		}, 0},
		{"getChannel", func(t T) {
			status, b := liveCall(t, tg, spec, op("getChannel"), map[string]string{"id": created}, token, nil)
			if status != http.StatusOK || !strings.Contains(string(b), WriteChannelName) {
				t.Fatalf("getChannel of the new channel %s answered %d: %s", created, status, shown(b))
			}
		}, 1},
		{"updateChannel", func(t T) {
			status, b := liveCall(t, tg, spec, op("updateChannel"), map[string]string{"id": created}, token, []byte(`{"active":false}`))
			if status/100 != 2 {
				t.Fatalf("switching the new channel %s off answered %d: %s", created, status, shown(b))
			}
		}, 1},
		{"deleteChannel", func(t T) {
			status, b := liveCall(t, tg, spec, op("deleteChannel"), map[string]string{"channelId": created}, token, nil)
			if status/100 != 2 {
				t.Fatalf("deleting the new channel %s answered %d: %s", created, status, shown(b))
			}
			deleted = true
		}, 1},
		{"the deleted channel is gone", func(t T) {
			status, b := liveCall(t, tg, spec, op("getChannel"), map[string]string{"id": created}, token, nil)
			if status != http.StatusNotFound {
				t.Fatalf("getChannel of the deleted channel %s answered %d, want 404: %s", created, status, shown(b))
			}
		}, 2},
		{"the channels are the ones from before", func(t T) {
			if after := channelIDs(t, tg, spec, op("listChannels"), token); !slices.Equal(before, after) {
				t.Fatalf("the account's channels were %v before and are %v after", before, after)
			}
		}, 0},
	}
	for _, s := range steps {
		Run(t, s.name, func(t T) {
			switch {
			case s.needs > 0 && created == "":
				t.Skipf("addChannel made no channel")
			case s.needs == 2 && !deleted:
				t.Skipf("deleteChannel did not delete the channel")
			}
			s.run(t)
		})
	}
}

// channelIDs lists the ids of the account's channels, sorted.
func channelIDs(t T, tg Target, spec *validate.Spec, op *validate.Operation, token string) []string {
	t.Helper()
	status, b := liveCall(t, tg, spec, op, nil, token, nil)
	var list []struct{ ID json.Number }
	if status != http.StatusOK || json.Unmarshal(b, &list) != nil {
		t.Fatalf("listChannels answered %d: %s", status, shown(b))
	}
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID.String()
	}
	slices.Sort(ids)
	return ids
}

// liveCall sends op like liveRequest and fails when the answer breaks the spec, whatever its
// status. It returns the status and the body.
func liveCall(t T, tg Target, spec *validate.Spec, op *validate.Operation, values map[string]string, token string, body []byte) (int, []byte) {
	t.Helper()
	status, h, b := liveRequest(t, tg, spec, op, values, token, body)
	if vs := spec.CheckResponse(nil, op, status, h, b); len(vs) > 0 {
		t.Fatalf("%s %s answered %d, which breaks the spec: %s", op.Method, op.Path, status, describe(vs))
	}
	return status, b
}

// liveRequest sends op with the path values, the operation's required query parameters (sample
// values), the token and a JSON body, and returns the answer.
func liveRequest(t T, tg Target, spec *validate.Spec, op *validate.Operation, values map[string]string, token string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	target := fillPath(op.Path, values, op.Path)
	if strings.Contains(target, "{") {
		t.Fatalf("%s: a path parameter has no value: %s", op.ID, target)
	}
	q := url.Values{}
	for _, prm := range parameters(spec, op) {
		if prm.In == "query" && prm.Required {
			v, ok := sample(prm.Schema.Value)
			if !ok {
				t.Fatalf("%s: no sample value for the query parameter %s", op.ID, prm.Name)
			}
			q.Set(prm.Name, v)
		}
	}
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	return tg.send(t, op.Method, target, "", h, body)
}

// describe lists violations, redacted by their owner.
func describe(vs []validate.Violation) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = report.Describe(v)
	}
	if len(out) > 5 {
		out = append(out[:5], strconv.Itoa(len(out)-5)+" more")
	}
	return strings.Join(out, "; ")
}

// shown is a body fit for a message: redacted (stream keys, tokens) and cut.
func shown(b []byte) string {
	return brief(redact.Body("", b))
}
