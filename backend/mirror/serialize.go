package mirror

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/uuid"

	"ferry/backend/archive"
	"ferry/backend/medium"
	"ferry/backend/progress"
	"ferry/backend/refs"
)

// Defaults of a serialize run.
const (
	DefaultBlockSize  = medium.DefaultBlockSize     // 1 MiB, the usual tape block
	DefaultBufferSize = 64 << 20                    // memory for the write buffer and the reorder buffer together
	DefaultHWM        = medium.DefaultHighWaterMark // for tape drives
)

// SerializeOptions are the options of `ferry mirror serialize`. They are
// stored with the run, so `--resume RUN-ID` can continue it.
type SerializeOptions struct {
	// Source is the gather index: repository:tag in a registry, or, with
	// SourceLayout, a tag (or digest) in that local OCI layout.
	Source string `json:"source"`
	// SourceLayout is the directory of a local OCI layout to read Source
	// from instead of a registry (archive uses the local store).
	SourceLayout string `json:"sourceLayout,omitempty"`
	// Tag is the name the stream gives the root (org.opencontainers.image.ref.name
	// of the first index.json); default: the tag (or digest) of Source.
	Tag string `json:"tag,omitempty"`
	// Dest is where the stream goes: a file, a FIFO, "-" or a tape device.
	Dest string `json:"dest"`
	// Existing are images whose blobs the far side already has; their
	// layers and configs are not written.
	Existing []string `json:"existing,omitempty"`
	// ExistingFromCheckpoint are FILE:OFFSET ledger positions: the blobs a
	// ledger records below OFFSET are on the far side already.
	ExistingFromCheckpoint []string `json:"existingFromCheckpoint,omitempty"`
	// Delivered are blob digests known to be on the far side (a resumed
	// run's confirmed blobs). Not stored: a resume recomputes them.
	Delivered []v1.Hash `json:"-"`
	// SinceReceipt and SinceRun make the transfer incremental: the blobs a
	// site's latest receipt lists, or that an earlier confirmed run wrote,
	// are left out. Front ends read them into Delivered before the run
	// (backend/ops); they are kept so history tells what was left out.
	// IncludeUnconfirmed sends again what media no receipt confirmed carried.
	SinceReceipt       string `json:"sinceReceipt,omitempty"`
	SinceRun           string `json:"sinceRun,omitempty"`
	IncludeUnconfirmed bool   `json:"includeUnconfirmed,omitempty"`
	// Resume is the run this one continues, kept so a resume of a resume
	// can collect every earlier run's delivered blobs.
	Resume string `json:"resume,omitempty"`
	// CheckpointFile receives the compatible checkpoint ledger.
	CheckpointFile string `json:"checkpointFile,omitempty"`
	// Compression is none, gzip or zstd.
	Compression string `json:"compression,omitempty"`
	// BlockSize is the size of every write to the medium (default 1 MiB).
	BlockSize int `json:"blockSize,omitempty"`
	// BufferSize bounds the memory that holds the stream on its way to the
	// medium: the write buffer and the reorder buffer of prefetched blobs
	// share it (default 64 MiB; use 1Gi or more for tapes).
	BufferSize int `json:"bufferSize,omitempty"`
	// HWM is how full, in percent, the buffer gets before the medium is
	// written, so a tape streams in long runs. 0 picks DefaultHWM for a
	// tape drive; files, pipes and other devices do not stop and start
	// like a tape, so they are written as soon as a block is in.
	HWM int `json:"hwm,omitempty"`
	// Referrers also writes every manifest's referrers.
	Referrers bool `json:"referrers,omitempty"`
	// Force overwrites an existing regular file at Dest (and at
	// CheckpointFile). Nothing is ever appended.
	Force bool `json:"force,omitempty"`
	// VolumeSize splits the transfer into files of at most this many bytes,
	// Dest with .001, .002, ... before .tar, each a complete archive
	// (FORMAT.md section 7). 0: one file. Tapes split at their end instead.
	VolumeSize int64 `json:"volumeSize,omitempty"`
	// PadFinalBlock zero-pads the last block of each volume to the block
	// size. On a tape it selects fixed-block mode (the drive's block size
	// set to BlockSize); without it the drive is in variable-block mode and
	// every write is one record of BlockSize bytes, the last one shorter.
	PadFinalBlock bool `json:"padFinalBlock,omitempty"`
	// OpenDevice opens Dest as a tape drive; nil uses tape.Open when Dest
	// is a character device that answers tape commands. Tests pass a
	// Simulator's Open.
	OpenDevice OpenDeviceFunc `json:"-"`
	// ManifestJSON writes a `docker save` style manifest.json inside the
	// archive, after the final index.json, as the reference does, so
	// docker-archive readers take the tar alone (FORMAT.md section 2).
	ManifestJSON bool `json:"manifestJson,omitempty"`
}

