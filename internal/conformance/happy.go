package conformance

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
)

// Fixture ids of nova_plays (examples/operations).
const (
	NovaTwitch       int64 = 5120001
	NovaFacebook     int64 = 5120003 // inactive, platform 101 (Facebook page)
	NovaCustomRTMP   int64 = 5120004 // platform 29
	NovaTelegram     int64 = 5120005 // platform 72
	TechtalksYouTube int64 = 6230011
	TechtalksDLive   int64 = 6230019 // platform 106: chat event types 2 and 3 without a live event
)

var (
	NovaLive           = uuid.MustParse("b4d2982b-4e55-4c13-b06b-71a2ae075810") // in progress
	NovaFinished1      = uuid.MustParse("95ef2be4-24d2-4d9c-8ec5-420178877913") // recordings, chat, analytics
	NovaMissed1        = uuid.MustParse("fb64fdab-3908-4b58-8b7d-d75f7ad56076")
	TechtalksFinished1 = uuid.MustParse("118e5f9f-5197-47c1-89a8-d57b1efb7a0f")
)

// NovaUnclippedFile is a ready storage video of nova_plays with no clip project: what
// createClipsProject can clip.
var NovaUnclippedFile = uuid.MustParse("2bac7d3c-449b-492d-b262-8aa82bccc2b7")

// call is one operation called through the generated client; check returns the HTTP status and
// whether the typed body was parsed.
type call struct {
	op    string
	check func(c *restreamapi.ClientWithResponses) (status int, parsed bool, err error)
}

