package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/uuid"
	"golang.org/x/sync/semaphore"

	"ferry/backend/archive"
	"ferry/backend/medium"
	"ferry/backend/progress"
	"ferry/backend/refs"
)

// Defaults of a serialize run.
const (
	DefaultBlockSize  = medium.DefaultBlockSize // 1 MiB, the usual tape block
	DefaultBufferSize = 64 << 20                // memory for the ring buffer and the reorder buffer together
	DefaultHWM        = medium.DefaultHighWaterMark
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
	// medium: the ring buffer and the reorder buffer of prefetched blobs
	// share it (default 64 MiB; use 1Gi or more for tapes).
	BufferSize int `json:"bufferSize,omitempty"`
	// HWM is how full, in percent, the ring buffer gets before the medium
	// is written, so a tape streams in long runs (default 75).
	HWM int `json:"hwm,omitempty"`
	// Referrers also writes every manifest's referrers.
	Referrers bool `json:"referrers,omitempty"`
	// Force overwrites an existing regular file at Dest (and at
	// CheckpointFile). Nothing is ever appended.
	Force bool `json:"force,omitempty"`
	// ManifestJSON also writes a `docker load` style manifest.json, next to
	// Dest as Dest+".manifest.json": inside the stream it would break the
	// reference reader's strict mode (FORMAT.md section 2).
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
	// Skipped counts the layers and configs left out because the far side
	// has them (EXISTING-IMAGE, checkpoints, resumed runs).
	Skipped      int   `json:"skipped"`
	SkippedBytes int64 `json:"skippedBytes"`
	// StreamBytes is the size of the uncompressed tar stream, MediumBytes
	// what reached the medium (they differ with compression).
	StreamBytes  int64  `json:"streamBytes"`
	MediumBytes  int64  `json:"mediumBytes"`
	ManifestJSON string `json:"manifestJson,omitempty"` // path of the manifest.json written
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
	manifests  []v1.Descriptor
	gatherAnn  map[string]string
	total      int64 // bytes of items
	skipped    int
	skippedLen int64
}