// SerializeResult says what a serialize run wrote.
type SerializeResult struct {
	Root      v1.Descriptor `json:"root"`
	Tag       string        `json:"tag"`
	SyncID    string        `json:"syncId"`
	Blobs     int           `json:"blobs"`     // entries written under blobs/, manifests included
	Manifests int           `json:"manifests"` // manifests listed in the final index.json
	Bytes     int64         `json:"bytes"`     // blob bytes written
	// Skipped counts the blobs left out because the far side has them:
	// layers and configs (EXISTING-IMAGE, checkpoints, resumed runs) and the
	// manifests of EXISTING-IMAGE images.
	Skipped      int   `json:"skipped"`
	SkippedBytes int64 `json:"skippedBytes"`
	// StreamBytes is the size of the uncompressed tar stream, MediumBytes
	// what reached the medium (they differ with compression).
	StreamBytes  int64  `json:"streamBytes"`
	MediumBytes  int64  `json:"mediumBytes"`
	ManifestJSON string `json:"manifestJson,omitempty"` // "manifest.json" when the archive holds one
	// Volumes lists the media written, in order; a transfer that did not fit
	// one medium has several (FORMAT.md section 7).
	Volumes []MediumRecord `json:"volumes,omitempty"`
	// PartialKept is set on failure when the partial medium was kept for a
	// resume (it has no final index.json, so no reader takes it as complete).
	PartialKept bool `json:"partialKept,omitempty"`
}

