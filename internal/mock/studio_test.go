package mock_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/state"
)

// Fixture Studio ids (examples/operations/listStudio*.json).
const (
	novaBrand      = "242c20d5-0955-45a4-96d3-2910395c17c4"
	novaSpeedBrand = "3964f0b1-be08-4d04-be4f-cade744e8b70"
	techBrand      = "4a0427d8-2f11-424e-bc2d-df552ffe25e7"
)

// getJSON sends a GET and decodes a 200 answer into v.
func (h *harness) getJSON(path, token string, v any) {
	h.t.Helper()
	status, _, body := h.do("GET", path, token, "", nil)
	if status != 200 {
		h.t.Fatalf("GET %s: %d %s", path, status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
}

func captionIDs(h *harness, token, query string) []string {
	var list restreamapi.StudioCaptions
	h.getJSON("/v2/user/studio/captions"+query, token, &list)
	var ids []string
	for _, c := range list.Captions {
		ids = append(ids, c.Id)
	}
	return ids
}

func qrCodeIDs(h *harness, token, query string) []string {
	var list restreamapi.StudioQrCodes
	h.getJSON("/v2/user/studio/qr-codes"+query, token, &list)
	var ids []string
	for _, q := range list.QrCodes {
		ids = append(ids, q.Id)
	}
	return ids
}

func TestACaptionCreatedIsListedUpdatedAndDeleted(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	before := captionIDs(h, tok, "")
	status, _, body := h.do("POST", "/v2/user/studio/captions", tok, "application/json",
		[]byte(`{"text":"Raid incoming","secondaryText":"Say hi","brandId":"`+novaSpeedBrand+`"}`))
	var created restreamapi.StudioCaption
	if status != 201 || json.Unmarshal(body, &created) != nil {
		t.Fatalf("create: %d %s", status, body)
	}
	if got := captionIDs(h, tok, ""); !slices.Equal(got, append(slices.Clone(before), created.Id)) {
		t.Fatalf("after create the list is %v, want %v then %s", got, before, created.Id)
	}
	if got := captionIDs(h, tok, "?brandId="+novaSpeedBrand); !slices.Contains(got, created.Id) {
		t.Fatalf("the brand filter leaves out the new caption: %v", got)
	}
	if got := captionIDs(h, h.token(techtalks), ""); slices.Contains(got, created.Id) {
		t.Fatal("another user sees the new caption")
	}
	status, _, body = h.do("PATCH", "/v2/user/studio/captions/"+created.Id, tok, "application/json", []byte(`{"secondaryText":""}`))
	if status != 200 {
		t.Fatalf("update: %d %s", status, body)
	}
	var got restreamapi.StudioCaption
	h.getJSON("/v2/user/studio/captions/"+created.Id, tok, &got)
	if got.Text != "Raid incoming" || got.SecondaryText != nil || got.BrandId == nil || got.BrandId.String() != novaSpeedBrand {
		t.Fatalf("after update the caption is %+v", got)
	}
	if status, _, body := h.do("DELETE", "/v2/user/studio/captions/"+created.Id, tok, "", nil); status != 204 {
		t.Fatalf("delete: %d %s", status, body)
	}
	if got := captionIDs(h, tok, ""); !slices.Equal(got, before) {
		t.Fatalf("after delete the list is %v, want %v", got, before)
	}
	status, _, body = h.do("GET", "/v2/user/studio/captions/"+created.Id, tok, "", nil)
	wantError(t, status, body, 404, "studio_caption_not_found", "StudioCaptionNotFound")
}

func TestAQrCodeCreatedIsListedLastUpdatedAndDeleted(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(techtalks)
	before := qrCodeIDs(h, tok, "")
	status, _, body := h.do("POST", "/v2/user/studio/qr-codes", tok, "application/json",
		[]byte(`{"brandId":"`+techBrand+`","title":"Repo","link":"https://git.example.com/tt"}`))
	var created restreamapi.StudioQrCode
	if status != 201 || json.Unmarshal(body, &created) != nil || created.ShouldShowTitle {
		t.Fatalf("create: %d %s", status, body)
	}
	if got := qrCodeIDs(h, tok, ""); !slices.Equal(got, append(slices.Clone(before), created.Id)) {
		t.Fatalf("after create the list is %v, want %v then %s", got, before, created.Id)
	}
	status, _, body = h.do("PATCH", "/v2/user/studio/qr-codes/"+created.Id, tok, "application/json", []byte(`{"link":"https://git.example.com/tt2"}`))
	if status != 200 || !strings.Contains(string(body), `"link":"https://git.example.com/tt2"`) || !strings.Contains(string(body), `"title":"Repo"`) {
		t.Fatalf("update: %d %s", status, body)
	}
	if status, _, body := h.do("DELETE", "/v2/user/studio/qr-codes/"+created.Id, tok, "", nil); status != 204 {
		t.Fatalf("delete: %d %s", status, body)
	}
	if got := qrCodeIDs(h, tok, ""); !slices.Equal(got, before) {
		t.Fatalf("after delete the list is %v, want %v", got, before)
	}
	for _, method := range []string{"GET", "PATCH", "DELETE"} {
		ct, body := "", []byte(nil)
		if method == "PATCH" {
			ct, body = "application/json", []byte(`{"title":"x"}`)
		}
		status, _, answer := h.do(method, "/v2/user/studio/qr-codes/"+created.Id, tok, ct, body)
		wantError(t, status, answer, 404, "studio_qr_code_not_found", "StudioQrCodeNotFound")
	}
}

func TestAReorderChangesTheOrderOfTheQrCodeList(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	ids := qrCodeIDs(h, tok, "")
	if len(ids) < 3 {
		t.Fatalf("nova_plays needs three QR codes, has %v", ids)
	}
	want := []string{ids[2], ids[0], ids[1]}
	if status, _, body := h.do("PATCH", "/v2/user/studio/qr-codes/order", tok, "application/json", mustJSON(t, map[string]any{"ids": want})); status != 204 {
		t.Fatalf("reorder: %d %s", status, body)
	}
	if got := qrCodeIDs(h, tok, ""); !slices.Equal(got, want) {
		t.Fatalf("after the reorder the list is %v, want %v", got, want)
	}
	// A brand's list keeps the new order among that brand's codes.
	var brand []string
	for _, id := range want {
		if id != ids[1] { // the one QR code of the speedrun brand
			brand = append(brand, id)
		}
	}
	if got := qrCodeIDs(h, tok, "?brandId="+novaBrand); !slices.Equal(got, brand) {
		t.Fatalf("the brand's list is %v, want %v", got, brand)
	}
}

func TestAReorderMustNameEveryQrCodeOfTheUserExactlyOnce(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	ids := qrCodeIDs(h, tok, "")
	other := qrCodeIDs(h, h.token(techtalks), "")
	tests := []struct {
		name string
		ids  []string
		want string // error name
		says string // what the message must name
	}{
		{"a missing id is refused", ids[:2], "invalid_qr_code_order", "ids must name every QR code"},
		{"an id named twice is refused", []string{ids[0], ids[1], ids[2], ids[0]}, "invalid_body_params", `"ids"`},
		{"another user's QR code is refused", []string{ids[0], ids[1], other[0]}, "invalid_qr_code_order", "ids/2"},
		{"an unknown id is refused", []string{ids[0], ids[1], "nope"}, "invalid_qr_code_order", "ids/2"},
		{"an empty list is refused", []string{}, "invalid_qr_code_order", "ids must name every QR code"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := h.state()
			status, _, body := h.do("PATCH", "/v2/user/studio/qr-codes/order", tok, "application/json", mustJSON(t, map[string]any{"ids": tc.ids}))
			wantError(t, status, body, 400, tc.want, tc.says)
			if h.state() != before {
				t.Fatal("a refused reorder changed the world")
			}
		})
	}
}

func TestBrandFiltersKeepTheItemsOfOneBrand(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	w := h.world()
	st := userOf(t, &w, nova).Studio
	tests := []struct {
		name  string
		brand string
	}{
		{"the main brand", novaBrand},
		{"the speedrun brand", novaSpeedBrand},
		{"another user's brand gives nothing", techBrand},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var wantCaptions, wantQr []string
			for _, c := range st.Captions {
				if c.BrandId != nil && c.BrandId.String() == tc.brand {
					wantCaptions = append(wantCaptions, c.Id)
				}
			}
			for _, q := range st.QrCodes {
				if q.BrandId.String() == tc.brand {
					wantQr = append(wantQr, q.Id)
				}
			}
			if got := captionIDs(h, tok, "?brandId="+tc.brand); !slices.Equal(got, wantCaptions) {
				t.Errorf("captions %v, want %v", got, wantCaptions)
			}
			if got := qrCodeIDs(h, tok, "?brandId="+tc.brand); !slices.Equal(got, wantQr) {
				t.Errorf("QR codes %v, want %v", got, wantQr)
			}
		})
	}
	if len(captionIDs(h, tok, "?brandId="+novaBrand)) == 0 || len(qrCodeIDs(h, tok, "?brandId="+novaSpeedBrand)) == 0 {
		t.Fatal("the fixtures give each nova_plays brand something to filter")
	}
}

