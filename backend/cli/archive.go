package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"ferry/backend/jobs"
	"ferry/backend/medium"
	"ferry/backend/mirror"
	"ferry/backend/session"
)

func init() { mirrorVerbs = append(mirrorVerbs, newArchiveCmd) }

func newArchiveCmd(g *globals) *cobra.Command {
	var o mirror.ArchiveOptions
	var m mediaFlags
	var selectors []string
	cmd := &cobra.Command{
		Use:   "archive SOURCES-FILE DEST [EXISTING-IMAGE...]",
		Short: "Gather a sources list into the local store and serialize it, with no low-side registry",
		Long: `Archive is gather followed by serialize, with the gathered images kept in Ferry's
local store instead of a registry. Sources are read from their registries; DEST is a
tar file, a FIFO, "-" or a tape device, as for serialize, and EXISTING-IMAGEs are
images whose blobs the far side has. An interrupted archive resumes with
"ferry mirror serialize --resume RUN-ID".`,
		Example: `  ferry mirror archive sources.list sync-45.tar --reference sync-45
  ferry mirror archive sources.list /dev/nst0 -m 1Gi --compression zstd`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			srcs, err := readSources(cmd, args[0], selectors)
			if err != nil {
				return err
			}
			o.Sources = srcs
			o.Serialize.Dest, o.Serialize.Existing, o.Serialize.Referrers = args[1], args[2:], g.recursive
			if err := m.apply(cmd.Flags(), &o.Serialize); err != nil {
				return err
			}
			cfg, err := g.config()
			if err != nil {
				return err
			}
			return g.runJob(cmd, func(s *session.Session) (jobs.Spec, error) {
				if o.StoreDir == "" {
					o.StoreDir = s.Paths.Store
				}
				g.resultsToStderr = o.Serialize.Dest == medium.Stdio
				return jobs.Spec{Kind: "archive", Args: commandLine(cmd, args), Options: o, Run: func(ctx context.Context, j *jobs.Job) error {
					res, err := mirror.Archive(ctx, cliEnv(cmd, jobs.MirrorEnv(cfg, j)), o)
					printWarnings(cmd.OutOrStdout(), res.Gather.Warnings)
					if res.Serialize.Root.Digest.Hex == "" {
						return err // failed before serializing
					}
					fmt.Fprintf(cmd.OutOrStdout(), "Gathered %d images into the local store %s as %s\n", res.Gather.Images, o.StoreDir, res.Serialize.Tag)
					so := o.Serialize
					so.Source = res.Serialize.Tag
					return reportSerialize(cmd.OutOrStdout(), so, res.Serialize, err, j.ID())
				}}, nil
			})
		},
	}
	f := cmd.Flags()
	addSerializeFlags(f, &o.Serialize, &m)
	f.StringToStringVarP(&o.Annotations, "annotations", "a", nil, "annotations for the gather index (key=value, repeatable)")
	f.BoolVar(&o.IndexFallback, "index-fallback", false, "move index entries into an annotation for registries that reject nested indexes")
	f.StringSliceVarP(&o.Platforms, "platforms", "p", nil, "keep only these platforms of multi-platform images (os/arch[/variant])")
	f.StringArrayVarP(&selectors, "selector", "l", nil, selectorHelp)
	g.addOutputFlags(f)
	f.StringVar(&o.Reference, "reference", "latest", "tag of the gather index in the local store and on the medium")
	f.StringVar(&o.StoreDir, "store", "", "local OCI store (default $XDG_DATA_HOME/ferry/store)")
	return cmd
}
