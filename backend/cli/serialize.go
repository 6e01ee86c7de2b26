package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"ferry/backend/config"
	"ferry/backend/mirror"
	"ferry/backend/ops"
)

func init() { mirrorVerbs = append(mirrorVerbs, newSerializeCmd) }

// addSerializeFlags adds the flags serialize and archive share.
func addSerializeFlags(f *pflag.FlagSet, r *ops.Request) {
	f.StringVar(&r.Checkpoint, "checkpoint", "", "write the checkpoint ledger (one JSON line per blob the medium confirmed) to this file")
	f.StringSliceVar(&r.ExistingFromCheckpoint, "existing-from-checkpoint", nil, "FILE:OFFSET: blobs a ledger records below OFFSET are on the far side already (comma-separated or repeated)")
	f.StringVar(&r.Compression, "compression", "", "compress the whole stream: gzip or zstd (default none)")
	f.BoolVar(&r.ManifestJSON, "manifest-json", false, "also write manifest.json inside the archive, after the final index.json, in the format docker load reads")
	sizeVarP(f, &r.BufferSize, "buffer-size", "m", "memory between the registry and the medium (e.g. 1Gi for tapes); 0: the least, one block (default "+config.Size(mirror.DefaultBufferSize).String()+")")
	sizeVarP(f, &r.BlockSize, "block-size", "b", "size of every write to the medium (default "+config.Size(mirror.DefaultBlockSize).String()+")")
	f.IntVar(&r.HWM, "hwm", 0, fmt.Sprintf("percent the buffer fills before the medium is written (0: %d for a tape drive, none for files; 1 starts a tape almost at once)", mirror.DefaultHWM))
	f.BoolVar(&r.Force, "force", false, "overwrite an existing DEST file (nothing is ever appended)")
	sizeVarP(f, &r.VolumeSize, "volume-size", "", "split into files of at most this size, DEST with .001, .002, ... before .tar, each a complete archive (e.g. 4.7G for DVDs)")
	f.BoolVar(&r.PadFinalBlock, "pad-final-block", false, "zero-pad the last block to the block size; on a tape, write in fixed-size blocks")
}

// stdinTerminal reports whether standard input is a terminal; tests replace it.
var stdinTerminal = func() bool {
	return isatty.IsTerminal(os.Stdin.Fd()) || isatty.IsCygwinTerminal(os.Stdin.Fd())
}

// mediumPrompt asks for the next medium of a multi-volume transfer on the
// terminal: it prints the request and waits for Enter ("q" stops). When
// standard input is not a terminal there is nobody to ask, so it fails
// clearly; files (--volume-size) never ask.
func mediumPrompt(in io.Reader, out io.Writer) func(context.Context, mirror.MediumRequest) error {
	lines := make(chan string)
	var start sync.Once
	return func(ctx context.Context, req mirror.MediumRequest) error {
		if !stdinTerminal() {
			return fmt.Errorf("volume %d of transfer %s needs another tape in %s, but standard input is not a terminal to ask for it; "+
				"run the command in a terminal, or write files with --volume-size", req.Volume, req.SyncID, req.Device)
		}
		start.Do(func() {
			go func() {
				sc := bufio.NewScanner(in)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
		})
		fmt.Fprintf(out, "\n%s (q to stop): ", req.Message)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case line, ok := <-lines:
			switch strings.ToLower(strings.TrimSpace(line)) {
			case "q", "quit", "stop", "cancel":
				return mirror.ErrMediumCancelled
			}
			if !ok {
				return mirror.ErrMediumCancelled
			}
			return nil
		}
	}
}