func TestStudioItemsBelongToABrandOfTheUser(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	tests := []struct{ name, path, body string }{
		{"a caption for another user's brand", "/v2/user/studio/captions", `{"text":"x","brandId":"` + techBrand + `"}`},
		{"a QR code for another user's brand", "/v2/user/studio/qr-codes", `{"title":"x","link":"https://x.example","brandId":"` + techBrand + `"}`},
		{"a caption for an unknown brand", "/v2/user/studio/captions", `{"text":"x","brandId":"00000000-0000-4000-8000-000000000000"}`},
		{"a ticker for another user's brand", "/v2/user/studio/tickers", `{"text":"x","brandId":"` + techBrand + `"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := h.do("POST", tc.path, tok, "application/json", []byte(tc.body))
			wantError(t, status, body, 404, "studio_brand_not_found", "StudioBrandNotFound")
		})
	}
}

func TestAUserCannotAddStudioItemsPastTheCap(t *testing.T) {
	tests := []struct {
		name, path, body, limit string
		have                    func(u *state.User) int
		cap                     int
	}{
		{"captions", "/v2/user/studio/captions", `{"text":"again","brandId":"` + novaBrand + `"}`, "studio_caption_limit_reached",
			func(u *state.User) int { return len(u.Studio.Captions) }, state.MaxStudioCaptionsPerUser},
		{"QR codes", "/v2/user/studio/qr-codes", `{"title":"again","link":"https://x.example","brandId":"` + novaBrand + `"}`, "studio_qr_code_limit_reached",
			func(u *state.User) int { return len(u.Studio.QrCodes) }, state.MaxStudioQrCodesPerUser},
		{"tickers", "/v2/user/studio/tickers", `{"text":"again","brandId":"` + novaBrand + `"}`, "studio_ticker_limit_reached",
			func(u *state.User) int { return len(u.Studio.Tickers) }, state.MaxStudioTickersPerUser},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, mock.Options{})
			tok := h.token(nova)
			have := tc.have(userOf(t, ptr(h.world()), nova))
			fillToTheCap(t, h, tc.cap-have, 201, func() (int, []byte) {
				status, _, body := h.do("POST", tc.path, tok, "application/json", []byte(tc.body))
				return status, body
			}, tc.limit, tc.cap)
		})
	}
}

func TestTheWorldExportCarriesStudioDataAndAnImportChecksIt(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	status, _, body := h.do("POST", "/v2/user/studio/captions", tok, "application/json", []byte(`{"text":"Exported","brandId":"`+novaBrand+`"}`))
	if status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	w := h.world()
	u := userOf(t, &w, nova)
	if len(u.Studio.Brands) != 2 || !slices.ContainsFunc(u.Studio.Captions, func(c restreamapi.StudioCaption) bool { return c.Text == "Exported" }) {
		t.Fatalf("the export misses Studio data: %+v", u.Studio)
	}
	if len(userOf(t, &w, quiet).Studio.Brands) != 0 {
		t.Fatal("quiet_newcomer has Studio brands")
	}
	h.do("POST", "/__mock/reset", "", "", nil)
	h.mustLoad(w)
	if got := captionIDs(h, tok, ""); len(got) != len(u.Studio.Captions) {
		t.Fatalf("after the import nova has %d captions, want %d", len(got), len(u.Studio.Captions))
	}

	bad := []struct {
		name, pointer string
		change        func(st *state.Studio)
	}{
		{"a QR code of a brand the user lacks", "/studio/qrCodes/0/brandId", func(st *state.Studio) { st.QrCodes[0].BrandId = mustParseUUID(t, techBrand) }},
		{"a caption id used twice", "/studio/captions/1/id", func(st *state.Studio) { st.Captions[1].Id = st.Captions[0].Id }},
		{"a font of a brand the user lacks", "/studio/fonts/1/brandId", func(st *state.Studio) { st.Fonts[1].BrandId = ptr(mustParseUUID(t, techBrand)) }},
		{"a countdown track id used twice", "/studio/countdownMusic/1/id", func(st *state.Studio) { st.Music[1].Id = st.Music[0].Id }},
		{"too many audio background groups", "/studio/audioBackgrounds/0/groups", func(st *state.Studio) {
			for len(st.Backgrounds[0].Groups) <= state.MaxStudioMediaPerUser {
				st.Backgrounds[0].Groups = append(st.Backgrounds[0].Groups, st.Backgrounds[0].Groups[0])
			}
		}},
		{"too many QR codes", "/studio/qrCodes", func(st *state.Studio) {
			for i := len(st.QrCodes); i <= state.MaxStudioQrCodesPerUser; i++ {
				st.QrCodes = append(st.QrCodes, restreamapi.StudioQrCode{Id: fmt.Sprint("q", i), BrandId: st.Brands[0].Id, Title: "t", Link: "l"})
			}
		}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			w := h.world()
			tc.change(&userOf(t, &w, nova).Studio)
			status, body := h.load(w)
			if status != 400 || !strings.Contains(string(body), tc.pointer) {
				t.Fatalf("import: %d %s, want a 400 naming %s", status, body, tc.pointer)
			}
		})
	}
}

func TestSeededMocksMintTheSameStudioIds(t *testing.T) {
	create := func() string {
		h := newHarness(t, mock.Options{Seed: 7})
		_, _, body := h.do("POST", "/v2/user/studio/qr-codes", h.token(nova), "application/json",
			[]byte(`{"title":"t","link":"https://x.example","brandId":"`+novaBrand+`"}`))
		var q restreamapi.StudioQrCode
		if err := json.Unmarshal(body, &q); err != nil || q.Id == "" {
			t.Fatalf("create: %s", body)
		}
		return q.Id
	}
	if a, b := create(), create(); a != b {
		t.Fatalf("two mocks seeded alike made %s and %s", a, b)
	}
}

func TestTheConsentPageAsksForTheStudioScopes(t *testing.T) {
	h := newHarness(t, mock.Options{})
	q := url.Values{"response_type": {"code"}, "client_id": {devClient}, "redirect_uri": {devRedirect}, "scope": {"studio.read studio.write"}}
	status, _, body := h.send(rawRequest{method: "GET", path: "/login?" + q.Encode(), header: map[string]string{"Accept": "text/html"}})
	if status != 200 {
		t.Fatalf("the dialog answered %d: %s", status, body)
	}
	for _, want := range []string{
		"See your Studio brands, captions, QR codes, tickers, fonts and music</span> <code>studio.read</code>",
		"Add, change, reorder and delete your Studio captions, QR codes and tickers</span> <code>studio.write</code>",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the consent page lacks %q", want)
		}
	}
}

func TestATickerCreatedIsListedForItsBrandOnly(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	status, _, body := h.do("POST", "/v2/user/studio/tickers", tok, "application/json", []byte(`{"text":"Raid train tonight","brandId":"`+novaSpeedBrand+`"}`))
	var created restreamapi.StudioTicker
	if status != 201 || json.Unmarshal(body, &created) != nil {
		t.Fatalf("create: %d %s", status, body)
	}
	ids := func(query string) []string {
		var list restreamapi.StudioTickers
		h.getJSON("/v2/user/studio/tickers"+query, tok, &list)
		var out []string
		for _, tk := range list.Tickers {
			out = append(out, tk.Id)
		}
		return out
	}
	if all := ids(""); len(all) == 0 || all[len(all)-1] != created.Id {
		t.Fatalf("the list %v does not end with the new ticker %s", all, created.Id)
	}
	if !slices.Contains(ids("?brandId="+novaSpeedBrand), created.Id) || slices.Contains(ids("?brandId="+novaBrand), created.Id) {
		t.Fatal("the brand filter does not keep the new ticker with its brand")
	}
}

func TestFontsMusicAndBackgroundsAreEachUsersOwn(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tests := []struct {
		name                       string
		user                       int64
		fonts, tracks, backgrounds int
	}{
		{"nova_plays has a brand font and a brand track besides the defaults", nova, 2, 2, 1},
		{"techtalks_daily has a brand font and the default track", techtalks, 2, 1, 1},
		{"quiet_newcomer has none", quiet, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := h.token(tc.user)
			var f restreamapi.StudioFonts
			var m restreamapi.StudioCountdownMusic
			var b restreamapi.StudioAudioBackgrounds
			h.getJSON("/v2/user/studio/fonts", tok, &f)
			h.getJSON("/v2/user/studio/audio/countdown-music", tok, &m)
			h.getJSON("/v2/user/studio/audio-backgrounds", tok, &b)
			if len(f.Fonts) != tc.fonts || len(m.Tracks) != tc.tracks || len(b.Backgrounds) != tc.backgrounds {
				t.Fatalf("%d fonts, %d tracks, %d backgrounds; want %d, %d, %d",
					len(f.Fonts), len(m.Tracks), len(b.Backgrounds), tc.fonts, tc.tracks, tc.backgrounds)
			}
		})
	}
}
