package jobs

import (
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sirupsen/logrus"

	"ferry/backend/config"
	"ferry/backend/mirror"
	"ferry/backend/registry"
	"ferry/backend/store"
	"ferry/backend/version"
)

// MirrorEnv is the environment a mirror operation runs in as this job:
// registries reached as cfg says; progress, items and log lines recorded by
// the job. j may be nil for work that records nothing (previews, checks).
func MirrorEnv(cfg *config.Config, j *Job) mirror.Env {
	client := registry.New(cfg)
	env := mirror.Env{
		Open:        func(repo name.Repository) mirror.Repo { return mirror.NewRemoteRepo(client, repo) },
		Concurrency: client.Limit(),
		Version:     version.Version,
	}
	if j != nil {
		env.Progress = j.Progress
		env.Item = func(it mirror.Item) {
			j.Item(store.Item{Source: it.Source, Destination: it.Destination, Digest: it.Digest, Status: it.Status, Error: it.Error, Bytes: it.Bytes})
		}
		env.Checkpoint = func(c mirror.Checkpoint) {
			j.Blobs(store.Blob{Digest: c.Digest, Size: c.Size, MediaType: c.MediaType, Volume: c.Volume, Offset: c.Offset, Confirmed: c.Confirmed})
		}
		env.Medium = func(m mirror.MediumRecord) {
			j.Medium(store.Medium{Label: m.Label, Device: m.Device, SyncID: m.SyncID, Volume: m.Volume, Last: m.Last, Bytes: m.Bytes})
		}
		env.Logf = func(format string, args ...any) { j.Logf(logrus.InfoLevel, format, args...) }
	}
	return env
}
