package mirror

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/uuid"
	"golang.org/x/sync/semaphore"

	"ferry/backend/archive"
	"ferry/backend/medium"
	"ferry/backend/progress"
	"ferry/backend/refs"
	"ferry/backend/tape"
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

// serialPlan is the content of one transfer, in stream order.
type serialPlan struct {
	repo    Repo
	root    v1.Descriptor
	rootRaw []byte
	tag     string
	graph   *Graph
	// items are the entries to write, in order.
	items []*serialItem
	// manifests are every manifest visited, root first, as found in their parents.
	manifests []v1.Descriptor
	// listedAfter are manifests not written that follow the last item.
	listedAfter []v1.Descriptor
	gatherAnn   map[string]string
	total       int64 // bytes of items
	skipped     int
	skippedLen  int64
}

type serialItem struct {
	desc v1.Descriptor
	// manifest marks a manifest's entry, listed in the final index.json.
	manifest bool
	// raw is the content when it is at hand: a manifest's bytes, or those of
	// a blob that the graph also reaches as a manifest.
	raw []byte
	// listed are manifests visited just before this item whose bytes are
	// not written (the far side has them); the final index.json lists them
	// in visit order all the same.
	listed []v1.Descriptor
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
	env.logf("serialized %s (%s) to %s: %d blobs, %d bytes on the medium, %d layers skipped", o.Source, plan.root.Digest, o.Dest, res.Blobs, res.MediumBytes, res.Skipped)
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

// planSerialize resolves the gather index, walks its graph and decides
// what to write.
func planSerialize(ctx context.Context, env Env, o SerializeOptions, checkpoints []archive.Checkpoint) (*serialPlan, error) {
	repo, id, err := o.sourceRepo(env)
	if err != nil {
		return nil, err
	}
	root, raw, err := repo.Resolve(ctx, id)
	if err != nil && o.Resume != "" {
		return nil, fmt.Errorf("resuming run %s: the gather index it was sending, %s, cannot be read from %s any more (was it deleted?); the rest of that transfer cannot be sent: %w", o.Resume, o.Source, repo, err)
	}
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", o.Source, err)
	}
	if !IsManifest(root.MediaType) {
		return nil, fmt.Errorf("%s is a %q, not a manifest or index", o.Source, root.MediaType)
	}
	// The stream's index.json describes the root as the reference does:
	// media type, digest, size, and its tag only.
	root.Annotations, root.ArtifactType = nil, ""
	tag := o.Tag
	if tag == "" {
		tag = id
	}
	p := &serialPlan{repo: repo, root: root, rootRaw: raw, tag: tag, graph: NewGraph()}
	if m, err := parseManifest(raw); err == nil {
		p.gatherAnn = m.Annotations
	}
	progress.Or(env.Progress)(progress.Event{Phase: "plan", Current: o.Source})
	if err := p.graph.Add(ctx, repo, root, raw, WalkOptions{Referrers: o.Referrers}); err != nil {
		return nil, fmt.Errorf("reading %s: %w", o.Source, err)
	}

	skip := map[v1.Hash]bool{}
	pushed := map[v1.Hash]bool{} // manifests the far side holds as pushed manifests
	for _, e := range o.Existing {
		if err := existingBlobs(ctx, env, e, skip, pushed); err != nil {
			return nil, err
		}
	}
	for _, cp := range checkpoints {
		delivered, err := cp.Delivered()
		if err != nil {
			return nil, err
		}
		for h := range delivered {
			skip[h] = true
		}
	}
	for _, h := range o.Delivered {
		skip[h] = true
	}

	// The stream holds each digest once: a digest the graph reaches both as
	// a blob and as a manifest is one entry, written where it is first met,
	// and the reader pushes it in both roles.
	written := map[v1.Hash]bool{}
	for _, n := range p.graph.Nodes {
		if written[n.Desc.Digest] {
			if n.IsManifest() { // its bytes went as a blob already
				p.manifests = append(p.manifests, n.Desc)
				p.listedAfter = append(p.listedAfter, n.Desc)
			}
			continue
		}
		if n.IsManifest() {
			// Every manifest visited is listed in the final index.json. Its
			// bytes are written unless the far side is known to hold it as a
			// pushed manifest: one of an EXISTING-IMAGE, which the far side
			// has whole. Blobs merely delivered before (a resumed run, a
			// checkpoint ledger) do not count for manifests: a partial medium
			// may have carried a manifest's bytes whose children never
			// arrived, so it was never pushed, and the far side can only push
			// it with its bytes at hand. The root is always written: the
			// reader tags it from those bytes.
			p.manifests = append(p.manifests, n.Desc)
			if pushed[n.Desc.Digest] && n.Desc.Digest != root.Digest {
				p.skipped++
				p.skippedLen += n.Desc.Size
				p.listedAfter = append(p.listedAfter, n.Desc)
				continue
			}
			p.items = append(p.items, &serialItem{desc: n.Desc, manifest: true, raw: n.Raw, listed: p.listedAfter})
			written[n.Desc.Digest] = true
			p.listedAfter = nil
			p.total += n.Desc.Size
			continue
		}
		if skip[n.Desc.Digest] {
			p.skipped++
			p.skippedLen += n.Desc.Size
			continue
		}
		written[n.Desc.Digest] = true
		p.items = append(p.items, &serialItem{desc: n.Desc, raw: p.graph.BytesOf(n.Desc.Digest), listed: p.listedAfter})
		p.listedAfter = nil
		p.total += n.Desc.Size
	}
	return p, nil
}