// HappyPaths calls every operation of the spec through the generated client, each in its
// documented success case, and fails if an operation of the spec is not covered. It turns
// auto-approve on for the dialog's case and resets the mock when done.
func HappyPaths(t T, tg Target) {
	ctx := context.Background()
	on, off := true, false
	ctl := tg.control(t)
	if _, err := ctl.UpdateSettingsWithResponse(ctx, controlapi.SettingsUpdate{AutoApprove: &on}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctl.UpdateSettingsWithResponse(ctx, controlapi.SettingsUpdate{AutoApprove: &off})
		tg.Reset(t)
	}()
	ids := lookupIDs(t, tg)
	api := tg.Client(t, tg.Token(t, Nova))
	public := tg.Client(t, "")
	ptr := func(s string) *string { return &s }
	// studio is what the Studio calls learn or make for the ones after them.
	var studio struct {
		brand                   uuid.UUID
		caption, qrCode, ticker string
		order                   []string // the QR codes, last first
	}
	calls := []call{
		{"listPlatforms", func(*restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := public.ListPlatformsWithResponse(ctx)
			return code(r), r != nil && r.JSON200 != nil && len(*r.JSON200) > 5, err
		}},
		{"listServers", func(*restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := public.ListServersWithResponse(ctx)
			return code(r), r != nil && r.JSON200 != nil && len(*r.JSON200) > 5, err
		}},
		{"getUserProfile", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.GetUserProfileWithResponse(ctx)
			return code(r), r != nil && r.JSON200 != nil && r.JSON200.Id == Nova, err
		}},
		{"getSelectedIngest", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.GetSelectedIngestWithResponse(ctx)
			return code(r), r != nil && r.JSON200 != nil && r.JSON200.IngestId > 0, err
		}},
		{"getStreamKey", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.GetStreamKeyWithResponse(ctx)
			return code(r), r != nil && r.JSON200 != nil && r.JSON200.SrtUrl != nil, err
		}},
		{"getWebchatUrl", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.GetWebchatUrlWithResponse(ctx)
			return code(r), r != nil && r.JSON200 != nil && strings.HasPrefix(r.JSON200.WebchatUrl, "https://"), err
		}},
		{"listChannels", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.ListChannelsWithResponse(ctx)
			return code(r), r != nil && r.JSON200 != nil && len(*r.JSON200) == 5, err
		}},
		{"getChannel", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.GetChannelWithResponse(ctx, NovaTwitch)
			return code(r), r != nil && r.JSON200 != nil && r.JSON200.Id == NovaTwitch, err
		}},
		{"updateChannel", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.UpdateChannelWithResponse(ctx, NovaTwitch, restreamapi.ChannelUpdate{Active: false})
			return code(r), r != nil && len(r.Body) == 0, err
		}},
		{"getChannelMeta", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.GetChannelMetaWithResponse(ctx, NovaTwitch)
			return code(r), r != nil && r.JSON200 != nil, err
		}},
		{"updateChannelMeta", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.UpdateChannelMetaWithResponse(ctx, NovaTwitch, restreamapi.ChannelMetaUpdate{Title: "Ranked grind"})
			return code(r), r != nil && len(r.Body) == 0, err
		}},
		{"addChannel", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.AddChannelWithResponse(ctx, restreamapi.ChannelCreate{PlatformId: 29,
				StreamUrl: ptr("rtmp://ingest.example.net/live"), StreamKey: ptr("k-123"), DisplayName: ptr("Backup")})
			return code(r), r != nil && r.JSON201 != nil && r.JSON201.Id > 0, err
		}},
		{"deleteChannel", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.DeleteChannelWithResponse(ctx, NovaTelegram)
			return code(r), r != nil && len(r.Body) == 0, err
		}},
		{"createEvent", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.CreateEventWithResponse(ctx, restreamapi.EventCreate{StreamType: restreamapi.Studio, Title: ptr("Launch")})
			return code(r), r != nil && r.JSON201 != nil, err
		}},
		{"addEventDestination", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.AddEventDestinationWithResponse(ctx, ids.upcomingWithoutRTMP, restreamapi.EventDestinationCreate{ChannelId: NovaCustomRTMP})
			return code(r), r != nil && r.JSON201 != nil, err
		}},
		{"listUpcomingEvents", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.ListUpcomingEventsWithResponse(ctx, nil)
			return code(r), r != nil && r.JSON200 != nil && len(*r.JSON200) >= 3, err
		}},
		{"listInProgressEvents", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.ListInProgressEventsWithResponse(ctx)
			return code(r), r != nil && r.JSON200 != nil && len(*r.JSON200) == 1, err
		}},
		{"listEventHistory", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			page, limit := 2, 10
			r, err := c.ListEventHistoryWithResponse(ctx, &restreamapi.ListEventHistoryParams{Page: &page, Limit: &limit})
			return code(r), r != nil && r.JSON200 != nil && r.JSON200.Pagination.PagesTotal == 2 && len(r.JSON200.Items) == 3, err
		}},
		{"getEvent", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.GetEventWithResponse(ctx, NovaLive)
			return code(r), r != nil && r.JSON200 != nil && r.JSON200.Status == restreamapi.EventStatusInProgress, err
		}},
		{"getEventStreamKey", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.GetEventStreamKeyWithResponse(ctx, NovaLive)
			return code(r), r != nil && r.JSON200 != nil, err
		}},
		{"getEventSrtStreamKey", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.GetEventSrtStreamKeyWithResponse(ctx, NovaLive)
			return code(r), r != nil && r.JSON200 != nil && strings.HasPrefix(r.JSON200.Url, "srt://"), err
		}},
		{"listEventRecordings", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.ListEventRecordingsWithResponse(ctx, NovaFinished1)
			return code(r), r != nil && r.JSON200 != nil && len(r.JSON200.PrimaryVideos) > 0, err
		}},
		{"getEventRecordingDownloadUrl", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.GetEventRecordingDownloadUrlWithResponse(ctx, NovaFinished1,
				restreamapi.RecordingDownloadUrlRequest{FileName: ids.recordingFile})
			return code(r), r != nil && r.JSON200 != nil && strings.HasPrefix(r.JSON200.DownloadUrl, "https://"), err
		}},
		{"listEventTranscriptions", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.ListEventTranscriptionsWithResponse(ctx, NovaFinished1)
			return code(r), r != nil && r.JSON200 != nil && len(r.JSON200.Transcriptions) > 0, err
		}},
		{"getEventChatHistory", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			size := 5
			r, err := c.GetEventChatHistoryWithResponse(ctx, NovaFinished1, &restreamapi.GetEventChatHistoryParams{PageSize: &size})
			return code(r), r != nil && r.JSON200 != nil && len(r.JSON200.Messages) == 5 && r.JSON200.NextPageToken != nil, err
		}},
		{"getEventViewerAnalytics", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.GetEventViewerAnalyticsWithResponse(ctx, NovaFinished1)
			return code(r), r != nil && r.JSON200 != nil && r.JSON200.Total.Max > 0, err
		}},
		{"listStorageFiles", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.ListStorageFilesWithResponse(ctx)
			return code(r), r != nil && r.JSON200 != nil && len(r.JSON200.Files) == 5, err
		}},
		{"getStorageFile", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.GetStorageFileWithResponse(ctx, ids.readyFile)
			return code(r), r != nil && r.JSON200 != nil, err
		}},
		{"getStorageFileDownloadUrl", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.GetStorageFileDownloadUrlWithResponse(ctx, ids.readyFile)
			return code(r), r != nil && r.JSON200 != nil, err
		}},
		{"listClipsProjects", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.ListClipsProjectsWithResponse(ctx, nil)
			return code(r), r != nil && r.JSON200 != nil && len(r.JSON200.Projects) == 3, err
		}},
		{"getClipsProject", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.GetClipsProjectWithResponse(ctx, ids.project)
			return code(r), r != nil && r.JSON200 != nil && len(r.JSON200.Clips) > 0, err
		}},
		{"getClipDownloadUrl", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.GetClipDownloadUrlWithResponse(ctx, ids.clip)
			return code(r), r != nil && r.JSON200 != nil, err
		}},
		// Clip-project creation: after the clip reads above, which count the seeded projects.
		{"createClipsProject", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.CreateClipsProjectWithResponse(ctx, restreamapi.ClipsProjectCreate{SourceType: restreamapi.VideoStorageFile,
				VideoStorageFileId: NovaUnclippedFile, Title: ptr("Highlights")})
			if err != nil || r.JSON201 == nil {
				return code(r), false, err
			}
			d, err := c.GetClipsProjectWithResponse(ctx, r.JSON201.ProjectId)
			return code(r), d != nil && d.JSON200 != nil && d.JSON200.GeneratingClipsNow && r.JSON201.Title == "Highlights", err
		}},
		// Studio: the calls run in order, each on what the one before made or found.
		{"listStudioBrands", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.ListStudioBrandsWithResponse(ctx)
			ok := r != nil && r.JSON200 != nil && len(r.JSON200.Brands) == 2
			if ok {
				studio.brand = r.JSON200.Brands[0].Id
			}
			return code(r), ok, err
		}},
		{"createStudioCaption", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.CreateStudioCaptionWithResponse(ctx, restreamapi.StudioCaptionCreate{Text: "Happy path", BrandId: studio.brand})
			ok := r != nil && r.JSON201 != nil && r.JSON201.Text == "Happy path" && r.JSON201.SecondaryText == nil
			if ok {
				studio.caption = r.JSON201.Id
			}
			return code(r), ok, err
		}},
		{"listStudioCaptions", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.ListStudioCaptionsWithResponse(ctx, &restreamapi.ListStudioCaptionsParams{BrandId: &studio.brand})
			return code(r), r != nil && r.JSON200 != nil && slices.ContainsFunc(r.JSON200.Captions,
				func(x restreamapi.StudioCaption) bool { return x.Id == studio.caption }), err
		}},
		{"updateStudioCaption", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.UpdateStudioCaptionWithResponse(ctx, studio.caption, restreamapi.StudioCaptionUpdate{SecondaryText: ptr("second line")})
			return code(r), r != nil && r.JSON200 != nil && r.JSON200.SecondaryText != nil && *r.JSON200.SecondaryText == "second line", err
		}},
		{"getStudioCaption", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.GetStudioCaptionWithResponse(ctx, studio.caption)
			return code(r), r != nil && r.JSON200 != nil && r.JSON200.SecondaryText != nil, err
		}},
		{"deleteStudioCaption", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.DeleteStudioCaptionWithResponse(ctx, studio.caption)
			return code(r), r != nil && len(r.Body) == 0, err
		}},
		{"createStudioQrCode", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.CreateStudioQrCodeWithResponse(ctx, restreamapi.StudioQrCodeCreate{BrandId: studio.brand, Title: "Happy", Link: "https://happy.example"})
			ok := r != nil && r.JSON201 != nil && !r.JSON201.ShouldShowTitle
			if ok {
				studio.qrCode = r.JSON201.Id
			}
			return code(r), ok, err
		}},
		{"listStudioQrCodes", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.ListStudioQrCodesWithResponse(ctx, nil)
			ok := r != nil && r.JSON200 != nil && len(r.JSON200.QrCodes) > 1 && r.JSON200.QrCodes[len(r.JSON200.QrCodes)-1].Id == studio.qrCode
			if ok {
				for _, q := range r.JSON200.QrCodes {
					studio.order = append([]string{q.Id}, studio.order...)
				}
			}
			return code(r), ok, err
		}},
		{"reorderStudioQrCodes", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.ReorderStudioQrCodesWithResponse(ctx, restreamapi.StudioQrCodeOrder{Ids: studio.order})
			if err != nil || r.StatusCode() != http.StatusNoContent {
				return code(r), false, err
			}
			l, err := c.ListStudioQrCodesWithResponse(ctx, nil)
			return code(r), l != nil && l.JSON200 != nil && len(l.JSON200.QrCodes) > 0 && l.JSON200.QrCodes[0].Id == studio.qrCode, err
		}},
		{"updateStudioQrCode", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			show := true
			r, err := c.UpdateStudioQrCodeWithResponse(ctx, studio.qrCode, restreamapi.StudioQrCodeUpdate{ShouldShowTitle: &show})
			return code(r), r != nil && r.JSON200 != nil && r.JSON200.ShouldShowTitle && r.JSON200.Title == "Happy", err
		}},
		{"getStudioQrCode", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.GetStudioQrCodeWithResponse(ctx, studio.qrCode)
			return code(r), r != nil && r.JSON200 != nil && r.JSON200.ShouldShowTitle, err
		}},
		{"deleteStudioQrCode", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.DeleteStudioQrCodeWithResponse(ctx, studio.qrCode)
			return code(r), r != nil && len(r.Body) == 0, err
		}},
		{"createStudioTicker", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.CreateStudioTickerWithResponse(ctx, restreamapi.StudioTickerCreate{Text: "Happy ticker", BrandId: studio.brand})
			ok := r != nil && r.JSON201 != nil && r.JSON201.Text == "Happy ticker"
			if ok {
				studio.ticker = r.JSON201.Id
			}
			return code(r), ok, err
		}},
		{"listStudioTickers", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.ListStudioTickersWithResponse(ctx, &restreamapi.ListStudioTickersParams{BrandId: &studio.brand})
			return code(r), r != nil && r.JSON200 != nil && slices.ContainsFunc(r.JSON200.Tickers,
				func(x restreamapi.StudioTicker) bool { return x.Id == studio.ticker }), err
		}},
		{"listStudioFonts", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.ListStudioFontsWithResponse(ctx)
			return code(r), r != nil && r.JSON200 != nil && len(r.JSON200.Fonts) > 0 && len(r.JSON200.Fonts[0].Variants) > 0, err
		}},
		{"listStudioCountdownMusic", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.ListStudioCountdownMusicWithResponse(ctx)
			return code(r), r != nil && r.JSON200 != nil && len(r.JSON200.Tracks) > 0 && len(r.JSON200.Tracks[0].Sources) > 0, err
		}},
		{"listStudioAudioBackgrounds", func(c *restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := c.ListStudioAudioBackgroundsWithResponse(ctx)
			return code(r), r != nil && r.JSON200 != nil && len(r.JSON200.Backgrounds) > 0 && len(r.JSON200.Backgrounds[0].Groups) > 0, err
		}},
		{"showAuthorizeDialog", func(*restreamapi.ClientWithResponses) (int, bool, error) {
			noFollow, _ := restreamapi.NewClientWithResponses(tg.API, restreamapi.WithHTTPClient(NoRedirect))
			r, err := noFollow.ShowAuthorizeDialogWithResponse(ctx, &restreamapi.ShowAuthorizeDialogParams{
				ResponseType: restreamapi.Code, ClientId: DevClient, RedirectUri: DevRedirect, State: ptr("st")})
			ok := r != nil && r.StatusCode() == http.StatusFound && strings.Contains(r.HTTPResponse.Header.Get("Location"), "code=")
			return 200, ok, err // 302 is this operation's success under auto-approve
		}},
		{"refreshToken", func(*restreamapi.ClientWithResponses) (int, bool, error) {
			res, err := NoRedirect.Get(DevConfig(tg.API).AuthCodeURL("s"))
			if err != nil {
				return 0, false, err
			}
			res.Body.Close()
			loc, _ := url.Parse(res.Header.Get("Location"))
			r, err := public.RefreshTokenWithFormdataBodyWithResponse(ctx, restreamapi.RefreshTokenFormdataRequestBody{
				GrantType: restreamapi.TokenRequestGrantTypeAuthorizationCode, Code: ptr(loc.Query().Get("code")),
				RedirectUri: ptr(DevRedirect), ClientId: ptr(DevClient), ClientSecret: ptr(DevSecret)})
			return code(r), r != nil && r.JSON200 != nil && r.JSON200.AccessToken != "", err
		}},
		{"revokeToken", func(*restreamapi.ClientWithResponses) (int, bool, error) {
			r, err := public.RevokeTokenWithFormdataBodyWithResponse(ctx, restreamapi.RevokeTokenFormdataRequestBody{Token: tg.Token(t, Quiet)})
			return code(r), r != nil && len(r.Body) == 0, err
		}},
	}
	covered := map[string]bool{}
	for _, c := range calls {
		Run(t, c.op, func(t T) {
			status, parsed, err := c.check(api)
			if err != nil {
				t.Fatal(err)
			}
			if status < 200 || status > 299 || !parsed {
				t.Fatalf("status %d, body parsed as documented: %v", status, parsed)
			}
			covered[c.op] = true
		})
	}
	for _, op := range Spec(t).Operations() {
		if !covered[op.ID] && !partial(t) {
			t.Errorf("operation %s has no passing happy-path call", op.ID)
		}
	}
}

