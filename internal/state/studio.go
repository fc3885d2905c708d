package state

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/google/uuid"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
)

// Studio is one user's Restream Studio data: brands; the captions, QR codes and tickers of
// each brand; the fonts and countdown music (defaults and uploads to a brand); and the audio
// backgrounds Studio offers. QR codes keep the user's order (PATCH .../qr-codes/order);
// captions and tickers keep the order they were created in. Fonts, music and backgrounds are
// read-only through the API: they come from fixtures and imports.
type Studio struct {
	Brands      []restreamapi.StudioBrand           `json:"brands"`
	Captions    []restreamapi.StudioCaption         `json:"captions"`
	QrCodes     []restreamapi.StudioQrCode          `json:"qrCodes"`
	Tickers     []restreamapi.StudioTicker          `json:"tickers"`
	Fonts       []restreamapi.StudioFont            `json:"fonts"`
	Music       []restreamapi.StudioAudioTrack      `json:"countdownMusic"`
	Backgrounds []restreamapi.StudioAudioBackground `json:"audioBackgrounds"`
}

func errStudioBrandNotFound() *apierror.Error {
	return notFound("StudioBrandNotFound", "studio_brand_not_found")
}

func errStudioCaptionNotFound() *apierror.Error {
	return notFound("StudioCaptionNotFound", "studio_caption_not_found")
}

// errStudioQrCodeNotFound is the 404 Restream documents for a QR code the user does not have.
func errStudioQrCodeNotFound() *apierror.Error {
	return notFound("StudioQrCodeNotFound", "studio_qr_code_not_found")
}

// hasBrand reports whether the brand is one of the user's.
func hasBrand(u *User, id uuid.UUID) bool {
	return slices.ContainsFunc(u.Studio.Brands, func(b restreamapi.StudioBrand) bool { return b.Id == id })
}

// StudioBrands lists the user's brands.
func (s *Store) StudioBrands(uid int64) ([]restreamapi.StudioBrand, error) {
	out := []restreamapi.StudioBrand{}
	err := s.read(uid, func(u *User) error { out = append(out, u.Studio.Brands...); return nil })
	return out, err
}

// StudioCaptions lists the user's captions, oldest first; a non-nil brandID keeps that brand's.
func (s *Store) StudioCaptions(uid int64, brandID *restreamapi.StudioBrandFilter) ([]restreamapi.StudioCaption, error) {
	out := []restreamapi.StudioCaption{}
	err := s.read(uid, func(u *User) error {
		for _, c := range u.Studio.Captions {
			if brandID == nil || c.BrandId != nil && *c.BrandId == *brandID {
				out = append(out, copyCaption(c))
			}
		}
		return nil
	})
	return out, err
}

// copyCaption copies the pointers of a caption, so that an answer never aliases the store.
func copyCaption(c restreamapi.StudioCaption) restreamapi.StudioCaption {
	if c.BrandId != nil {
		b := *c.BrandId
		c.BrandId = &b
	}
	if c.SecondaryText != nil {
		t := *c.SecondaryText
		c.SecondaryText = &t
	}
	return c
}

func findCaption(u *User, id string) int {
	return slices.IndexFunc(u.Studio.Captions, func(c restreamapi.StudioCaption) bool { return c.Id == id })
}

// StudioCaption returns one caption of the user.
func (s *Store) StudioCaption(uid int64, id string) (restreamapi.StudioCaption, error) {
	var out restreamapi.StudioCaption
	err := s.read(uid, func(u *User) error {
		i := findCaption(u, id)
		if i < 0 {
			return errStudioCaptionNotFound()
		}
		out = copyCaption(u.Studio.Captions[i])
		return nil
	})
	return out, err
}

// secondary is the stored secondary text of a request's: none for null or empty.
func secondary(t *string) *string {
	if t == nil || *t == "" {
		return nil
	}
	v := *t
	return &v
}

// CreateStudioCaption adds a caption to one of the user's brands.
func (s *Store) CreateStudioCaption(uid int64, req restreamapi.StudioCaptionCreate) (restreamapi.StudioCaption, error) {
	id := s.ids.Load().UUID()
	var out restreamapi.StudioCaption
	err := s.write(uid, func(u *User) error {
		if !hasBrand(u, req.BrandId) {
			return errStudioBrandNotFound()
		}
		if len(u.Studio.Captions) >= MaxStudioCaptionsPerUser {
			return errLimit("studio_caption_limit_reached", "StudioCaptionLimitReached: a user may have at most %d captions", MaxStudioCaptionsPerUser)
		}
		brand := req.BrandId
		c := restreamapi.StudioCaption{Id: id, Text: req.Text, SecondaryText: secondary(req.SecondaryText), BrandId: &brand}
		u.Studio.Captions = append(u.Studio.Captions, c)
		out = copyCaption(c)
		return nil
	})
	return out, err
}

