package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"ferry/backend/mirror"
	"ferry/backend/ops"
)

func init() { mirrorVerbs = append(mirrorVerbs, newGatherCmd) }

const selectorHelp = "only images whose labels match this Kubernetes selector (a comma means and; repeat -l for or)"

func newGatherCmd(g *globals) *cobra.Command {
	req := ops.Request{Kind: ops.Gather}
	cmd := &cobra.Command{
		Use:   "gather SOURCES-FILE IMAGE",
		Short: "Copy every image of a sources list into one repository and tag a gather index",
		Example: `  ferry mirror gather sources.list registry.low.example/transfer:sync-45
  ferry mirror gather -p linux/amd64 -r -l component=core sources.list 127.0.0.1:5000/transfer:sync-45`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.SourcesFile, req.Image = args[0], args[1]
			g.referrers(&req)
			return g.runOp(cmd, req, func(w io.Writer, o ops.Outcome, _ string) error {
				res := o.Result.(mirror.GatherResult)
				printWarnings(w, res.Warnings)
				if o.Err != nil {
					return o.Err
				}
				fmt.Fprintf(w, "Gathered %d images into %s@%s (%s, %s after dedup; sent %s, skipped %s)\n",
					res.Images, req.Image, res.Index.Digest, HumanBytes(res.SizeTotal), HumanBytes(res.SizeDedup),
					HumanBytes(res.Stats.BytesSent), HumanBytes(res.Stats.BytesSkipped+res.Stats.BytesMounted))
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringToStringVarP(&req.Annotations, "annotations", "a", nil, "annotations for the gather index (key=value, repeatable)")
	f.BoolVar(&req.IndexFallback, "index-fallback", false, "move index entries into an annotation for registries that reject nested indexes")
	f.StringSliceVarP(&req.Platforms, "platforms", "p", nil, "gather only these platforms (os/arch[/variant][:os.version]): an index gives its matching manifests; a source with none is left out with a warning")
	f.StringArrayVarP(&req.Selectors, "selector", "l", nil, selectorHelp)
	g.addOutputFlags(f)
	return cmd
}

// printWarnings prints what an operation left out, one "warning:" line each.
func printWarnings(w io.Writer, warnings []string) {
	for _, m := range warnings {
		fmt.Fprintf(w, "warning: %s\n", m)
	}
}