// existingBlobs adds the layers and configs of an existing image to skip,
// and its manifests (the image's own and, for an index, its children's) to
// pushed: the far side has the image complete.
func existingBlobs(ctx context.Context, env Env, s string, skip, pushed map[v1.Hash]bool) error {
	ref, err := refs.Parse(s)
	if err != nil {
		return fmt.Errorf("existing image: %w", err)
	}
	repo := env.repoOf(ref.Name())
	desc, raw, err := repo.Resolve(ctx, ref.Name().Identifier())
	if err != nil {
		return fmt.Errorf("existing image %s: %w", s, err)
	}
	g := NewGraph()
	if err := g.Add(ctx, repo, desc, raw, WalkOptions{}); err != nil {
		return fmt.Errorf("existing image %s: %w", s, err)
	}
	for _, n := range g.Nodes {
		if n.IsManifest() {
			pushed[n.Desc.Digest] = true
		} else {
			skip[n.Desc.Digest] = true
		}
	}
	return nil
}

// volume identifies one archive of a transfer (FORMAT.md section 7).
type volume struct {
	number int
	last   bool
	syncID string
}

// volumeStats is what writing one volume did.
type volumeStats struct {
	blobs          int
	bytes          int64
	confirmedBlobs int
	end            archive.Position
	// cut is set when the medium filled up and the volume was closed after
	// its first done entries; mediumBytes is then what the volume holds.
	cut         bool
	done        int
	mediumBytes int64
}

// volumeJob is one archive to write.
type volumeJob struct {
	vol   volume
	items []*serialItem
	w     io.Writer // the medium
	// cw, when set, is w: it lets a full medium close the volume early
	// (cutting) and watches the write buffer (tape).
	cw      *cutWriter
	cutting bool
	tape    bool
	first   archive.Index // the first index.json
	comp    archive.Compression
	ledger  *archive.Ledger
	// ledgerBase is added to the volume's offsets in the ledger, which
	// counts from the start of the run's output.
	ledgerBase  int64
	bytesBefore int64 // blob bytes on earlier volumes, for progress
	itemsBefore int
	// minDone is how many leading items must be on the medium for a cut
	// volume to have made progress (the gather index repeated on later
	// volumes does not count).
	minDone int
	pad     bool
	reserve *atomic.Int64 // room kept for the closing entries (file volumes)
	rate    func() string // the drive's throughput, for progress
}

