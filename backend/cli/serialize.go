package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"ferry/backend/config"
	"ferry/backend/jobs"
	"ferry/backend/mirror"
	"ferry/backend/session"
	"ferry/backend/store"
)

func init() { mirrorVerbs = append(mirrorVerbs, newSerializeCmd) }

// mediaFlags are the serialize flags that serialize and archive share.
type mediaFlags struct {
	bufferSize, blockSize string
}

func addSerializeFlags(f *pflag.FlagSet, o *mirror.SerializeOptions, m *mediaFlags) {
	f.StringVar(&o.CheckpointFile, "checkpoint", "", "write the checkpoint ledger (one JSON line per blob the medium confirmed) to this file")
	f.StringSliceVar(&o.ExistingFromCheckpoint, "existing-from-checkpoint", nil, "FILE:OFFSET: blobs a ledger records below OFFSET are on the far side already (repeatable)")
	f.StringVar(&o.Compression, "compression", "", "compress the whole stream: gzip or zstd (default none)")
	f.BoolVar(&o.ManifestJSON, "manifest-json", false, "also write DEST.manifest.json in the `docker load` format")
	f.StringVarP(&m.bufferSize, "buffer-size", "m", "64Mi", "memory between the registry and the medium (e.g. 1Gi for tapes)")
	f.StringVarP(&m.blockSize, "block-size", "b", "1Mi", "size of every write to the medium")
	f.IntVar(&o.HWM, "hwm", mirror.DefaultHWM, "percent the buffer fills before the medium is written")
	f.BoolVarP(&o.Referrers, "recursive", "r", false, "also send the referrers (signatures, SBOMs) of every manifest")
	f.BoolVar(&o.Force, "force", false, "overwrite an existing DEST file (nothing is ever appended)")
}

// apply parses the size flags into o; a size kept from a resumed run
// changes only when its flag is given.
func (m mediaFlags) apply(f *pflag.FlagSet, o *mirror.SerializeOptions) error {
	if f.Changed("buffer-size") || o.BufferSize == 0 {
		n, err := parseSize(m.bufferSize)
		if err != nil {
			return fmt.Errorf("--buffer-size: %w", err)
		}
		o.BufferSize = n
	}
	if f.Changed("block-size") || o.BlockSize == 0 {
		n, err := parseSize(m.blockSize)
		if err != nil {
			return fmt.Errorf("--block-size: %w", err)
		}
		o.BlockSize = n
	}
	return nil
}

// parseSize accepts 4096, 512Ki, 1Mi, 1MiB, 1M and the like.
func parseSize(s string) (int, error) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "iB") {
		s = strings.TrimSuffix(s, "B")
	}
	n, err := config.ParseSize(s)
	if err != nil {
		return 0, err
	}
	if int64(n) > int64(^uint(0)>>1) || n <= 0 {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return int(n), nil
}

