package jobs

import (
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sirupsen/logrus"

	"ferry/backend/config"
	"ferry/backend/mirror"
	"ferry/backend/progress"
	"ferry/backend/registry"
	"ferry/backend/store"
	"ferry/backend/version"
)

// MirrorEnv is the environment a mirror operation runs in as this job:
// registries reached as cfg says; progress, items and log lines recorded by
// the job. j may be nil for work that records nothing (previews, checks).
func MirrorEnv(cfg *config.Config, j *Job) mirror.Env {
	var opts []registry.Option
	if j != nil {
		// Registry traffic goes to the application log (and the console),
		// not to the job's history: at trace level it is a line per request.
		opts = append(opts, registry.WithLog(j.m.log.WithFields(logrus.Fields{"job": j.id, "kind": j.kind})))
	}
	client := registry.New(cfg, opts...)
	env := mirror.Env{
		Open:        func(repo name.Repository) mirror.Repo { return mirror.NewRemoteRepo(client, repo) },
		Concurrency: client.Limit(),
		Version:     version.Version,
	}
	if j != nil {
		env.Progress = j.Progress
		env.Item = func(it mirror.Item) {
			j.Logf(logrus.DebugLevel, "%s", describeItem(it))
			j.Item(store.Item{Source: it.Source, Destination: it.Destination, Digest: it.Digest, Status: it.Status, Error: it.Error, Bytes: it.Bytes})
		}
		env.Checkpoint = func(c mirror.Checkpoint) {
			j.Logf(logrus.TraceLevel, "blob %s (%s, %d bytes) volume %d ends at offset %d, confirmed %t",
				c.Digest, c.MediaType, c.Size, c.Volume, c.Offset, c.Confirmed)
			j.Blobs(store.Blob{Digest: c.Digest, Size: c.Size, MediaType: c.MediaType, Volume: c.Volume, Offset: c.Offset, Confirmed: c.Confirmed})
		}
		env.Medium = func(m mirror.MediumRecord) {
			j.Medium(store.Medium{Label: m.Label, Device: m.Device, SyncID: m.SyncID, Volume: m.Volume, Last: m.Last, Bytes: m.Bytes})
		}
		env.Logf = func(format string, args ...any) { j.Logf(logrus.InfoLevel, format, args...) }
	}
	return env
}

// describeItem is the debug line for an item: planned ones show what the
// plan decided, skipped ones why nothing moved.
func describeItem(it mirror.Item) string {
	line := it.Status + " " + it.Source
	if it.Destination != "" && it.Destination != it.Source {
		line += " -> " + it.Destination
	}
	if it.Digest != "" {
		line += " " + it.Digest
	}
	if it.Bytes > 0 {
		line += " (" + progress.HumanBytes(it.Bytes) + ")"
	}
	if it.Error != "" {
		line += ": " + it.Error
	}
	return line
}