// writeVolume writes one complete archive of job.items to job.w through a
// block writer. It knows nothing of where the bytes go beyond w, so the
// multi-volume writer calls it once per medium. When job.cutting is set and
// the medium fills up, the volume is closed after the last entry it holds
// entirely (stats.cut, stats.done) and no error is returned.
func writeVolume(ctx context.Context, env Env, plan *serialPlan, job volumeJob, o SerializeOptions) (volumeStats, error) {
	var st volumeStats
	bufSize, stageBudget := splitBuffer(o.BufferSize, o.BlockSize)
	conf := newConfirmer(env, job.ledger, job.vol.number)
	conf.base = job.ledgerBase
	hwm := o.HWM
	if hwm == 0 && job.tape {
		hwm = DefaultHWM
	}
	opts := []medium.BlockOption{medium.WithBlockSize(o.BlockSize), medium.WithBufferSize(bufSize), medium.WithHighWaterMark(hwm),
		medium.WithConfirm(conf.confirm)}
	if job.pad {
		opts = append(opts, medium.WithPadFinalBlock())
	}
	var producing atomic.Bool
	producing.Store(true)
	var dry underruns
	if job.cw != nil && job.tape {
		opts = append(opts, medium.WithUnderrun(func() {
			if producing.Load() { // not the end of the stream
				dry.note(env, job.cw.dev.name())
			}
		}))
	}
	bw, err := medium.NewBlockWriter(ctx, job.w, opts...)
	if err != nil {
		return st, err
	}
	var out io.Writer = bw
	var hw *hashingWriter
	if job.cutting {
		hw = &hashingWriter{w: bw, h: sha256.New()}
		out = hw
	}
	aw, err := archive.NewWriter(out, archive.WithCompression(job.comp))
	if err != nil {
		bw.Close()
		return st, err
	}

	fetch := newPrefetcher(ctx, plan.repo, job.items, int64(stageBudget), env.concurrency())
	defer fetch.stop()

	report := func(cur string) {
		if job.rate != nil {
			if r := job.rate(); r != "" {
				cur = strings.TrimSpace(cur + " (" + r + ")")
			}
		}
		progress.Or(env.Progress)(progress.Event{Phase: "serialize", BytesDone: job.bytesBefore + st.bytes, BytesTotal: plan.total,
			ItemsDone: job.itemsBefore + st.blobs, ItemsTotal: len(plan.items), Current: cur, BufferFill: bw.Fill()})
	}

	var manifests []v1.Descriptor
	mark := func(done int) {
		if hw != nil {
			job.cw.mark(cutPoint{offset: aw.Position().Sink, items: done, manifests: len(manifests), hash: hw.state()})
		}
	}
	werr := func() error {
		if _, err := aw.Begin(job.first); err != nil {
			return err
		}
		mark(0)
		if job.reserve != nil {
			for _, d := range plan.listedAfter {
				job.reserve.Add(manifestReserve(d))
			}
		}
		for i, it := range job.items {
			if job.reserve != nil {
				for _, d := range it.listed {
					job.reserve.Add(manifestReserve(d))
				}
				if it.manifest {
					job.reserve.Add(manifestReserve(it.desc))
				}
			}
			// Listed only once the item they precede is on the medium: a
			// volume cut before it leaves them to the next volume.
			listed := it.listed
			r, release, err := fetch.open(ctx, i)
			if err != nil {
				return fmt.Errorf("reading %s from %s: %w", it.desc.Digest, plan.repo, err)
			}
			cr := &progress.CountingReader{R: r, OnRead: func(n int) { st.bytes += int64(n); report(it.desc.Digest.String()) }}
			pos, err := aw.WriteBlob(it.desc, cr)
			release()
			if err != nil {
				return err
			}
			st.blobs++
			manifests = append(manifests, listed...)
			if it.manifest {
				manifests = append(manifests, it.desc)
			}
			conf.written(it.desc, pos)
			if job.ledger != nil {
				if err := job.ledger.Record(it.desc, shift(pos, job.ledgerBase)); err != nil {
					return err
				}
			}
			mark(i + 1)
			report(it.desc.Digest.String())
		}
		producing.Store(false)
		manifests = append(manifests, plan.listedAfter...)
		if o.ManifestJSON {
			data, err := dockerManifestJSON(plan)
			if err != nil {
				return err
			}
			aw.SetDockerManifest(data)
		}
		end, err := aw.Finish(job.first.With(map[string]string{archive.AnnotationVolumeLast: "true"}).Final(manifests))
		st.end = end
		return err
	}()
	producing.Store(false)
	fetch.stop()
	// Close drains what is buffered (unless cancelled): whole entries before
	// a failure still reach the medium and are confirmed before returning.
	cerr := bw.Close()
	st.confirmedBlobs = conf.confirmedCount()
	dry.summary(env, job.cw)
	if werr == nil && cerr != nil {
		werr = cerr
	}
	if werr != nil && job.cutting && ctx.Err() == nil && job.cw.dev.full(werr) {
		return closeFull(env, plan, job, manifests, st, werr)
	}
	if werr != nil {
		st.end = aw.Position()
		return st, fmt.Errorf("writing %s (%d of %d entries confirmed on the medium): %w", o.Dest, st.confirmedBlobs, len(job.items), werr)
	}
	st.mediumBytes = st.end.Sink
	if o.PadFinalBlock && st.end.Sink%int64(o.BlockSize) != 0 {
		st.mediumBytes += int64(o.BlockSize) - st.end.Sink%int64(o.BlockSize)
	}
	report("")
	return st, nil
}