// Serialize writes the gather index Source and everything it reaches to
// Dest as one tar stream in the format of `ace-dt mirror serialize`
// (FORMAT.md section 2), skipping layers and configs the far side has.
// Several blobs are fetched at once into a reorder buffer while the stream
// is written strictly in order; memory stays within BufferSize plus a small
// constant.
//
// Checkpoints (env.Checkpoint and the CheckpointFile ledger) are recorded
// for every blob, confirmed only once the medium accepted its bytes.
//
// A tape drive (or Dest split by VolumeSize) takes the transfer in volumes
// (FORMAT.md section 7): when the medium is full the volume is closed after
// the last entry it holds whole, reported through env.Medium, and the rest
// goes on the next medium, which env.NextMedium asks for on a tape. Each
// volume is a complete archive; blobs are never split between volumes.
//
// On failure or cancellation no final index.json and no end-of-archive
// marker are written, so the partial medium never reads as complete. A
// partial regular file is kept when at least one blob on it was confirmed
// and a checkpoint (the ledger, or env.Checkpoint, which the job store
// records) lets a resumed run skip what it holds; otherwise it is removed.
func Serialize(ctx context.Context, env Env, o SerializeOptions) (SerializeResult, error) {
	var res SerializeResult
	if err := o.fillDefaults(); err != nil {
		return res, err
	}
	comp, err := archive.ParseCompression(o.Compression)
	if err != nil {
		return res, err
	}
	checkpoints, err := parseCheckpoints(o.ExistingFromCheckpoint, o.CheckpointFile)
	if err != nil {
		return res, err
	}
	plan, err := planSerialize(ctx, env, o, checkpoints)
	if err != nil {
		return res, err
	}
	res.Root, res.Tag = plan.root, plan.tag
	res.Skipped, res.SkippedBytes = plan.skipped, plan.skippedLen
	res.Manifests = len(plan.manifests)
	// The gather index being sent, by digest, recorded before anything is
	// written: a resume must send the rest of this transfer, not whatever
	// Source's tag points to by then.
	env.item(Item{Source: o.Source, Destination: o.Dest, Digest: plan.root.Digest.String(), Status: ItemPlanned})

	var ledgerFile *os.File
	var ledger *archive.Ledger
	if o.CheckpointFile != "" {
		ledgerFile, err = createExclusive(o.CheckpointFile, o.Force)
		if err != nil {
			return res, fmt.Errorf("checkpoint ledger: %w", err)
		}
		defer ledgerFile.Close()
		ledger = archive.NewLedger(ledgerFile)
	}

	target, err := o.volumeTarget(comp)
	if err != nil {
		if ledgerFile != nil {
			ledgerFile.Close()
			os.Remove(o.CheckpointFile)
		}
		return res, err
	}
	res.SyncID = uuid.NewString()
	if target != nil {
		started, err := serializeVolumes(ctx, env, plan, o, target, ledgerFile, &res)
		if err != nil {
			if !started && ledgerFile != nil {
				ledgerFile.Close()
				os.Remove(o.CheckpointFile)
			}
			return res, err
		}
	} else if err := serializeOne(ctx, env, plan, o, comp, ledgerFile, ledger, &res); err != nil {
		return res, err
	}
	if ledgerFile != nil {
		if err := ledgerFile.Sync(); err != nil {
			return res, fmt.Errorf("checkpoint ledger: %w", err)
		}
	}
	if o.ManifestJSON {
		res.ManifestJSON = archive.DockerManifestFile
	}
	for _, e := range gatherEntriesOf(plan.rootRaw) {
		env.item(Item{Source: e.Annotations[AnnotationSource], Destination: o.Dest, Digest: e.Digest.String(), Status: ItemDone})
	}
	env.logf("serialized %s (%s) to %s: %d blobs, %s on the medium, %d layers skipped", o.Source, plan.root.Digest, o.Dest, res.Blobs, progress.HumanBytes(res.MediumBytes), res.Skipped)
	return res, nil
}

// serializeOne writes the whole transfer as one archive to a file, a FIFO,
// standard output or a device that is not a tape drive.
func serializeOne(ctx context.Context, env Env, plan *serialPlan, o SerializeOptions, comp archive.Compression, ledgerFile *os.File, ledger *archive.Ledger, res *SerializeResult) error {
	dst, err := medium.Create(o.Dest, o.Force)
	if err != nil {
		if ledgerFile != nil {
			ledgerFile.Close()
			os.Remove(o.CheckpointFile)
		}
		return fmt.Errorf("destination: %w", err)
	}
	vol := volume{number: 1, last: true, syncID: res.SyncID}
	first := archive.NewIndex(plan.root, plan.tag, env.Version, plan.gatherAnn).
		With(archive.VolumeAnnotations(vol.syncID, vol.number, vol.last))
	st, werr := writeVolume(ctx, env, plan, volumeJob{vol: vol, items: plan.items, w: dst, first: first, comp: comp, ledger: ledger, pad: o.PadFinalBlock}, o)
	res.Blobs, res.Bytes, res.StreamBytes, res.MediumBytes = st.blobs, st.bytes, st.end.Stream, st.end.Sink
	if werr == nil && ledger != nil {
		werr = ledger.Err()
	}
	if werr != nil {
		keep := st.confirmedBlobs > 0 && (ledger != nil || env.Checkpoint != nil)
		if aerr := dst.Abort(keep); aerr != nil {
			env.logf("removing the partial %s: %v", o.Dest, aerr)
		}
		res.PartialKept = keep && dst.Kind == medium.KindFile
		if res.PartialKept {
			env.logf("kept the partial %s (%d blobs confirmed); it has no final index.json, so it never reads as complete; resume to write the rest", o.Dest, st.confirmedBlobs)
		}
		return werr
	}
	if err := dst.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", o.Dest, err)
	}
	rec := MediumRecord{Label: filepath.Base(o.Dest), Device: o.Dest, SyncID: res.SyncID, Volume: 1, Last: true, Bytes: st.end.Sink}
	res.Volumes = []MediumRecord{rec}
	env.medium(rec)
	return nil
}