// UpdateStudioCaption changes the text and secondary text of a caption; an empty secondary
// text removes it.
func (s *Store) UpdateStudioCaption(uid int64, id string, req restreamapi.StudioCaptionUpdate) (restreamapi.StudioCaption, error) {
	var out restreamapi.StudioCaption
	err := s.write(uid, func(u *User) error {
		i := findCaption(u, id)
		if i < 0 {
			return errStudioCaptionNotFound()
		}
		c := &u.Studio.Captions[i]
		ApplyStudioCaptionUpdate(c, req)
		out = copyCaption(*c)
		return nil
	})
	return out, err
}

// ApplyStudioCaptionUpdate makes c what an update with req makes it: the fields req sets
// replace c's, and an empty secondary text removes it. The store applies it, and the fixture
// rules hold update examples to it.
func ApplyStudioCaptionUpdate(c *restreamapi.StudioCaption, req restreamapi.StudioCaptionUpdate) {
	if req.Text != nil {
		c.Text = *req.Text
	}
	if req.SecondaryText != nil {
		c.SecondaryText = secondary(req.SecondaryText)
	}
}

// DeleteStudioCaption removes a caption.
func (s *Store) DeleteStudioCaption(uid int64, id string) error {
	return s.write(uid, func(u *User) error {
		i := findCaption(u, id)
		if i < 0 {
			return errStudioCaptionNotFound()
		}
		u.Studio.Captions = slices.Delete(u.Studio.Captions, i, i+1)
		return nil
	})
}

// StudioQrCodes lists the user's QR codes in the user's order; a non-nil brandID keeps that
// brand's.
func (s *Store) StudioQrCodes(uid int64, brandID *restreamapi.StudioBrandFilter) ([]restreamapi.StudioQrCode, error) {
	out := []restreamapi.StudioQrCode{}
	err := s.read(uid, func(u *User) error {
		for _, q := range u.Studio.QrCodes {
			if brandID == nil || q.BrandId == *brandID {
				out = append(out, q)
			}
		}
		return nil
	})
	return out, err
}

func findQrCode(u *User, id string) int {
	return slices.IndexFunc(u.Studio.QrCodes, func(q restreamapi.StudioQrCode) bool { return q.Id == id })
}

// StudioQrCode returns one QR code of the user.
func (s *Store) StudioQrCode(uid int64, id string) (restreamapi.StudioQrCode, error) {
	var out restreamapi.StudioQrCode
	err := s.read(uid, func(u *User) error {
		i := findQrCode(u, id)
		if i < 0 {
			return errStudioQrCodeNotFound()
		}
		out = u.Studio.QrCodes[i]
		return nil
	})
	return out, err
}

// CreateStudioQrCode adds a QR code to one of the user's brands, last in the order.
func (s *Store) CreateStudioQrCode(uid int64, req restreamapi.StudioQrCodeCreate) (restreamapi.StudioQrCode, error) {
	id := s.ids.Load().UUID()
	var out restreamapi.StudioQrCode
	err := s.write(uid, func(u *User) error {
		if !hasBrand(u, req.BrandId) {
			return errStudioBrandNotFound()
		}
		if len(u.Studio.QrCodes) >= MaxStudioQrCodesPerUser {
			return errLimit("studio_qr_code_limit_reached", "StudioQrCodeLimitReached: a user may have at most %d QR codes", MaxStudioQrCodesPerUser)
		}
		out = restreamapi.StudioQrCode{Id: id, BrandId: req.BrandId, Title: req.Title, Link: req.Link}
		if req.ShouldShowTitle != nil {
			out.ShouldShowTitle = *req.ShouldShowTitle
		}
		u.Studio.QrCodes = append(u.Studio.QrCodes, out)
		return nil
	})
	return out, err
}

// UpdateStudioQrCode changes the title, link or title display of a QR code.
func (s *Store) UpdateStudioQrCode(uid int64, id string, req restreamapi.StudioQrCodeUpdate) (restreamapi.StudioQrCode, error) {
	var out restreamapi.StudioQrCode
	err := s.write(uid, func(u *User) error {
		i := findQrCode(u, id)
		if i < 0 {
			return errStudioQrCodeNotFound()
		}
		q := &u.Studio.QrCodes[i]
		ApplyStudioQrCodeUpdate(q, req)
		out = *q
		return nil
	})
	return out, err
}

// ApplyStudioQrCodeUpdate makes q what an update with req makes it: the fields req sets replace
// q's. The store applies it, and the fixture rules hold update examples to it.
func ApplyStudioQrCodeUpdate(q *restreamapi.StudioQrCode, req restreamapi.StudioQrCodeUpdate) {
	if req.Title != nil {
		q.Title = *req.Title
	}
	if req.Link != nil {
		q.Link = *req.Link
	}
	if req.ShouldShowTitle != nil {
		q.ShouldShowTitle = *req.ShouldShowTitle
	}
}