// closeFull closes a volume the full medium cut (see closeCutVolume).
func closeFull(env Env, plan *serialPlan, job volumeJob, manifests []v1.Descriptor, st volumeStats, cause error) (volumeStats, error) {
	cp, _ := job.cw.state()
	name := job.cw.dev.name()
	if !cp.valid {
		return st, fmt.Errorf("%s is full before the start of volume %d was written: %w", name, job.vol.number, cause)
	}
	if cp.items <= job.minDone {
		if cp.items >= len(job.items) {
			return st, fmt.Errorf("%s is full before volume %d holds anything of the transfer: %w", name, job.vol.number, cause)
		}
		it := job.items[cp.items]
		return st, fmt.Errorf("%s %s (%d bytes) does not fit on one volume in %s (volume %d filled up before it was written whole): %w",
			mediaKind(it), it.desc.Digest, it.desc.Size, name, job.vol.number, cause)
	}
	final := job.first.With(map[string]string{archive.AnnotationVolumeLast: "false"}).Final(manifests[:cp.manifests])
	trailer, err := volumeTrailer(final, cp.hash)
	if err != nil {
		return st, fmt.Errorf("closing volume %d: %w", job.vol.number, err)
	}
	total, err := closeCutVolume(job.cw, cp, trailer, job.pad)
	if err != nil {
		return st, fmt.Errorf("closing volume %d on %s after the medium filled up: %w", job.vol.number, name, err)
	}
	st.cut, st.done, st.mediumBytes = true, cp.items, total
	st.blobs, st.bytes = cp.items, 0
	for _, it := range job.items[:cp.items] {
		st.bytes += it.desc.Size
	}
	st.end = archive.Position{Stream: total, Sink: total}
	env.logf("volume %d on %s is full: closed after %d entries (%d bytes); the rest goes on volume %d", job.vol.number, name, cp.items, total, job.vol.number+1)
	return st, nil
}

func mediaKind(it *serialItem) string {
	if it.manifest {
		return "manifest"
	}
	return "blob"
}

func shift(p archive.Position, by int64) archive.Position {
	return archive.Position{Stream: p.Stream + by, Sink: p.Sink + by}
}

// underruns counts the times the write buffer ran dry while a tape was
// written: the drive then stops and repositions before the next burst.
type underruns struct {
	count  int
	logged time.Time
}

func (u *underruns) note(env Env, dev string) {
	u.count++
	now := time.Now()
	if u.count == 1 || now.Sub(u.logged) >= 30*time.Second {
		u.logged = now
		env.logf("warning: the buffer ran dry while writing %s (%d times so far): the source is slower than the drive, so the tape stops and repositions; a larger --buffer-size gives longer runs", dev, u.count)
	}
}

func (u *underruns) summary(env Env, cw *cutWriter) {
	if u.count > 1 && cw != nil {
		env.logf("warning: the buffer ran dry %d times while writing %s", u.count, cw.dev.name())
	}
}

