package cli

import (
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"ferry/backend/config"
	"ferry/backend/jobs"
	"ferry/backend/mirror"
	"ferry/backend/registry"
	"ferry/backend/store"
	"ferry/backend/version"
)

func init() { register(newMirrorCmd) }

// mirrorVerbs are the `ferry mirror` subcommands; each verb's file adds itself.
var mirrorVerbs []func(*globals) *cobra.Command

func newMirrorCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mirror",
		Short: "Move images: gather, serialize, deserialize, scatter, clone, archive, unarchive, verify",
	}
	for _, v := range mirrorVerbs {
		cmd.AddCommand(v(g))
	}
	return cmd
}

// NewEnv returns the environment mirror operations run in for one job:
// registries reached as cfg says, progress, items and log lines recorded by
// the job.
func NewEnv(cfg *config.Config, j *jobs.Job) mirror.Env {
	client := registry.New(cfg)
	return mirror.Env{
		Open:        func(repo name.Repository) mirror.Repo { return mirror.NewRemoteRepo(client, repo) },
		Concurrency: client.Limit(),
		Progress:    j.Progress,
		Item: func(it mirror.Item) {
			j.Item(store.Item{Source: it.Source, Destination: it.Destination, Digest: it.Digest, Status: it.Status, Error: it.Error, Bytes: it.Bytes})
		},
		Logf:    func(format string, args ...any) { j.Logf(logrus.InfoLevel, format, args...) },
		Version: version.Version,
	}
}