// DeleteStudioQrCode removes a QR code.
func (s *Store) DeleteStudioQrCode(uid int64, id string) error {
	return s.write(uid, func(u *User) error {
		i := findQrCode(u, id)
		if i < 0 {
			return errStudioQrCodeNotFound()
		}
		u.Studio.QrCodes = slices.Delete(u.Studio.QrCodes, i, i+1)
		return nil
	})
}

// ReorderStudioQrCodes puts the user's QR codes in the order ids gives. ids must name every QR
// code of the user exactly once; anything else is a 400 naming ids and changes nothing. The
// spec refuses a repeated id (uniqueItems) before this runs; the check here keeps the store
// right on its own.
func (s *Store) ReorderStudioQrCodes(uid int64, ids []string) error {
	bad := func(format string, args ...any) error {
		return apierror.Newf(http.StatusBadRequest, "invalid_qr_code_order", "InvalidQrCodeOrder: ids"+format, args...)
	}
	return s.write(uid, func(u *User) error {
		at := make(map[string]int, len(u.Studio.QrCodes))
		for i, q := range u.Studio.QrCodes {
			at[q.Id] = i
		}
		seen := make(map[string]bool, len(ids))
		order := make([]restreamapi.StudioQrCode, 0, len(ids))
		for n, id := range ids {
			i, ok := at[id]
			switch {
			case !ok:
				return bad("%s", fmt.Sprintf("/%d: %q is not a QR code of the user", n, id))
			case seen[id]:
				return bad("%s", fmt.Sprintf("/%d: %q is named twice", n, id))
			}
			seen[id] = true
			order = append(order, u.Studio.QrCodes[i])
		}
		if len(order) != len(u.Studio.QrCodes) {
			return bad(" must name every QR code of the user: %d of %d are missing", len(u.Studio.QrCodes)-len(order), len(u.Studio.QrCodes))
		}
		u.Studio.QrCodes = order
		return nil
	})
}

// StudioTickers lists the user's tickers, oldest first; a non-nil brandID keeps that brand's.
func (s *Store) StudioTickers(uid int64, brandID *restreamapi.StudioBrandFilter) ([]restreamapi.StudioTicker, error) {
	out := []restreamapi.StudioTicker{}
	err := s.read(uid, func(u *User) error {
		for _, t := range u.Studio.Tickers {
			if brandID == nil || t.BrandId != nil && *t.BrandId == *brandID {
				if t.BrandId != nil {
					b := *t.BrandId
					t.BrandId = &b
				}
				out = append(out, t)
			}
		}
		return nil
	})
	return out, err
}

// CreateStudioTicker adds a ticker to one of the user's brands.
func (s *Store) CreateStudioTicker(uid int64, req restreamapi.StudioTickerCreate) (restreamapi.StudioTicker, error) {
	id := s.ids.Load().UUID()
	var out restreamapi.StudioTicker
	err := s.write(uid, func(u *User) error {
		if !hasBrand(u, req.BrandId) {
			return errStudioBrandNotFound()
		}
		if len(u.Studio.Tickers) >= MaxStudioTickersPerUser {
			return errLimit("studio_ticker_limit_reached", "StudioTickerLimitReached: a user may have at most %d tickers", MaxStudioTickersPerUser)
		}
		stored, answered := req.BrandId, req.BrandId
		u.Studio.Tickers = append(u.Studio.Tickers, restreamapi.StudioTicker{Id: id, Text: req.Text, BrandId: &stored})
		out = restreamapi.StudioTicker{Id: id, Text: req.Text, BrandId: &answered}
		return nil
	})
	return out, err
}

// StudioFonts lists the user's fonts.
func (s *Store) StudioFonts(uid int64) ([]restreamapi.StudioFont, error) {
	var out []restreamapi.StudioFont
	err := s.read(uid, func(u *User) error { out = deepCopy(u.Studio.Fonts); return nil })
	return out, err
}

// StudioCountdownMusic lists the user's countdown music tracks.
func (s *Store) StudioCountdownMusic(uid int64) ([]restreamapi.StudioAudioTrack, error) {
	var out []restreamapi.StudioAudioTrack
	err := s.read(uid, func(u *User) error { out = deepCopy(u.Studio.Music); return nil })
	return out, err
}

// StudioAudioBackgrounds lists the audio backgrounds the user's Studio offers.
func (s *Store) StudioAudioBackgrounds(uid int64) ([]restreamapi.StudioAudioBackground, error) {
	var out []restreamapi.StudioAudioBackground
	err := s.read(uid, func(u *User) error { out = deepCopy(u.Studio.Backgrounds); return nil })
	return out, err
}