// volumeTarget returns where the volumes of a multi-volume serialize go: a
// tape drive, or numbered files with VolumeSize; nil for one plain archive.
func (o SerializeOptions) volumeTarget(comp archive.Compression) (volumeTarget, error) {
	isTape := o.OpenDevice != nil
	if !isTape && o.Dest != medium.Stdio {
		if fi, err := os.Stat(o.Dest); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			_, serr := tape.ReadStatus(o.Dest)
			isTape = !errors.Is(serr, syscall.ENOTTY) && !errors.Is(serr, errors.ErrUnsupported)
		}
	}
	if isTape {
		if o.VolumeSize > 0 {
			return nil, fmt.Errorf("--volume-size splits into files; %s is a tape drive, where a new volume starts when a tape is full", o.Dest)
		}
		if o.BlockSize > tape.MaxBlockSize {
			return nil, fmt.Errorf("block size %d is larger than a tape drive takes (%d)", o.BlockSize, tape.MaxBlockSize)
		}
		open := o.OpenDevice
		if open == nil {
			open = tape.Open
		}
		return &tapeTarget{path: o.Dest, open_: open, block: o.BlockSize, fixed: o.PadFinalBlock, cut: comp == archive.None || comp == ""}, nil
	}
	if o.VolumeSize <= 0 {
		return nil, nil
	}
	switch {
	case comp != archive.None && comp != "":
		return nil, errors.New("--volume-size cannot be combined with --compression: a volume is cut between entries of the uncompressed stream")
	case o.Dest == medium.Stdio:
		return nil, errors.New("--volume-size writes numbered files; DEST must be a file name, not standard output")
	}
	if fi, err := os.Stat(o.Dest); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("--volume-size writes numbered files next to DEST; %s is not a regular file", o.Dest)
	}
	fv := &fileVolumes{dest: o.Dest, size: o.VolumeSize, block: o.BlockSize, padded: o.PadFinalBlock, force: o.Force, reserve: &atomic.Int64{}}
	if block := fv.writeBlock(); o.VolumeSize < int64(4*block)+64<<10 {
		return nil, fmt.Errorf("--volume-size %d is too small: a volume needs room for several writes of %d bytes and its index (at least %d bytes)", o.VolumeSize, block, 4*block+64<<10)
	}
	return fv, nil
}