func (o *SerializeOptions) fillDefaults() error {
	if o.Source == "" {
		return errors.New("serialize needs the gather index to send (IMAGE)")
	}
	if o.Dest == "" {
		return errors.New("serialize needs a destination (DEST)")
	}
	if o.BlockSize == 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.BufferSize == 0 {
		o.BufferSize = max(DefaultBufferSize, o.BlockSize)
	}
	switch {
	case o.BlockSize < 0:
		return fmt.Errorf("block size %d: must be positive", o.BlockSize)
	case o.BufferSize < o.BlockSize:
		return fmt.Errorf("buffer size %d must hold at least one block of %d bytes", o.BufferSize, o.BlockSize)
	case o.HWM < 0 || o.HWM > 100:
		return fmt.Errorf("high water mark %d%%: must be between 0 and 100", o.HWM)
	}
	return nil
}

// parseCheckpoints parses FILE:OFFSET arguments and refuses a new ledger
// that would overwrite one of them.
func parseCheckpoints(args []string, ledger string) ([]archive.Checkpoint, error) {
	var out []archive.Checkpoint
	for _, a := range args {
		cp, err := archive.ParseCheckpoint(a)
		if err != nil {
			return nil, err
		}
		if ledger != "" && samePath(cp.Path, ledger) {
			return nil, fmt.Errorf("--checkpoint %s would overwrite the ledger being resumed from; choose a new file", ledger)
		}
		out = append(out, cp)
	}
	return out, nil
}

func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// createExclusive creates a new file, or truncates an existing one with force.
func createExclusive(path string, force bool) (*os.File, error) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o666)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%s: %w; refusing to overwrite it (use --force)", path, medium.ErrExists)
	}
	return f, err
}

// sourceRepo opens the repository the gather index is read from.
func (o SerializeOptions) sourceRepo(env Env) (Repo, string, error) {
	if o.SourceLayout != "" {
		l, err := OpenLayout(o.SourceLayout)
		if err != nil {
			return nil, "", err
		}
		return l, o.Source, nil
	}
	ref, err := refs.Parse(o.Source)
	if err != nil {
		return nil, "", fmt.Errorf("gather index: %w", err)
	}
	if ref.Tag() == "" && ref.Digest() == "" {
		return nil, "", fmt.Errorf("gather index %q: name its tag, e.g. %s:sync-45", o.Source, o.Source)
	}
	return env.repoOf(ref.Name()), ref.Name().Identifier(), nil
}

// Pinned returns o reading the gather index by digest instead of by tag:
// repository@digest in a registry, the digest in a local layout. The
// stream keeps the name it gave the root. A resume uses it, so that it
// sends the rest of what its run was sending even if the tag moved since.
func (o SerializeOptions) Pinned(digest string) (SerializeOptions, error) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return o, fmt.Errorf("gather index digest %q: %w", digest, err)
	}
	if o.SourceLayout != "" {
		if o.Tag == "" {
			o.Tag = o.Source
		}
		o.Source = h.String()
		return o, nil
	}
	ref, err := refs.Parse(o.Source)
	if err != nil {
		return o, fmt.Errorf("gather index: %w", err)
	}
	if o.Tag == "" {
		o.Tag = ref.Name().Identifier()
	}
	o.Source = ref.Name().Context().Name() + "@" + h.String()
	return o, nil
}

// gatherEntriesOf lists a gather index's entries, or none for another manifest.
func gatherEntriesOf(raw []byte) []v1.Descriptor {
	es, err := GatherEntries(raw)
	if err != nil {
		return nil
	}
	return es
}
