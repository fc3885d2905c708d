package mock_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/state"
)

// Storage files of the fixture users (examples/operations/listStorageFiles.json).
const (
	novaSilksongFile   = "2bac7d3c-449b-492d-b262-8aa82bccc2b7" // Ready, 7946 s, no clip project
	novaAmongUsFile    = "b814e11e-9e5c-4309-806b-1f41b4cef66a" // Ready, has a clip project
	novaProcessingFile = "6bf93546-8189-4498-9840-626772cd2844"
	novaTrailerFile    = "f5a5b2a7-a756-4e83-aee1-2c4b74d249a4" // Ready, 94 s
	techtalksFile      = "78969334-cce7-4333-bf35-268a0722804b"
)

func createClips(h *harness, tok, body string) (int, []byte) {
	status, _, resp := h.do("POST", "/v2/user/clips/projects", tok, "application/json", []byte(body))
	return status, resp
}

func TestACreatedClipProjectIsListedFirstAndReadsBackEmpty(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	status, body := createClips(h, tok, `{"sourceType":"VideoStorageFile","videoStorageFileId":"`+novaSilksongFile+`","title":"Best of"}`)
	var created restreamapi.ClipsProject
	if err := json.Unmarshal(body, &created); status != 201 || err != nil {
		t.Fatalf("create: %d %s", status, body)
	}
	if created.SourceTypeName != "VideoStorageFile" || created.SourceIdentifier != novaSilksongFile || created.Title != "Best of" ||
		created.ClipsCount != 0 || !created.GeneratingClipsNow {
		t.Fatalf("created %+v", created)
	}
	c := h.client(tok)
	for _, sortBy := range []restreamapi.ListClipsProjectsParamsSortBy{restreamapi.CreatedAt, restreamapi.LastActivity} {
		list, err := c.ListClipsProjectsWithResponse(t.Context(), &restreamapi.ListClipsProjectsParams{SortBy: &sortBy})
		if err != nil || list.JSON200 == nil || len(list.JSON200.Projects) == 0 {
			t.Fatalf("list by %s: %v %s", sortBy, err, list.Body)
		}
		if first := list.JSON200.Projects[0]; first.ProjectId != created.ProjectId || !first.CreatedAt.Equal(created.CreatedAt) {
			t.Fatalf("by %s the newest project is %+v, want the created one", sortBy, first)
		}
	}
	got, err := c.GetClipsProjectWithResponse(t.Context(), created.ProjectId)
	if err != nil || got.JSON200 == nil || !got.JSON200.GeneratingClipsNow || len(got.JSON200.Clips) != 0 {
		t.Fatalf("get: %v %s", err, got.Body)
	}
	// The same video again is the documented no-op 409; forceReprocess clips it anyway.
	status, body = createClips(h, tok, `{"sourceType":"VideoStorageFile","videoStorageFileId":"`+novaSilksongFile+`"}`)
	wantError(t, status, body, 409, "clips_input_already_processed")
	status, body = createClips(h, tok, `{"sourceType":"VideoStorageFile","videoStorageFileId":"`+novaSilksongFile+`","forceReprocess":true}`)
	if status != 201 {
		t.Fatalf("forceReprocess: %d %s", status, body)
	}
	// Another user sees none of it.
	other, _ := h.client(h.token(techtalks)).GetClipsProjectWithResponse(t.Context(), created.ProjectId)
	if other.StatusCode() != 404 {
		t.Fatalf("another user reads the project: %d", other.StatusCode())
	}
}