// serializeVolumes writes the transfer as volumes, each a complete archive,
// starting the next when a medium is full. Every complete volume is kept
// and reported through env.Medium, also when a later one fails. started is
// set once the first medium was opened.
func serializeVolumes(ctx context.Context, env Env, plan *serialPlan, o SerializeOptions, target volumeTarget, ledgerFile *os.File, res *SerializeResult) (started bool, err error) {
	base := archive.NewIndex(plan.root, plan.tag, env.Version, plan.gatherAnn)
	var rate *driveRate
	if target.isTape() {
		rate = startDriveRate(o.Dest)
		defer rate.stop()
	}
	var ledgerBase, bytesBefore int64
	var reserve *atomic.Int64
	if fv, ok := target.(*fileVolumes); ok {
		reserve = fv.reserve
	}
	comp, _ := archive.ParseCompression(o.Compression)
	next := 0 // the first item of the plan not on a medium yet
	for n := 1; ; n++ {
		dev, err := target.open(ctx, env, n, res.SyncID)
		if err != nil {
			if n == 1 {
				return false, fmt.Errorf("destination: %w", err)
			}
			return true, fmt.Errorf("%w; volumes 1 to %d are complete and kept", err, n-1)
		}
		started = true
		items := plan.items[next:]
		minDone := 0
		if n > 1 && len(plan.items) > 0 && plan.items[0].desc.Digest == plan.root.Digest {
			// Every volume carries the gather index, so each reads on its own.
			items = append([]*serialItem{plan.items[0]}, items...)
			minDone = 1
		}
		vo := o
		vo.BlockSize = target.writeBlock()
		if reserve != nil {
			b, _ := base.Final(nil).Bytes()
			reserve.Store(int64(vo.BlockSize) + 4096 + int64(len(b)))
		}
		// The first copy cannot know whether this volume is the last: the
		// final copy says so (vnd.ferry.volume.last).
		first := base.With(archive.VolumeAnnotations(res.SyncID, n, false))
		delete(first.Annotations, archive.AnnotationVolumeLast)
		var ledger *archive.Ledger
		if ledgerFile != nil {
			ledger = archive.NewLedger(ledgerFile) // lines of a cut entry die with this volume's ledger
		}
		cw := &cutWriter{dev: dev, block: int64(vo.BlockSize)}
		job := volumeJob{vol: volume{number: n, syncID: res.SyncID}, items: items, w: cw, cw: cw, cutting: target.canCut(), tape: target.isTape(),
			first: first, comp: comp, ledger: ledger, ledgerBase: ledgerBase, bytesBefore: bytesBefore, itemsBefore: next,
			minDone: minDone, pad: target.pad(), reserve: reserve}
		if rate != nil {
			job.rate = rate.text
		}
		st, werr := writeVolume(ctx, env, plan, job, vo)
		if werr == nil && ledger != nil {
			werr = ledger.Err()
		}
		if werr != nil {
			keep := st.confirmedBlobs > 0 && (ledgerFile != nil || env.Checkpoint != nil)
			if aerr := dev.abort(keep); aerr != nil {
				env.logf("ending the partial volume %d on %s: %v", n, dev.name(), aerr)
			}
			if _, ok := dev.(*fileVolume); ok && keep {
				res.PartialKept = true
				env.logf("kept the partial %s (%d blobs confirmed); it has no final index.json, so it never reads as complete; resume to write the rest", dev.name(), st.confirmedBlobs)
			}
			if n > 1 {
				werr = fmt.Errorf("%w; volumes 1 to %d are complete and kept", werr, n-1)
			}
			return true, werr
		}
		last := !st.cut
		if err := dev.finish(!last); err != nil {
			return true, fmt.Errorf("ending volume %d on %s: %w", n, dev.name(), err)
		}
		done := st.done
		if last {
			done = len(items)
		}
		res.Blobs += done
		res.Bytes += st.bytes
		res.StreamBytes += st.mediumBytes
		res.MediumBytes += st.mediumBytes
		rec := MediumRecord{Label: volumeLabel(plan.tag, dev.name(), n, target.isTape()), Device: dev.name(), SyncID: res.SyncID, Volume: n, Last: last, Bytes: st.mediumBytes}
		res.Volumes = append(res.Volumes, rec)
		env.medium(rec)
		if last {
			return true, nil
		}
		next += done - minDone
		ledgerBase += st.mediumBytes
		bytesBefore += st.bytes
	}
}

func volumeLabel(tag, name string, n int, isTape bool) string {
	if isTape {
		return fmt.Sprintf("%s volume %d", tag, n)
	}
	return filepath.Base(name)
}

// driveRate samples a tape drive's counters in sysfs while it is written.
type driveRate struct {
	mbps atomic.Uint64 // math.Float64bits of the last rate
	done chan struct{}
	wg   sync.WaitGroup
}

// driveRateInterval is how often startDriveRate samples the counters.
var driveRateInterval = time.Second

// startDriveRate starts sampling the drive at path every driveRateInterval; when
// the drive is not in sysfs (a simulator, an unusual node) it reports nothing.
func startDriveRate(path string) *driveRate {
	r := &driveRate{done: make(chan struct{})}
	drive, err := tape.DrivesFromEnv().Find(path)
	if err != nil {
		return r
	}
	prev, err := drive.Stats()
	if err != nil {
		return r
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(driveRateInterval)
		defer t.Stop()
		for {
			select {
			case <-r.done:
				return
			case <-t.C:
			}
			now, err := drive.Stats()
			if err != nil {
				continue
			}
			if rate, err := tape.Throughput(prev, now); err == nil {
				r.mbps.Store(math.Float64bits(rate.WriteMBps))
			}
			prev = now
		}
	}()
	return r
}

// text is the last rate for progress lines, e.g. "drive 158.3 MB/s".
func (r *driveRate) text() string {
	v := math.Float64frombits(r.mbps.Load())
	if v <= 0 {
		return ""
	}
	return fmt.Sprintf("drive %.1f MB/s", v)
}

func (r *driveRate) stop() {
	select {
	case <-r.done:
	default:
		close(r.done)
	}
	r.wg.Wait()
}