type serialItem struct {
	desc v1.Descriptor
	raw  []byte // manifests: their bytes
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
	if o.ManifestJSON {
		if err := checkManifestJSONDest(o); err != nil {
			return res, err
		}
	}

	plan, err := planSerialize(ctx, env, o, checkpoints)
	if err != nil {
		return res, err
	}
	res.Root, res.Tag = plan.root, plan.tag
	res.Skipped, res.SkippedBytes = plan.skipped, plan.skippedLen
	res.Manifests = len(plan.manifests)

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

	dst, err := medium.Create(o.Dest, o.Force)
	if err != nil {
		if ledgerFile != nil {
			ledgerFile.Close()
			os.Remove(o.CheckpointFile)
		}
		return res, fmt.Errorf("destination: %w", err)
	}
	res.SyncID = uuid.NewString()
	vol := volume{number: 1, last: true, syncID: res.SyncID}
	st, werr := writeVolume(ctx, env, plan, dst, vol, comp, o, ledger)
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
		return res, werr
	}
	if err := dst.Close(); err != nil {
		return res, fmt.Errorf("closing %s: %w", o.Dest, err)
	}
	if ledgerFile != nil {
		if err := ledgerFile.Sync(); err != nil {
			return res, fmt.Errorf("checkpoint ledger: %w", err)
		}
	}
	if o.ManifestJSON {
		p, err := writeManifestJSON(plan, o.Dest)
		if err != nil {
			return res, err
		}
		res.ManifestJSON = p
	}
	for _, e := range gatherEntriesOf(plan.rootRaw) {
		env.item(Item{Source: e.Annotations[AnnotationSource], Destination: o.Dest, Digest: e.Digest.String(), Status: ItemDone})
	}
	env.logf("serialized %s (%s) to %s: %d blobs, %d bytes on the medium, %d layers skipped", o.Source, plan.root.Digest, o.Dest, res.Blobs, res.MediumBytes, res.Skipped)
	return res, nil
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
	if o.HWM == 0 {
		o.HWM = DefaultHWM
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

// planSerialize resolves the gather index, walks its graph and decides
// what to write.
func planSerialize(ctx context.Context, env Env, o SerializeOptions, checkpoints []archive.Checkpoint) (*serialPlan, error) {
	repo, id, err := o.sourceRepo(env)
	if err != nil {
		return nil, err
	}
	root, raw, err := repo.Resolve(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", o.Source, err)
	}
	if !IsManifest(root.MediaType) {
		return nil, fmt.Errorf("%s is a %q, not a manifest or index", o.Source, root.MediaType)
	}
	root.Annotations = nil // the stream's index.json gives the root its tag only
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
	for _, e := range o.Existing {
		if err := existingBlobs(ctx, env, e, skip); err != nil {
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

	for _, n := range p.graph.Nodes {
		if n.IsManifest() {
			// Manifests are always written: they are small, and the far side
			// can only push one once it has it together with its children.
			p.items = append(p.items, &serialItem{desc: n.Desc, raw: n.Raw})
			p.manifests = append(p.manifests, n.Desc)
			p.total += n.Desc.Size
			continue
		}
		if skip[n.Desc.Digest] {
			p.skipped++
			p.skippedLen += n.Desc.Size
			continue
		}
		p.items = append(p.items, &serialItem{desc: n.Desc})
		p.total += n.Desc.Size
	}
	return p, nil
}

// existingBlobs adds the layers and configs of an existing image.
func existingBlobs(ctx context.Context, env Env, s string, skip map[v1.Hash]bool) error {
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
		if !n.IsManifest() {
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
}

// writeVolume writes one complete archive of plan's items to w through a
// block writer. It knows nothing of where the bytes go beyond w, so a
// multi-volume writer can call it once per medium.
func writeVolume(ctx context.Context, env Env, plan *serialPlan, w io.Writer, vol volume, comp archive.Compression, o SerializeOptions, ledger *archive.Ledger) (volumeStats, error) {
	var st volumeStats
	ringSize, stageBudget := splitBuffer(o.BufferSize, o.BlockSize)
	conf := newConfirmer(env, ledger, vol.number)
	bw, err := medium.NewBlockWriter(ctx, w,
		medium.WithBlockSize(o.BlockSize), medium.WithBufferSize(ringSize), medium.WithHighWaterMark(o.HWM),
		medium.WithConfirm(conf.confirm))
	if err != nil {
		return st, err
	}
	aw, err := archive.NewWriter(bw, archive.WithCompression(comp))
	if err != nil {
		bw.Close()
		return st, err
	}

	fetch := newPrefetcher(ctx, plan.repo, plan.items, int64(stageBudget), env.concurrency())
	defer fetch.stop()

	report := func(cur string) {
		progress.Or(env.Progress)(progress.Event{Phase: "serialize", BytesDone: st.bytes, BytesTotal: plan.total,
			ItemsDone: st.blobs, ItemsTotal: len(plan.items), Current: cur, BufferFill: bw.Fill()})
	}

	first := archive.NewIndex(plan.root, plan.tag, env.Version, plan.gatherAnn).
		With(archive.VolumeAnnotations(vol.syncID, vol.number, vol.last))
	werr := func() error {
		if _, err := aw.Begin(first); err != nil {
			return err
		}
		for i, it := range plan.items {
			r, release, err := fetch.open(ctx, i)
			if err != nil {
				return fmt.Errorf("reading %s from %s: %w", it.desc.Digest, plan.repo, err)
			}
			cr := &countingReader{r: r, add: func(n int) { st.bytes += int64(n); report(it.desc.Digest.String()) }}
			pos, err := aw.WriteBlob(it.desc, cr)
			release()
			if err != nil {
				return err
			}
			st.blobs++
			conf.written(it.desc, pos)
			if ledger != nil {
				if err := ledger.Record(it.desc, pos); err != nil {
					return err
				}
			}
			report(it.desc.Digest.String())
		}
		end, err := aw.Finish(first.Final(plan.manifests))
		st.end = end
		return err
	}()
	fetch.stop()
	// Close drains what is buffered (unless cancelled): whole entries before
	// a failure still reach the medium and are confirmed before returning.
	cerr := bw.Close()
	st.confirmedBlobs = conf.confirmedCount()
	if werr == nil && cerr != nil {
		werr = cerr
	}
	if werr != nil {
		st.end = aw.Position()
		return st, fmt.Errorf("writing %s (%d of %d entries confirmed on the medium): %w", o.Dest, st.confirmedBlobs, len(plan.items), werr)
	}
	report("")
	return st, nil
}

// splitBuffer divides the memory budget between the ring buffer in front of
// the medium and the reorder buffer of prefetched blobs.
func splitBuffer(total, block int) (ring, stage int) {
	stage = min(total/4, 256<<20)
	ring = (total - stage) / block * block
	if ring < block {
		ring = block
	}
	stage = max(total-ring, 0)
	return ring, stage
}

// confirmer turns medium confirmations into checkpoints.
type confirmer struct {
	env    Env
	ledger *archive.Ledger
	volume int

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
		c.ledger.Confirm(n)
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

// checkManifestJSONDest refuses --manifest-json where no file can sit next
// to the destination.
func checkManifestJSONDest(o SerializeOptions) error {
	if o.Dest == medium.Stdio {
		return errors.New("--manifest-json writes DEST.manifest.json next to the archive; it needs a file destination, not standard output")
	}
	if fi, err := os.Stat(o.Dest); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("--manifest-json writes DEST.manifest.json next to the archive; %s is not a regular file", o.Dest)
	}
	p := o.Dest + ".manifest.json"
	if _, err := os.Stat(p); err == nil && !o.Force {
		return fmt.Errorf("%s: %w; refusing to overwrite it (use --force)", p, medium.ErrExists)
	}
	return nil
}

// dockerManifest is one entry of a `docker save` manifest.json.
type dockerManifest struct {
	Config   string   `json:"Config"`
	RepoTags []string `json:"RepoTags"`
	Layers   []string `json:"Layers"`
}

// writeManifestJSON writes the `docker load` style description of every
// image of the gather index: one entry per source (for an index, its
// linux/amd64 image, else its first), each blob named by its path in the
// stream.
func writeManifestJSON(plan *serialPlan, dest string) (string, error) {
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
	data, err := json.Marshal(out)
	if err != nil {
		return "", err
	}
	p := dest + ".manifest.json"
	if err := os.WriteFile(p, data, 0o666); err != nil {
		return "", fmt.Errorf("manifest.json: %w", err)
	}
	return p, nil
}