// answer is a generated client's response for a failure message: its status and brief body.
func answer[R interface {
	StatusCode() int
	GetBody() []byte
}](r *R) string {
	if r == nil {
		return "no response"
	}
	return strconv.Itoa((*r).StatusCode()) + " " + brief((*r).GetBody())
}

func code(r interface{ StatusCode() int }) int {
	if r == nil {
		return 0
	}
	return r.StatusCode()
}

// fixtureIDs are fixture ids the happy paths need, read from the running mock so the test does not
// hard-code more of the fixtures than it must.
type fixtureIDs struct {
	upcomingWithoutRTMP uuid.UUID
	recordingFile       string
	readyFile           uuid.UUID
	project             uuid.UUID
	clip                uuid.UUID
}

func lookupIDs(t T, tg Target) fixtureIDs {
	t.Helper()
	ctx := context.Background()
	c := tg.Client(t, tg.Token(t, Nova))
	var ids fixtureIDs
	up, err := c.ListUpcomingEventsWithResponse(ctx, nil)
	if err != nil || up.JSON200 == nil {
		t.Fatalf("listUpcomingEvents: %v %s", err, answer(up))
	}
	for _, e := range *up.JSON200 {
		has := false
		for _, d := range e.Destinations {
			has = has || d.ChannelId == NovaCustomRTMP
		}
		if !has {
			ids.upcomingWithoutRTMP = e.Id
		}
	}
	rec, err := c.ListEventRecordingsWithResponse(ctx, NovaFinished1)
	if err != nil || rec.JSON200 == nil || len(rec.JSON200.PrimaryVideos) == 0 {
		t.Fatalf("recordings of %s: %v", NovaFinished1, err)
	}
	ids.recordingFile = rec.JSON200.PrimaryVideos[0].FileName
	files, err := c.ListStorageFilesWithResponse(ctx)
	if err != nil || files.JSON200 == nil {
		t.Fatalf("listStorageFiles: %v %s", err, answer(files))
	}
	for _, f := range files.JSON200.Files {
		if f.Status == restreamapi.StorageFileStatusReady {
			ids.readyFile = f.Id
		}
	}
	projects, err := c.ListClipsProjectsWithResponse(ctx, nil)
	if err != nil || projects.JSON200 == nil {
		t.Fatalf("listClipsProjects: %v %s", err, answer(projects))
	}
	for _, p := range projects.JSON200.Projects {
		d, err := c.GetClipsProjectWithResponse(ctx, p.ProjectId)
		if err == nil && d.JSON200 != nil && len(d.JSON200.Clips) > 0 {
			ids.project, ids.clip = p.ProjectId, d.JSON200.Clips[0].ClipId
		}
	}
	if ids.upcomingWithoutRTMP == uuid.Nil || ids.readyFile == uuid.Nil || ids.clip == uuid.Nil {
		t.Fatalf("the fixtures lack what the happy paths need: %+v", ids)
	}
	return ids
}
