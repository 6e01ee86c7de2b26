package cli

import (
	"io"

	"github.com/spf13/cobra"

	"ferry/backend/mirror"
	"ferry/backend/ops"
)

func init() { mirrorVerbs = append(mirrorVerbs, newDiffCmd) }

func newDiffCmd(g *globals) *cobra.Command {
	req := ops.Request{Kind: ops.Diff}
	cmd := &cobra.Command{
		Use:   "diff MIRROR-ARTIFACT [EXISTING-IMAGE...]",
		Short: "List the images of a mirror artifact, leaving out those existing images hold",
		Long: `Diff lists the images of MIRROR-ARTIFACT (a gather index made by gather or
deserialize): their source reference and digest, sorted by reference. Images whose
digest is an EXISTING-IMAGE, or an entry of an EXISTING-IMAGE that is itself a
gather index (e.g. the previous sync), are left out: what is left is what the new
transfer adds.

--expand lists the images of gather indexes nested in MIRROR-ARTIFACT instead of
the nested index. Index-fallback entries are listed like the others.

-o chooses the format: table (default), csv or json; TYPE=FILE writes to FILE.
Repeat -o for several outputs.`,
		Example: `  ferry mirror diff reg.example/transfer:sync-45
  ferry mirror diff reg.example/transfer:sync-45 reg.example/transfer:sync-44
  ferry mirror diff reg.example/transfer:sync-45 --expand -o json=images.json -o table`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Image, req.Existing = args[0], rest(args, 1)
			return g.runOp(cmd, req, func(w io.Writer, o ops.Outcome, _ string) error {
				if o.Err != nil {
					return o.Err
				}
				outs, err := ops.ParseOutputs(req.Outputs)
				if err != nil {
					return err
				}
				for _, out := range outs {
					if err := out.Write(w, o.Result.([]mirror.DiffRow)); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&req.Expand, "expand", false, "list the images of nested mirror artifacts instead of the nested artifact")
	f.StringSliceVarP(&req.Outputs, "output", "o", nil, "output format: table, csv or json; TYPE=FILE writes to FILE (repeatable; default table)")
	return cmd
}
