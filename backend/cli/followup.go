package cli

import (
	"io"

	"github.com/spf13/cobra"

	"ferry/backend/mirror"
	"ferry/backend/ops"
)

func init() { register(newResumeCmd); register(newRerunCmd) }

func newResumeCmd(g *globals) *cobra.Command {
	req := ops.Request{Kind: ops.Resume}
	cmd := &cobra.Command{
		Use:   "resume RUN-ID [NEW-DEST]",
		Short: "Continue an interrupted serialize, archive or deserialize run",
		Long: `Resume continues the run RUN-ID (the id a failed command prints, or the
window's History page shows) where it stopped, without asking for offsets.

A serialize or archive run writes only what it did not deliver, as the next part:
NEW-DEST defaults to NAME.partN.tar next to the original file (tapes and pipes reuse
the same path). --force, --checkpoint and the sizes may change; everything else is
the run's own. A deserialize run reads its medium again with its own options;
what already arrived is not sent twice.

The run must have failed, been cancelled or been interrupted, and no later run may
continue it already.`,
		Example: `  ferry resume 6f1c2a90-5d7e-4c1b-9a37-0b1f5d2e8c44
  ferry resume 6f1c2a90-5d7e-4c1b-9a37-0b1f5d2e8c44 /media/usb2/sync-45.part2.tar --force`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Run = args[0]
			if len(args) == 2 {
				req.Path = args[1]
			}
			return g.runOp(cmd, req, reportResume)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&req.Force, "force", false, "overwrite an existing NEW-DEST file")
	f.StringVar(&req.Checkpoint, "checkpoint", "", "write the checkpoint ledger of the new part to this file")
	sizeVarP(f, &req.BufferSize, "buffer-size", "m", "memory between the registry and the medium (default: the run's)")
	sizeVarP(f, &req.BlockSize, "block-size", "b", "size of every write to the medium (default: the run's)")
	sizeVarP(f, &req.VolumeSize, "volume-size", "", "split the new part into files of at most this size (default: the run's)")
	g.addOutputFlags(f)
	return cmd
}

// reportResume prints the outcome of the resumed operation.
func reportResume(w io.Writer, o ops.Outcome, runID string) error {
	switch opts := o.Options.(type) {
	case mirror.SerializeOptions:
		return reportSerialize(w, opts, o.Result.(mirror.SerializeResult), o.Err, runID)
	case mirror.DeserializeOptions:
		printDeserialize(w, opts.Dest, o.Result.(mirror.DeserializeResult), opts.DryRun)
	}
	return o.Err
}

func newRerunCmd(g *globals) *cobra.Command {
	req := ops.Request{Kind: ops.Rerun}
	var partial continued
	cmd := &cobra.Command{
		Use:   "rerun RUN-ID",
		Short: "Run again only the images a scatter or clone run failed",
		Long: `Rerun starts a new run of the scatter or clone RUN-ID with only the images that
failed in it, with the run's own options and mapping rules (a file typed in the
window's Mapping editor is kept, named by its digest, for this). History links the
new run to RUN-ID.`,
		Example: `  ferry rerun 6f1c2a90-5d7e-4c1b-9a37-0b1f5d2e8c44`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Run = args[0]
			return partial.exit(cmd, g.runOp(cmd, req, func(w io.Writer, o ops.Outcome, _ string) error {
				res := o.Result.(mirror.ScatterResult)
				verb, cont := "Scattered", false
				switch opts := o.Options.(type) {
				case mirror.ScatterOptions:
					cont = opts.Continue
				case mirror.CloneOptions:
					verb, cont = "Cloned", opts.Continue
				}
				printDelivery(w, verb, res, false)
				partial.note(cont, res, o.Err)
				return o.Err
			}))
		},
	}
	g.addOutputFlags(cmd.Flags())
	return cmd
}
