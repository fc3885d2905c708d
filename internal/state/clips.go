package state

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
)

// What Restream documents for clipping (facts §3.2.32): the video must be at least 10 seconds
// long, and a single clip at most 10 minutes.
const (
	// MinClipsSourceSeconds is the shortest video that can be clipped.
	MinClipsSourceSeconds = 10
	// MaxSingleClipSeconds is the longest part singleClipMode clips.
	MaxSingleClipSeconds = 600
)

// Source type names of clip projects, as List Clips Projects shows them.
const (
	clipsSourceStorageFile = "VideoStorageFile"
)

func errClipsBody(format string, args ...any) *apierror.Error {
	return apierror.Newf(http.StatusBadRequest, apierror.NameInvalidBodyParams, "Invalid body params: "+format, args...)
}

// CreateClipsProject starts clipping one of the user's storage videos and returns the new
// project, which has no clips yet and is generating them. The file must be the user's (else
// 404 storage_file_not_found), ready and at least MinClipsSourceSeconds long, and the time range
// inside it (else 400 naming the field); a file that already has a project is a 409
// clips_input_already_processed unless forceReprocess is set, and a user with
// MaxClipsProjectsPerUser projects a 409 clips_project_limit_reached. The id comes from the
// store's id source, so seeded stores repeat it.
func (s *Store) CreateClipsProject(uid int64, req restreamapi.ClipsProjectCreate) (restreamapi.ClipsProject, error) {
	if req.SourceType != clipsSourceStorageFile {
		return restreamapi.ClipsProject{}, errClipsBody("sourceType must be %s", clipsSourceStorageFile)
	}
	if r := req.SelectedTimeRange; r != nil && !(r.EndSeconds > r.StartSeconds) {
		return restreamapi.ClipsProject{}, errClipsBody("selectedTimeRange.endSeconds must be after startSeconds")
	}
	if req.SingleClipMode != nil && *req.SingleClipMode {
		if req.SelectedTimeRange == nil {
			return restreamapi.ClipsProject{}, errClipsBody("selectedTimeRange is required with singleClipMode")
		}
		if r := req.SelectedTimeRange; r.EndSeconds-r.StartSeconds > MaxSingleClipSeconds {
			return restreamapi.ClipsProject{}, errClipsBody("selectedTimeRange must be at most %d seconds with singleClipMode", MaxSingleClipSeconds)
		}
	}
	fileID := req.VideoStorageFileId.String()
	id := uuid.MustParse(s.ids.Load().UUID())
	now := s.clock.Now().UTC().Truncate(time.Millisecond)
	var created restreamapi.ClipsProject
	err := s.write(uid, func(u *User) error {
		var file *restreamapi.StorageFile
		for i := range u.StorageFiles {
			if u.StorageFiles[i].Id.String() == fileID {
				file = &u.StorageFiles[i]
				break
			}
		}
		if file == nil {
			return errStorageFileNotFound()
		}
		if file.Status != restreamapi.StorageFileStatusReady || file.DurationSeconds == nil {
			return errClipsBody("videoStorageFileId %s is not ready (status %s)", fileID, file.Status)
		}
		duration := *file.DurationSeconds
		if duration < MinClipsSourceSeconds {
			return errClipsBody("videoStorageFileId %s is %d seconds long; clipping needs at least %d", fileID, duration, MinClipsSourceSeconds)
		}
		if r := req.SelectedTimeRange; r != nil && r.EndSeconds > float64(duration) {
			return errClipsBody("selectedTimeRange.endSeconds must be within the video (%d seconds)", duration)
		}
		if req.ForceReprocess == nil || !*req.ForceReprocess {
			for _, p := range u.Clips {
				if p.SourceTypeName == clipsSourceStorageFile && p.SourceIdentifier == fileID {
					return apierror.New(http.StatusConflict, "clips_input_already_processed", "ClipsInputAlreadyProcessed")
				}
			}
		}
		if len(u.Clips) >= MaxClipsProjectsPerUser {
			return errLimit("clips_project_limit_reached", "ClipsProjectLimitReached: a user may have at most %d clip projects", MaxClipsProjectsPerUser)
		}
		title := file.Title
		if req.Title != nil {
			title = *req.Title
		}
		created = restreamapi.ClipsProject{ProjectId: id, SourceTypeName: clipsSourceStorageFile,
			SourceIdentifier: fileID, Title: title, ClipThumbnails: []string{}, GeneratingClipsNow: true, CreatedAt: now}
		u.Clips = append(u.Clips, ClipsProject{ClipsProject: created, Details: restreamapi.ClipsProjectDetails{
			GeneratingClipsNow: true, Clips: []restreamapi.Clip{}, PostedClips: []restreamapi.PostedClip{}}})
		return nil
	})
	if err != nil {
		return restreamapi.ClipsProject{}, err
	}
	created.ClipThumbnails = []string{}
	return created, nil
}