func newSerializeCmd(g *globals) *cobra.Command {
	req := ops.Request{Kind: ops.Serialize}
	var resume string
	cmd := &cobra.Command{
		Use:   "serialize IMAGE DEST [EXISTING-IMAGE...]",
		Short: "Write a gather index and everything it reaches to a tar file or tape",
		Long: `Serialize writes the gather index IMAGE (made by gather) and all its images to DEST,
a tar file, a FIFO, "-" (standard output) or a tape device, in the format of
ace-dt mirror serialize. Blobs of the EXISTING-IMAGEs are left out: the far side has
them already.

Every blob is recorded in the run's history once the medium confirmed it. If the run
fails or is cancelled, the partial file is kept when it holds confirmed blobs (it has
no final index.json, so no reader takes it as complete), and
  ferry resume RUN-ID [NEW-DEST]
(or ferry mirror serialize --resume RUN-ID [NEW-DEST]) writes a new archive with only
what is left. NEW-DEST defaults to NAME.partN.tar next to the original file (tapes
and pipes reuse the same path). --checkpoint and --existing-from-checkpoint
FILE:OFFSET do the same with the reference tool's ledger.

A transfer larger than one medium is written as volumes, each a complete archive with
the same sync id (readable in order by the reference tool too). On a tape drive a new
volume starts when the tape is full: the volume is closed after the last whole blob,
and the command asks on the terminal for the next tape ("Insert volume 2 of transfer
... into /dev/nst0 and press Enter"). With --volume-size SIZE, DEST is split into
NAME.001.tar, NAME.002.tar, ... of at most SIZE each. Tapes are written in
variable-size records of --block-size; --pad-final-block writes fixed-size blocks.`,
		Example: `  ferry mirror serialize reg.low.example/transfer:sync-45 /dev/nst0 -m 1Gi
  ferry mirror serialize reg.low.example/transfer:sync-45 sync-45.tar reg.low.example/transfer:sync-44
  ferry mirror serialize reg.low.example/transfer:sync-45 sync-45.tar --volume-size 4.7G
  ferry mirror serialize reg.low.example/transfer:sync-46 sync-46.tar --since-receipt high-a
  ferry mirror serialize --resume 6f1c2a90-... sync-45.part2.tar`,
		Args: func(cmd *cobra.Command, args []string) error {
			if resume != "" {
				if len(args) > 1 {
					return errors.New("with --resume, give at most the new DEST (IMAGE and EXISTING-IMAGEs come from the run)")
				}
				return nil
			}
			return cobra.MinimumNArgs(2)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			g.referrers(&req)
			if resume != "" {
				// The same request as `ferry resume RUN-ID [NEW-DEST]`; a
				// flag resume does not take is refused by name.
				r := req
				r.Kind, r.Run = ops.Resume, resume
				if len(args) == 1 {
					r.Path = args[0]
				}
				return g.runOp(cmd, r, reportResume)
			}
			req.Image, req.Path, req.Existing = args[0], args[1], rest(args, 2)
			return g.runOp(cmd, req, func(w io.Writer, o ops.Outcome, runID string) error {
				return reportSerialize(w, o.Options.(mirror.SerializeOptions), o.Result.(mirror.SerializeResult), o.Err, runID)
			})
		},
	}
	f := cmd.Flags()
	addSerializeFlags(f, &req)
	addSinceFlags(f, &req)
	g.addOutputFlags(f)
	f.StringVar(&resume, "resume", "", "continue the interrupted run RUN-ID: write what it did not deliver to a new DEST (as ferry resume does)")
	return cmd
}

// reportSerialize prints the outcome of a serialize and explains a partial.
func reportSerialize(w io.Writer, o mirror.SerializeOptions, res mirror.SerializeResult, err error, runID string) error {
	if err != nil {
		if len(res.Volumes) > 0 {
			var names []string
			for _, v := range res.Volumes {
				names = append(names, v.Label)
			}
			err = fmt.Errorf("%w\ncomplete volumes kept: %s", err, strings.Join(names, ", "))
		}
		if res.PartialKept {
			return fmt.Errorf("%w\nthe partial %s is kept (no final index.json, so it never reads as complete); write the rest with:\n  ferry resume %s [NEW-DEST]", err, o.Dest, runID)
		}
		return err
	}
	fmt.Fprintf(w, "Serialized %s (%s) to %s: %d blobs, %s on the medium (%s uncompressed); skipped %d blobs (%s) the far side has\n",
		o.Source, res.Root.Digest, o.Dest, res.Blobs, HumanBytes(res.MediumBytes), HumanBytes(res.StreamBytes), res.Skipped, HumanBytes(res.SkippedBytes))
	if len(res.Volumes) > 1 || o.VolumeSize > 0 {
		fmt.Fprintf(w, "%d volumes of transfer %s:\n", len(res.Volumes), res.SyncID)
		for _, v := range res.Volumes {
			last := ""
			if v.Last {
				last = " (last)"
			}
			fmt.Fprintf(w, "  volume %d: %s, %s%s\n", v.Volume, v.Label, HumanBytes(v.Bytes), last)
		}
	}
	if res.ManifestJSON != "" {
		fmt.Fprintf(w, "The archive holds %s for docker-archive readers\n", res.ManifestJSON)
	}
	return nil
}
