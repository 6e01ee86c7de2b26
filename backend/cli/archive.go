package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"ferry/backend/mirror"
	"ferry/backend/ops"
)

func init() { mirrorVerbs = append(mirrorVerbs, newArchiveCmd) }

func newArchiveCmd(g *globals) *cobra.Command {
	req := ops.Request{Kind: ops.Archive}
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
			req.SourcesFile, req.Path, req.Existing = args[0], args[1], rest(args, 2)
			g.referrers(&req)
			return g.runOp(cmd, req, func(w io.Writer, o ops.Outcome, runID string) error {
				res, opts := o.Result.(mirror.ArchiveResult), o.Options.(mirror.ArchiveOptions)
				printWarnings(w, res.Gather.Warnings)
				if res.Serialize.Root.Digest.Hex == "" {
					return o.Err // failed before serializing
				}
				fmt.Fprintf(w, "Gathered %d images into the local store %s as %s\n", res.Gather.Images, opts.StoreDir, res.Serialize.Tag)
				so := opts.Serialize
				so.Source = res.Serialize.Tag
				return reportSerialize(w, so, res.Serialize, o.Err, runID)
			})
		},
	}
	f := cmd.Flags()
	addSerializeFlags(f, &req)
	f.StringToStringVarP(&req.Annotations, "annotations", "a", nil, "annotations for the gather index (key=value, repeatable)")
	f.BoolVar(&req.IndexFallback, "index-fallback", false, "move index entries into an annotation for registries that reject nested indexes")
	f.StringSliceVarP(&req.Platforms, "platforms", "p", nil, "keep only these platforms of multi-platform images (os/arch[/variant])")
	f.StringArrayVarP(&req.Selectors, "selector", "l", nil, selectorHelp)
	g.addOutputFlags(f)
	f.StringVar(&req.Reference, "reference", "", "tag of the gather index in the local store and on the medium (default latest)")
	f.StringVar(&req.StoreDir, "store", "", "local OCI store (default $XDG_DATA_HOME/ferry/store)")
	return cmd
}