// splitBuffer divides the memory budget between the write buffer in front of
// the medium and the reorder buffer of prefetched blobs.
func splitBuffer(total, block int) (write, stage int) {
	stage = min(total/4, 256<<20)
	write = max((total-stage)/block*block, block)
	stage = max(total-write, 0)
	return write, stage
}

// confirmer turns medium confirmations into checkpoints.
type confirmer struct {
	env    Env
	ledger *archive.Ledger
	volume int
	base   int64 // added to the ledger's offsets (earlier volumes)

	mu        sync.Mutex
	pending   []pendingCheckpoint
	confirmed int
	upTo      int64
}

type pendingCheckpoint struct {
	desc v1.Descriptor
	pos  archive.Position
}

func newConfirmer(env Env, ledger *archive.Ledger, vol int) *confirmer {
	return &confirmer{env: env, ledger: ledger, volume: vol}
}

func (c *confirmer) written(d v1.Descriptor, pos archive.Position) {
	c.env.checkpoint(Checkpoint{Digest: d.Digest.String(), Size: d.Size, MediaType: string(d.MediaType), Volume: c.volume, Offset: pos.Stream})
	c.mu.Lock()
	c.pending = append(c.pending, pendingCheckpoint{desc: d, pos: pos})
	ready := c.takeLocked()
	c.mu.Unlock()
	c.emit(ready)
}

// confirm is called by the block writer with the bytes on the medium.
func (c *confirmer) confirm(n int64) {
	if c.ledger != nil {
		c.ledger.Confirm(c.base + n)
	}
	c.mu.Lock()
	if n > c.upTo {
		c.upTo = n
	}
	ready := c.takeLocked()
	c.mu.Unlock()
	c.emit(ready)
}

func (c *confirmer) takeLocked() []pendingCheckpoint {
	i := 0
	for i < len(c.pending) && c.pending[i].pos.Sink <= c.upTo {
		i++
	}
	ready := c.pending[:i:i]
	c.pending = c.pending[i:]
	c.confirmed += len(ready)
	return ready
}

func (c *confirmer) emit(ready []pendingCheckpoint) {
	for _, p := range ready {
		c.env.checkpoint(Checkpoint{Digest: p.desc.Digest.String(), Size: p.desc.Size, MediaType: string(p.desc.MediaType),
			Volume: c.volume, Offset: p.pos.Stream, Confirmed: true})
	}
}

func (c *confirmer) confirmedCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.confirmed
}

// prefetcher fetches blobs ahead of the writer into memory, in stream
// order, bounded by a byte budget and a number of concurrent fetches. A
// blob too large for the budget is not staged: the writer streams it
// directly from the source when its turn comes.
type prefetcher struct {
	repo     Repo
	items    []*serialItem
	slots    []*fetchSlot
	budget   int64
	sem      *semaphore.Weighted
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopOnce sync.Once
}

type fetchSlot struct {
	staged bool
	done   chan struct{}
	data   []byte
	err    error
}

func newPrefetcher(ctx context.Context, repo Repo, items []*serialItem, budget int64, workers int) *prefetcher {
	ctx, cancel := context.WithCancel(ctx)
	p := &prefetcher{repo: repo, items: items, slots: make([]*fetchSlot, len(items)), budget: budget, cancel: cancel}
	if budget > 0 {
		p.sem = semaphore.NewWeighted(budget)
	}
	for i, it := range items {
		s := &fetchSlot{done: make(chan struct{})}
		// Manifests are in memory already; a blob larger than half the budget
		// would stall the pipeline, so it is streamed in place.
		s.staged = it.raw == nil && budget > 0 && it.desc.Size <= budget/2
		p.slots[i] = s
	}
	p.wg.Add(1)
	go p.schedule(ctx, workers)
	return p
}

// schedule starts fetches in stream order, acquiring budget in that order,
// so the item the writer waits for always holds its share.
func (p *prefetcher) schedule(ctx context.Context, workers int) {
	defer p.wg.Done()
	workerSem := make(chan struct{}, max(workers, 1))
	for i, s := range p.slots {
		if !s.staged {
			continue
		}
		size := p.items[i].desc.Size
		if err := p.sem.Acquire(ctx, size); err != nil {
			return
		}
		select {
		case workerSem <- struct{}{}:
		case <-ctx.Done():
			p.sem.Release(size)
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer func() { <-workerSem }()
			s.data, s.err = p.fetch(ctx, p.items[i].desc)
			close(s.done)
		}()
	}
}

