package cli

import (
	"io"

	"github.com/spf13/cobra"

	"ferry/backend/mirror"
	"ferry/backend/ops"
)

func init() { mirrorVerbs = append(mirrorVerbs, newUnarchiveCmd) }

func newUnarchiveCmd(g *globals) *cobra.Command {
	req := ops.Request{Kind: ops.Unarchive}
	var partial continued
	cmd := &cobra.Command{
		Use:   "unarchive TAR MAPPER",
		Short: "Read a tar file or tape into the local store and scatter it, with no staging registry",
		Long: `Unarchive is deserialize followed by scatter, with the medium read into Ferry's
local store instead of a registry. An incomplete medium is reported and nothing is
scattered: unarchive the next part (into the same store) first.

` + mapperHelp,
		Example: `  ferry mirror unarchive sync-45.tar nest=reg.high.example/mirror
  ferry mirror unarchive /dev/nst0 longest-prefix=rules.csv --continue`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Path, req.Mapper = args[0], args[1]
			g.referrers(&req)
			return partial.exit(cmd, g.runOp(cmd, req, func(w io.Writer, o ops.Outcome, _ string) error {
				res, opts := o.Result.(mirror.UnarchiveResult), o.Options.(mirror.UnarchiveOptions)
				printDeserialize(w, "the local store "+opts.StoreDir, res.Deserialize, false)
				if res.Deserialize.Complete {
					printDelivery(w, "Unarchived", res.Scatter, opts.Check)
					partial.note(opts.Continue, res.Scatter, o.Err)
				}
				return o.Err
			}))
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.StoreDir, "store", "", "local OCI store (default $XDG_DATA_HOME/ferry/store)")
	f.BoolVar(&req.Strict, "strict", false, "require the reference's entry order")
	sizeVarP(f, &req.BlockSize, "block-size", "", readBlockHelp)
	f.StringVar(&req.Reference, "reference", "", "tag of the gather index in the local store (default: the tag on the medium)")
	f.BoolVar(&req.Check, "check", false, "read the medium into the local store and print every destination; push nothing to them")
	f.StringVar(&req.Subset, "subset", "", "scatter only the images listed in this sources list")
	f.StringArrayVarP(&req.Selectors, "selector", "l", nil, "only images whose labels match (comma = and; repeat for or)")
	f.BoolVar(&req.Continue, "continue", false, continueHelp)
	g.addOutputFlags(f)
	return cmd
}
