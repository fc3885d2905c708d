package mock

import (
	"context"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
)

// The Restream Studio operations: brands, captions, QR codes, tickers, fonts and audio, per
// user in the store.

func (a *restAPI) ListStudioBrands(ctx context.Context, _ restreamapi.ListStudioBrandsRequestObject) (restreamapi.ListStudioBrandsResponseObject, error) {
	brands, err := a.s.store.StudioBrands(userID(ctx))
	if err != nil {
		return nil, err
	}
	return restreamapi.ListStudioBrands200JSONResponse{Brands: brands}, nil
}

func (a *restAPI) ListStudioCaptions(ctx context.Context, req restreamapi.ListStudioCaptionsRequestObject) (restreamapi.ListStudioCaptionsResponseObject, error) {
	list, err := a.s.store.StudioCaptions(userID(ctx), req.Params.BrandId)
	if err != nil {
		return nil, err
	}
	return restreamapi.ListStudioCaptions200JSONResponse{Captions: list}, nil
}

func (a *restAPI) GetStudioCaption(ctx context.Context, req restreamapi.GetStudioCaptionRequestObject) (restreamapi.GetStudioCaptionResponseObject, error) {
	c, err := a.s.store.StudioCaption(userID(ctx), req.CaptionId)
	if err != nil {
		return nil, err
	}
	return restreamapi.GetStudioCaption200JSONResponse(c), nil
}

// CreateStudioCaption answers 201: the status is not documented, and 201 is what Restream's
// other creates answer.
func (a *restAPI) CreateStudioCaption(ctx context.Context, req restreamapi.CreateStudioCaptionRequestObject) (restreamapi.CreateStudioCaptionResponseObject, error) {
	c, err := a.s.store.CreateStudioCaption(userID(ctx), *req.Body)
	if err != nil {
		return nil, err
	}
	return restreamapi.CreateStudioCaption201JSONResponse(c), nil
}

func (a *restAPI) UpdateStudioCaption(ctx context.Context, req restreamapi.UpdateStudioCaptionRequestObject) (restreamapi.UpdateStudioCaptionResponseObject, error) {
	c, err := a.s.store.UpdateStudioCaption(userID(ctx), req.CaptionId, *req.Body)
	if err != nil {
		return nil, err
	}
	return restreamapi.UpdateStudioCaption200JSONResponse(c), nil
}

func (a *restAPI) DeleteStudioCaption(ctx context.Context, req restreamapi.DeleteStudioCaptionRequestObject) (restreamapi.DeleteStudioCaptionResponseObject, error) {
	if err := a.s.store.DeleteStudioCaption(userID(ctx), req.CaptionId); err != nil {
		return nil, err
	}
	return restreamapi.DeleteStudioCaption204Response{}, nil
}

func (a *restAPI) ListStudioQrCodes(ctx context.Context, req restreamapi.ListStudioQrCodesRequestObject) (restreamapi.ListStudioQrCodesResponseObject, error) {
	list, err := a.s.store.StudioQrCodes(userID(ctx), req.Params.BrandId)
	if err != nil {
		return nil, err
	}
	return restreamapi.ListStudioQrCodes200JSONResponse{QrCodes: list}, nil
}

func (a *restAPI) GetStudioQrCode(ctx context.Context, req restreamapi.GetStudioQrCodeRequestObject) (restreamapi.GetStudioQrCodeResponseObject, error) {
	q, err := a.s.store.StudioQrCode(userID(ctx), req.QrCodeId)
	if err != nil {
		return nil, err
	}
	return restreamapi.GetStudioQrCode200JSONResponse(q), nil
}

// CreateStudioQrCode answers 201, like CreateStudioCaption.
func (a *restAPI) CreateStudioQrCode(ctx context.Context, req restreamapi.CreateStudioQrCodeRequestObject) (restreamapi.CreateStudioQrCodeResponseObject, error) {
	q, err := a.s.store.CreateStudioQrCode(userID(ctx), *req.Body)
	if err != nil {
		return nil, err
	}
	return restreamapi.CreateStudioQrCode201JSONResponse(q), nil
}

func (a *restAPI) UpdateStudioQrCode(ctx context.Context, req restreamapi.UpdateStudioQrCodeRequestObject) (restreamapi.UpdateStudioQrCodeResponseObject, error) {
	q, err := a.s.store.UpdateStudioQrCode(userID(ctx), req.QrCodeId, *req.Body)
	if err != nil {
		return nil, err
	}
	return restreamapi.UpdateStudioQrCode200JSONResponse(q), nil
}

func (a *restAPI) DeleteStudioQrCode(ctx context.Context, req restreamapi.DeleteStudioQrCodeRequestObject) (restreamapi.DeleteStudioQrCodeResponseObject, error) {
	if err := a.s.store.DeleteStudioQrCode(userID(ctx), req.QrCodeId); err != nil {
		return nil, err
	}
	return restreamapi.DeleteStudioQrCode204Response{}, nil
}

func (a *restAPI) ReorderStudioQrCodes(ctx context.Context, req restreamapi.ReorderStudioQrCodesRequestObject) (restreamapi.ReorderStudioQrCodesResponseObject, error) {
	if err := a.s.store.ReorderStudioQrCodes(userID(ctx), req.Body.Ids); err != nil {
		return nil, err
	}
	return restreamapi.ReorderStudioQrCodes204Response{}, nil
}

func (a *restAPI) ListStudioTickers(ctx context.Context, req restreamapi.ListStudioTickersRequestObject) (restreamapi.ListStudioTickersResponseObject, error) {
	list, err := a.s.store.StudioTickers(userID(ctx), req.Params.BrandId)
	if err != nil {
		return nil, err
	}
	return restreamapi.ListStudioTickers200JSONResponse{Tickers: list}, nil
}

// CreateStudioTicker answers 201, like CreateStudioCaption.
func (a *restAPI) CreateStudioTicker(ctx context.Context, req restreamapi.CreateStudioTickerRequestObject) (restreamapi.CreateStudioTickerResponseObject, error) {
	tk, err := a.s.store.CreateStudioTicker(userID(ctx), *req.Body)
	if err != nil {
		return nil, err
	}
	return restreamapi.CreateStudioTicker201JSONResponse(tk), nil
}

func (a *restAPI) ListStudioFonts(ctx context.Context, _ restreamapi.ListStudioFontsRequestObject) (restreamapi.ListStudioFontsResponseObject, error) {
	fonts, err := a.s.store.StudioFonts(userID(ctx))
	if err != nil {
		return nil, err
	}
	return restreamapi.ListStudioFonts200JSONResponse{Fonts: fonts}, nil
}

func (a *restAPI) ListStudioCountdownMusic(ctx context.Context, _ restreamapi.ListStudioCountdownMusicRequestObject) (restreamapi.ListStudioCountdownMusicResponseObject, error) {
	tracks, err := a.s.store.StudioCountdownMusic(userID(ctx))
	if err != nil {
		return nil, err
	}
	return restreamapi.ListStudioCountdownMusic200JSONResponse{Tracks: tracks}, nil
}

func (a *restAPI) ListStudioAudioBackgrounds(ctx context.Context, _ restreamapi.ListStudioAudioBackgroundsRequestObject) (restreamapi.ListStudioAudioBackgroundsResponseObject, error) {
	list, err := a.s.store.StudioAudioBackgrounds(userID(ctx))
	if err != nil {
		return nil, err
	}
	return restreamapi.ListStudioAudioBackgrounds200JSONResponse{Backgrounds: list}, nil
}
