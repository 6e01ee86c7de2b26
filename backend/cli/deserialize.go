package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"ferry/backend/mirror"
	"ferry/backend/ops"
)

func init() { mirrorVerbs = append(mirrorVerbs, newDeserializeCmd) }

func newDeserializeCmd(g *globals) *cobra.Command {
	req := ops.Request{Kind: ops.Deserialize}
	cmd := &cobra.Command{
		Use:   "deserialize SOURCE [MORE-VOLUMES...] IMAGE",
		Short: "Read a tar file or tape and push its images into a repository",
		Long: `Deserialize reads SOURCE (a tar file, a FIFO, "-" for standard input, or a tape
device) once and pushes everything on it into the repository of IMAGE, then tags the
gather index with IMAGE's tag. Every blob is verified against its digest before it
counts; blobs already in the repository are not sent again.

A medium that was cut short keeps everything it delivered; the command lists exactly
what is missing and exits non-zero. Read the rest (the next part, or the archive a
"serialize --resume" wrote) into the same IMAGE to complete the transfer. Tapes are
read in variable-size records, so any block size works with the defaults.

A multi-volume transfer is read as one: give its volumes in order
(sync-45.001.tar sync-45.002.tar ..., or a glob), or only the first, and the next
ones are found by name next to it. From a tape drive, the command asks on the
terminal for each next tape until the volume marked last. Every volume must carry
the same sync id and come in order; a wrong, repeated or foreign volume is refused
and named.`,
		Example: `  ferry mirror deserialize /dev/nst0 reg.high.example/transfer:sync-45
  ferry mirror deserialize sync-45.tar reg.high.example/transfer:sync-45 --strict
  ferry mirror deserialize sync-45.tar reg.high.example/transfer:sync-45 --dry-run
  ferry mirror deserialize sync-45.0*.tar reg.high.example/transfer:sync-45`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Path, req.Volumes, req.Image = args[0], rest(args[:len(args)-1], 1), args[len(args)-1]
			return g.runOp(cmd, req, reportResume)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&req.Strict, "strict", false, "require the reference's entry order (oci-layout, index.json, blobs, index.json)")
	f.BoolVar(&req.DryRun, "dry-run", false, "read and verify the whole medium; push nothing")
	f.StringVar(&req.Checkpoint, "checkpoint", "", "write a checkpoint ledger of the blobs received (the form serialize --existing-from-checkpoint reads) to this file")
	f.BoolVar(&req.Force, "force", false, "replace an existing --checkpoint file")
	sizeVarP(f, &req.BlockSize, "block-size", "", readBlockHelp)
	g.addOutputFlags(f)
	return cmd
}

func printDeserialize(w io.Writer, dest string, res mirror.DeserializeResult, dry bool) {
	if res.Blobs == 0 && res.Root.Digest.Hex == "" {
		return // nothing was read; the error says why
	}
	switch {
	case dry:
		fmt.Fprintf(w, "Dry run: %d blobs (%s) verified, %d manifests complete; nothing was pushed\n", res.Blobs, HumanBytes(res.Bytes), res.Manifests)
	case res.Complete:
		fmt.Fprintf(w, "Deserialized %s (%s): %d blobs received (%s), %d pushed, %d already present, %d manifests\n",
			dest, res.Root.Digest, res.Blobs, HumanBytes(res.Bytes), res.Pushed, res.Present, res.Manifests)
	case len(res.Missing) == 0:
		fmt.Fprintf(w, "Incomplete: %d blobs received (%s) and kept in %s; none of what it lists is missing, but it was not tagged (see the error)\n", res.Blobs, HumanBytes(res.Bytes), dest)
	default:
		fmt.Fprintf(w, "Incomplete: %d blobs received (%s) and kept in %s; %d missing\n", res.Blobs, HumanBytes(res.Bytes), dest, len(res.Missing))
	}
	if len(res.Volumes) > 1 {
		fmt.Fprintf(w, "Read %d volumes of transfer %s\n", len(res.Volumes), res.SyncID)
	}
}