func TestClipProjectCreationRefusesWhatTheUsersVideosCannotGive(t *testing.T) {
	file := func(id, rest string) string {
		return `{"sourceType":"VideoStorageFile","videoStorageFileId":"` + id + `"` + rest + `}`
	}
	tests := []struct {
		name, body string
		status     int
		errName    string
		mention    string
	}{
		{"a video that already has a project", file(novaAmongUsFile, ""), 409, "clips_input_already_processed", "ClipsInputAlreadyProcessed"},
		{"another user's video", file(techtalksFile, ""), 404, "storage_file_not_found", "StorageFileNotFound"},
		{"a video nobody has", file("00000000-0000-4000-8000-000000000000", ""), 404, "storage_file_not_found", "StorageFileNotFound"},
		{"a video still processing", file(novaProcessingFile, ""), 400, "invalid_body_params", "videoStorageFileId"},
		{"a range past the end of the video", file(novaTrailerFile, `,"selectedTimeRange":{"startSeconds":10,"endSeconds":95}`), 400, "invalid_body_params", "selectedTimeRange.endSeconds"},
		{"a range that ends before it starts", file(novaTrailerFile, `,"selectedTimeRange":{"startSeconds":50,"endSeconds":50}`), 400, "invalid_body_params", "selectedTimeRange.endSeconds"},
		{"a single clip longer than 10 minutes", file(novaSilksongFile, `,"singleClipMode":true,"selectedTimeRange":{"startSeconds":0,"endSeconds":600.5}`), 400, "invalid_body_params", "selectedTimeRange"},
		{"a single clip without a range", file(novaSilksongFile, `,"singleClipMode":true`), 400, "invalid_body_params", "selectedTimeRange"},
		{"a source type other than storage videos", `{"sourceType":"Event","videoStorageFileId":"` + novaSilksongFile + `"}`, 400, "invalid_body_params", "sourceType"},
		{"no video", `{"sourceType":"VideoStorageFile"}`, 400, "invalid_body_params", "videoStorageFileId"},
		{"a video id that is not a UUID", file("not-a-uuid", ""), 400, "invalid_body_params", "videoStorageFileId"},
		{"an empty title", file(novaSilksongFile, `,"title":""`), 400, "invalid_body_params", "title"},
	}
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := h.state()
			status, body := createClips(h, tok, tc.body)
			wantError(t, status, body, tc.status, tc.errName, tc.mention)
			if h.state() != before {
				t.Fatal("a refused request changed the world")
			}
		})
	}
}

func TestClipProjectCreationNeedsClipsWrite(t *testing.T) {
	h := newHarness(t, mock.Options{})
	status, body := createClips(h, h.token(nova, "clips.read"), `{"sourceType":"VideoStorageFile","videoStorageFileId":"`+novaSilksongFile+`"}`)
	wantError(t, status, body, 403, "insufficient_scope")
	status, body = createClips(h, h.token(nova, "clips.write"), `{"sourceType":"VideoStorageFile","videoStorageFileId":"`+novaSilksongFile+`"}`)
	if status != 201 {
		t.Fatalf("with clips.write: %d %s", status, body)
	}
}

func TestSeededMocksCreateTheSameClipProjectIds(t *testing.T) {
	create := func() string {
		h := newHarness(t, mock.Options{Seed: 42})
		status, body := createClips(h, h.token(nova), `{"sourceType":"VideoStorageFile","videoStorageFileId":"`+novaSilksongFile+`"}`)
		var p restreamapi.ClipsProject
		if err := json.Unmarshal(body, &p); status != 201 || err != nil {
			t.Fatalf("create: %d %s", status, body)
		}
		return p.ProjectId.String()
	}
	if a, b := create(), create(); a != b {
		t.Fatalf("two mocks seeded alike made projects %s and %s", a, b)
	}
}

func TestAUserCannotCreateClipProjectsPastTheCap(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	have := len(userOf(t, ptr(h.world()), nova).Clips)
	create := func() (int, []byte) {
		return createClips(h, tok, fmt.Sprintf(`{"sourceType":"VideoStorageFile","videoStorageFileId":%q,"forceReprocess":true}`, novaTrailerFile))
	}
	fillToTheCap(t, h, state.MaxClipsProjectsPerUser-have, 201, create, "clips_project_limit_reached", state.MaxClipsProjectsPerUser)
}