func (p *prefetcher) fetch(ctx context.Context, d v1.Descriptor) ([]byte, error) {
	rc, err := p.repo.Blob(ctx, d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	buf := make([]byte, d.Size)
	if _, err := io.ReadFull(rc, buf); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("blob %s: the source ended before its %d bytes", d.Digest, d.Size)
		}
		return nil, err
	}
	// One more byte would mean the source is longer than the descriptor.
	var extra [1]byte
	if n, _ := rc.Read(extra[:]); n > 0 {
		return nil, fmt.Errorf("blob %s: the source is longer than its size %d", d.Digest, d.Size)
	}
	return buf, nil
}

// open returns item i's content and a function to call once it is written.
// The archive writer verifies the digest and size while copying.
func (p *prefetcher) open(ctx context.Context, i int) (io.Reader, func(), error) {
	it, s := p.items[i], p.slots[i]
	if it.raw != nil {
		return bytes.NewReader(it.raw), func() {}, nil
	}
	if !s.staged {
		rc, err := p.repo.Blob(ctx, it.desc)
		if err != nil {
			return nil, nil, err
		}
		return rc, func() { rc.Close() }, nil
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		return nil, nil, context.Cause(ctx)
	}
	if s.err != nil {
		return nil, nil, s.err
	}
	data := s.data
	return bytes.NewReader(data), func() {
		s.data = nil
		p.sem.Release(it.desc.Size)
	}, nil
}

func (p *prefetcher) stop() {
	p.stopOnce.Do(func() {
		p.cancel()
		p.wg.Wait()
	})
}

// gatherEntriesOf lists a gather index's entries, or none for another manifest.
func gatherEntriesOf(raw []byte) []v1.Descriptor {
	es, err := GatherEntries(raw)
	if err != nil {
		return nil
	}
	return es
}

// dockerManifest is one entry of a `docker save` manifest.json.
type dockerManifest struct {
	Config   string   `json:"Config"`
	RepoTags []string `json:"RepoTags"`
	Layers   []string `json:"Layers"`
}

// dockerManifestJSON is the `docker save` style description of every image
// of the gather index: one entry per source (for an index, its linux/amd64
// image, else its first), each blob named by its path in the stream.
func dockerManifestJSON(plan *serialPlan) ([]byte, error) {
	out := []dockerManifest{}
	byDigest := map[v1.Hash]int{}
	blobPath := func(h v1.Hash) string { return archive.BlobsDir + "/" + h.Algorithm + "/" + h.Hex }
	for _, e := range gatherEntriesOf(plan.rootRaw) {
		src := e.Annotations[AnnotationSource]
		n := plan.graph.Get(e.Digest)
		if n == nil || !n.IsManifest() {
			continue
		}
		if IsIndex(n.Desc.MediaType) {
			m, err := parseManifest(n.Raw)
			if err != nil || len(m.Manifests) == 0 {
				continue
			}
			chosen := m.Manifests[0]
			for _, c := range m.Manifests {
				if c.Platform != nil && c.Platform.OS == "linux" && c.Platform.Architecture == "amd64" {
					chosen = c
					break
				}
			}
			if n = plan.graph.Get(chosen.Digest); n == nil || !n.IsManifest() || IsIndex(n.Desc.MediaType) {
				continue
			}
		}
		if i, ok := byDigest[n.Desc.Digest]; ok {
			out[i].RepoTags = append(out[i].RepoTags, src)
			continue
		}
		m, err := parseManifest(n.Raw)
		if err != nil || m.Config == nil {
			continue
		}
		dm := dockerManifest{Config: blobPath(m.Config.Digest), RepoTags: []string{src}, Layers: []string{}}
		for _, l := range m.Layers {
			dm.Layers = append(dm.Layers, blobPath(l.Digest))
		}
		byDigest[n.Desc.Digest] = len(out)
		out = append(out, dm)
	}
	return json.Marshal(out)
}