func newSerializeCmd(g *globals) *cobra.Command {
	var o mirror.SerializeOptions
	var m mediaFlags
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
  ferry mirror serialize --resume RUN-ID [NEW-DEST]
writes a new archive with only what is left. NEW-DEST defaults to NAME.partN.tar
next to the original file (tapes and pipes reuse the same path). --checkpoint and
--existing-from-checkpoint FILE:OFFSET do the same with the reference tool's ledger.`,
		Example: `  ferry mirror serialize reg.low.example/transfer:sync-45 /dev/nst0 -m 1Gi
  ferry mirror serialize reg.low.example/transfer:sync-45 sync-45.tar reg.low.example/transfer:sync-44
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
			if resume == "" {
				o.Source, o.Dest, o.Existing = args[0], args[1], args[2:]
				if err := m.apply(cmd.Flags(), &o); err != nil {
					return err
				}
			}
			cfg, err := g.config()
			if err != nil {
				return err
			}
			return g.runJob(cmd, func(s *session.Session) (jobs.Spec, error) {
				spec := jobs.Spec{Kind: "serialize", Args: commandLine(cmd, args)}
				if resume != "" {
					ro, err := resumeSerialize(s.Store, resume, args, cmd.Flags(), o)
					if err != nil {
						return spec, err
					}
					if err := m.apply(cmd.Flags(), &ro); err != nil {
						return spec, err
					}
					o, spec.ResumedFrom = ro, resume
				}
				spec.Options = o
				spec.Run = func(ctx context.Context, j *jobs.Job) error {
					res, err := mirror.Serialize(ctx, jobs.MirrorEnv(cfg, j), o)
					return reportSerialize(cmd.OutOrStdout(), o, res, err, j.ID())
				}
				return spec, nil
			})
		},
	}
	f := cmd.Flags()
	addSerializeFlags(f, &o, &m)
	f.StringVar(&resume, "resume", "", "continue the interrupted run RUN-ID: write what it did not deliver to a new DEST")
	return cmd
}

// reportSerialize prints the outcome of a serialize and explains a partial.
func reportSerialize(w io.Writer, o mirror.SerializeOptions, res mirror.SerializeResult, err error, runID string) error {
	if err != nil {
		if res.PartialKept {
			return fmt.Errorf("%w\nthe partial %s is kept (no final index.json, so it never reads as complete); write the rest with:\n  ferry mirror serialize --resume %s [NEW-DEST]", err, o.Dest, runID)
		}
		return err
	}
	fmt.Fprintf(w, "Serialized %s (%s) to %s: %d blobs, %s on the medium (%s uncompressed); skipped %d blobs (%s) the far side has\n",
		o.Source, res.Root.Digest, o.Dest, res.Blobs, HumanBytes(res.MediumBytes), HumanBytes(res.StreamBytes), res.Skipped, HumanBytes(res.SkippedBytes))
	if res.ManifestJSON != "" {
		fmt.Fprintf(w, "Wrote %s\n", res.ManifestJSON)
	}
	return nil
}

// resumeSerialize rebuilds the options of an interrupted serialize (or
// archive) run: same source and settings, the blobs every earlier run in
// the chain delivered marked as delivered, and a new destination.
func resumeSerialize(st *store.Store, id string, args []string, f *pflag.FlagSet, flags mirror.SerializeOptions) (mirror.SerializeOptions, error) {
	run, err := st.GetRun(id)
	if err != nil {
		return mirror.SerializeOptions{}, fmt.Errorf("--resume %s: %w", id, err)
	}
	switch run.Status {
	case store.StatusSucceeded:
		return mirror.SerializeOptions{}, fmt.Errorf("--resume %s: that run completed; there is nothing left to send", id)
	case store.StatusRunning:
		return mirror.SerializeOptions{}, fmt.Errorf("--resume %s: that run is still running", id)
	}
	o, err := storedSerialize(st, id)
	if err != nil {
		return o, err
	}
	delivered := map[v1.Hash]bool{}
	part := 1
	for run, depth := id, 0; run != "" && depth < 100; depth++ {
		blobs, err := st.Blobs(run)
		if err != nil {
			return o, err
		}
		for _, b := range blobs {
			if h, err := v1.NewHash(b.Digest); err == nil && b.Confirmed {
				delivered[h] = true
			}
		}
		part++
		prev, err := storedSerialize(st, run)
		if err != nil {
			return o, err
		}
		run = prev.Resume
	}
	for h := range delivered {
		o.Delivered = append(o.Delivered, h)
	}
	o.Resume = id
	o.CheckpointFile = flags.CheckpointFile // a resumed run writes a new ledger only when asked
	o.Force = flags.Force
	for _, name := range []string{"compression", "hwm", "recursive", "manifest-json"} {
		if f.Changed(name) {
			return o, fmt.Errorf("--%s cannot change with --resume: the resumed run keeps the original's settings", name)
		}
	}
	if len(args) == 1 {
		o.Dest = args[0]
	} else {
		o.Dest = partName(o.Dest, part)
	}
	return o, nil
}

// storedSerialize reads the serialize options a run was started with.
func storedSerialize(st *store.Store, id string) (mirror.SerializeOptions, error) {
	var o mirror.SerializeOptions
	run, err := st.GetRun(id)
	if err != nil {
		return o, fmt.Errorf("--resume %s: %w", id, err)
	}
	switch run.Kind {
	case "serialize":
		if err := json.Unmarshal([]byte(run.Options), &o); err != nil {
			return o, fmt.Errorf("--resume %s: reading its options: %w", id, err)
		}
	case "archive":
		var a mirror.ArchiveOptions
		if err := json.Unmarshal([]byte(run.Options), &a); err != nil {
			return o, fmt.Errorf("--resume %s: reading its options: %w", id, err)
		}
		o = a.Serialize
		o.Source, o.SourceLayout, o.Tag = a.Reference, a.StoreDir, a.Reference
		if o.Source == "" {
			o.Source, o.Tag = "latest", "latest"
		}
	default:
		return o, fmt.Errorf("--resume %s: that run is a %s, not a serialize or archive", id, run.Kind)
	}
	return o, nil
}

// partName derives the next part's path: sync-45.tar -> sync-45.part2.tar.
// Devices, pipes and standard output keep their path (load the next tape).
func partName(dest string, part int) string {
	if fi, err := os.Stat(dest); dest == "-" || (err == nil && !fi.Mode().IsRegular()) {
		return dest
	}
	dir, base := filepath.Split(dest)
	stem, ext := base, ""
	for _, e := range []string{".tar.gz", ".tar.zst", ".tgz", ".tar"} {
		if strings.HasSuffix(base, e) {
			stem, ext = strings.TrimSuffix(base, e), e
			break
		}
	}
	if i := strings.LastIndex(stem, ".part"); i >= 0 {
		stem = stem[:i]
	}
	return filepath.Join(dir, fmt.Sprintf("%s.part%d%s", stem, part, ext))
}
