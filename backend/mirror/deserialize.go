package mirror

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"ferry/backend/archive"
	"ferry/backend/medium"
	"ferry/backend/progress"
	"ferry/backend/refs"
	"ferry/backend/tape"
)

// DeserializeOptions are the options of `ferry mirror deserialize`.
type DeserializeOptions struct {
	// Source is the medium: a file, a FIFO, "-" or a tape device.
	Source string `json:"source"`
	// Dest is repository:tag in a registry, or, with DestLayout, the tag in
	// that local OCI layout; the root (the gather index) is tagged with it.
	Dest string `json:"dest"`
	// DestLayout is the directory of a local OCI layout to write into
	// instead of a registry (unarchive uses the local store).
	DestLayout string `json:"destLayout,omitempty"`
	// Strict enforces the reference's entry order.
	Strict bool `json:"strict,omitempty"`
	// DryRun reads and verifies everything and pushes nothing.
	DryRun bool `json:"dryRun,omitempty"`
	// BlockSize is the first read size on a tape (default 1 MiB, grown as
	// needed) or the read size on other devices.
	BlockSize int `json:"blockSize,omitempty"`
	// Volumes are the media after Source, in order, when a transfer spans
	// several volumes (FORMAT.md section 7). Volumes not given are found
	// by name (sync-45.002.tar after sync-45.001.tar) or, on a tape drive,
	// asked for through Env.NextMedium, until the volume marked last.
	Volumes []string `json:"volumes,omitempty"`
	// OpenDevice opens a tape drive for reading; nil uses tape.Open for
	// character devices. Tests pass a Simulator's Open.
	OpenDevice OpenDeviceFunc `json:"-"`
}

// DeserializeResult says what a deserialize run read and pushed.
type DeserializeResult struct {
	Root v1.Descriptor `json:"root"`
	Tag  string        `json:"tag"`
	// Complete is set when the whole transfer is in the target and tagged.
	Complete bool   `json:"complete"`
	SyncID   string `json:"syncId,omitempty"`
	Volume   string `json:"volume,omitempty"` // the number of the last volume read
	// Volumes lists the media read, in order.
	Volumes []MediumRecord `json:"volumes,omitempty"`
	// Blobs counts blobs received and verified (manifests included); Bytes
	// their size. Pushed and Present split them into sent to the target and
	// found there already.
	Blobs     int   `json:"blobs"`
	Bytes     int64 `json:"bytes"`
	Pushed    int   `json:"pushed"`
	Present   int   `json:"present"`
	Manifests int   `json:"manifests"` // manifests pushed (or, dry run, pushable)
	// Missing lists what the target still lacks to hold the whole transfer.
	Missing []v1.Descriptor `json:"missing,omitempty"`
	// Rejected lists blobs whose content did not match their name.
	Rejected []string `json:"rejected,omitempty"`
}

// IncompleteError is returned when a medium did not hold a whole transfer:
// it was cut short, ends before its final index.json, or lacks blobs. What
// was received is in the target; reading the rest into the same repository
// completes it.
type IncompleteError struct {
	// Cause is why reading stopped early, if it did.
	Cause error
	// NoFinalIndex is set when the stream ended before its final index.json.
	NoFinalIndex bool
	Missing      []v1.Descriptor
	Rejected     []string
}

func (e *IncompleteError) Error() string {
	var parts []string
	switch {
	case e.Cause != nil:
		parts = append(parts, "the medium is incomplete: "+e.Cause.Error())
	case e.NoFinalIndex:
		parts = append(parts, "the medium is incomplete: it ends before its final index.json")
	default:
		parts = append(parts, "the transfer is incomplete")
	}
	if len(e.Rejected) > 0 {
		parts = append(parts, fmt.Sprintf("%d blobs rejected because their content does not match their name: %s", len(e.Rejected), strings.Join(e.Rejected, ", ")))
	}
	if len(e.Missing) == 0 && len(e.Rejected) == 0 && (e.NoFinalIndex || e.Cause != nil) {
		// Nothing it lists is missing, yet it cannot be tagged: what only a
		// final index.json lists (referrers) is unknown.
		parts = append(parts, "everything it lists is in the target, but it lacks its final index.json, which lists the referrers; "+
			"read the medium that completes this transfer (again, if it was read first) to tag it")
	}
	if len(e.Missing) > 0 {
		ds := make([]string, len(e.Missing))
		for i, d := range e.Missing {
			ds[i] = d.Digest.String()
		}
		parts = append(parts, fmt.Sprintf("%d blobs missing: %s", len(e.Missing), strings.Join(ds, ", ")))
	}
	return strings.Join(parts, "; ")
}

func (e *IncompleteError) Unwrap() error { return e.Cause }

// maxManifestSize bounds an entry of unknown kind read into memory to find
// out whether it is a manifest, as registries bound manifests.
const maxManifestSize = 4 << 20

// maxKnownManifestSize bounds a manifest held in memory when its parent or
// an index.json says it is one: a gather index with many entries (or large
// source-index annotations) may exceed maxManifestSize, and it must still
// be pushed as a manifest. Larger manifests are refused.
const maxKnownManifestSize = 64 << 20

// Deserialize reads a medium once and pushes its content into Dest: blobs
// are pushed several at once as they arrive (each verified against its name
// first), manifests as soon as all their children are in the target, and
// the root gather index is tagged at the end. The manifests to push are
// those of every index.json copy on the medium; blobs already in the target
// are not sent again.
//
// A medium cut short, or lacking blobs, keeps everything already pushed and
// returns an *IncompleteError listing what is missing; a later medium (the
// next part, or a resumed archive) read into the same repository completes it.
func Deserialize(ctx context.Context, env Env, o DeserializeOptions) (DeserializeResult, error) {
	var res DeserializeResult
	dst, tag, err := o.target(env)
	if err != nil {
		return res, err
	}
	src := &volumeSource{env: env, paths: append([]string{o.Source}, o.Volumes...), blockSize: o.BlockSize, openDev: o.OpenDevice}
	res, err = deserializeVolumes(ctx, env, src, dst, tag, o)
	status, msg := ItemDone, ""
	if err != nil {
		status, msg = ItemFailed, err.Error()
	}
	env.item(Item{Source: o.Source, Destination: o.Dest, Digest: res.Root.Digest.String(), Status: status, Error: msg, Bytes: res.Bytes})
	return res, err
}

func (o DeserializeOptions) target(env Env) (Repo, string, error) {
	if o.DestLayout != "" {
		// An empty tag means the medium's own (see deserializeFrom).
		if o.DryRun {
			return nil, o.Dest, nil
		}
		l, err := OpenLayout(o.DestLayout)
		return l, o.Dest, err
	}
	ref, err := refs.Parse(o.Dest)
	if err != nil {
		return nil, "", fmt.Errorf("destination: %w", err)
	}
	if ref.Tag() == "" || ref.Digest() != "" {
		return nil, "", fmt.Errorf("destination %q must be repository:tag", o.Dest)
	}
	if o.DryRun {
		return nil, ref.Tag(), nil
	}
	return env.repoOf(ref.Name()), ref.Tag(), nil
}

// OpenMediumReader opens a medium for one forward pass: a tape through a
// record reader (so archives written in any block size read with the
// defaults), another character device in blocks of blockSize, and files,
// FIFOs and standard input plainly.
func OpenMediumReader(path string, blockSize int) (io.Reader, func() error, error) {
	src, err := medium.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("source: %w", err)
	}
	if src.Kind != medium.KindDevice {
		if blockSize > 0 {
			return bufio.NewReaderSize(src, blockSize), src.Close, nil
		}
		return src, src.Close, nil
	}
	if dev, err := tape.Open(path, false); err == nil {
		src.Close()
		_ = dev.SetBlockSize(0) // variable-block mode: each read returns one record
		return tape.NewRecordReader(dev, tape.WithInitialRecordSize(blockSize)), dev.Close, nil
	}
	opts := []medium.BlockReaderOption{}
	if blockSize > 0 {
		opts = append(opts, medium.WithReadBlockSize(blockSize))
	}
	br, err := medium.NewBlockReader(src, opts...)
	if err != nil {
		src.Close()
		return nil, nil, err
	}
	return br, src.Close, nil
}

// mediumManifest is a manifest received from the medium, held until it can
// be pushed.
type mediumManifest struct {
	desc     v1.Descriptor
	raw      []byte
	children []v1.Descriptor
	pushed   bool
}

// mediumScan tracks what a medium holds while it is read once. It is shared
// by deserialize and verify.
type mediumScan struct {
	root      *v1.Descriptor
	rootTag   string
	serialVer string // the first index.json's serialization version
	indexes   map[int]int
	// archive is the archive (of the volume being read) the last entry
	// belonged to; archiveFinal is set once that archive's final index.json
	// was read. Only the final copy of the last archive read counts: an
	// earlier volume's (or appended archive's) final copy says nothing of
	// whether the last one was cut short.
	archive      int
	archiveFinal bool
	listed       map[v1.Hash]v1.Descriptor // union of every index.json copy
	order        []v1.Hash                 // listed, in first-seen order
	known        map[NodeKey]v1.Descriptor // descriptors learned from parents, per role
	manifests    map[v1.Hash]*mediumManifest
	// stash holds the bytes of received blobs that parse as manifests but
	// are not (yet) wanted as one: a manifest's bytes reached first as a
	// layer, or a referrer that only the final index.json lists. They are
	// held as manifests once something wants them so (promote).
	stash      map[v1.Hash][]byte
	stashBytes int64
	annots     map[string]string // of the last index.json read
	entries    int
	// streamChecks counts final index.json copies whose stream digest was
	// compared; streamBad lists those that did not match.
	streamChecks int
	streamBad    []string
	// inventories are the readers' accounts of every entry, one per volume
	// read (see checkMedium).
	inventories []*archive.Inventory
}

func newMediumScan() *mediumScan {
	return &mediumScan{indexes: map[int]int{}, listed: map[v1.Hash]v1.Descriptor{}, known: map[NodeKey]v1.Descriptor{},
		manifests: map[v1.Hash]*mediumManifest{}, stash: map[v1.Hash][]byte{}}
}

// startVolume prepares to read the next volume of a transfer: its
// archives are counted from 0 again.
func (s *mediumScan) startVolume() {
	s.indexes = map[int]int{}
	s.archive, s.archiveFinal = 0, false
}

// enter notes the archive of an entry about to be handled.
func (s *mediumScan) enter(e *archive.Entry) {
	if e.Archive != s.archive {
		s.archive, s.archiveFinal = e.Archive, false
	}
}

// addIndex records an index.json copy.
func (s *mediumScan) addIndex(e *archive.Entry) error {
	idx := e.Index
	s.linkInventory(e.Inventory)
	s.indexes[e.Archive]++
	if s.indexes[e.Archive] >= 2 && e.Archive == s.archive {
		s.archiveFinal = true
	}
	if s.root == nil {
		if len(idx.Manifests) == 0 {
			return fmt.Errorf("index.json at offset %d lists no root manifest", e.Offset)
		}
		r := idx.Manifests[0]
		s.root = &r
		s.rootTag = r.Annotations[archive.AnnotationRefName]
		s.serialVer = idx.Annotations[archive.AnnotationSerializationVersion]
	}
	s.annots = idx.Annotations
	if want := idx.Annotations[archive.AnnotationStreamSHA256]; want != "" && e.StreamDigest != "" {
		s.streamChecks++
		if want != e.StreamDigest {
			s.streamBad = append(s.streamBad, fmt.Sprintf("the bytes before index.json at offset %d have sha256 %s, but it records %s", e.Offset, e.StreamDigest, want))
		}
	}
	for _, d := range idx.Manifests {
		if _, ok := s.listed[d.Digest]; !ok {
			s.listed[d.Digest] = d
			s.order = append(s.order, d.Digest)
		}
		if err := s.promote(d.Digest); err != nil {
			return err
		}
	}
	return nil
}

// finalSeen reports whether the last archive read (of the last volume
// read) held its final index.json: the second copy that Ferry and the
// reference write, or, for an archive made by other tools (no
// serialization version), any copy.
func (s *mediumScan) finalSeen() bool {
	if s.root == nil {
		return false
	}
	if s.serialVer == "" {
		return true
	}
	return s.archiveFinal
}

// wantsManifest reports whether the medium's graph needs h as a manifest:
// the root, listed in an index.json, or a manifest child of a held manifest.
func (s *mediumScan) wantsManifest(h v1.Hash) bool {
	if _, ok := s.known[NodeKey{h, RoleManifest}]; ok {
		return true
	}
	if _, ok := s.listed[h]; ok {
		return true
	}
	return s.root != nil && s.root.Digest == h
}

// blobDesc is the descriptor a received entry is pushed under as a blob.
func (s *mediumScan) blobDesc(h v1.Hash, size int64) v1.Descriptor {
	d := v1.Descriptor{MediaType: "application/octet-stream", Digest: h, Size: size}
	if k, ok := s.known[NodeKey{h, RoleBlob}]; ok {
		d.MediaType = k.MediaType
	}
	return d
}

// manifestDesc returns the best manifest descriptor known for h.
func (s *mediumScan) manifestDesc(h v1.Hash, size int64, raw []byte) v1.Descriptor {
	if d, ok := s.known[NodeKey{h, RoleManifest}]; ok {
		return v1.Descriptor{MediaType: d.MediaType, Digest: h, Size: size, ArtifactType: d.ArtifactType, Platform: d.Platform}
	}
	if d, ok := s.listed[h]; ok && IsManifest(d.MediaType) {
		return v1.Descriptor{MediaType: d.MediaType, Digest: h, Size: size, ArtifactType: d.ArtifactType, Platform: d.Platform}
	}
	if s.root != nil && s.root.Digest == h && IsManifest(s.root.MediaType) {
		return v1.Descriptor{MediaType: s.root.MediaType, Digest: h, Size: size}
	}
	return v1.Descriptor{MediaType: sniffManifest(raw), Digest: h, Size: size}
}

// stashLimit bounds the bytes kept in the stash; beyond it a manifest
// wanted later is read back from the target, where it was pushed as a blob.
const stashLimit = 64 << 20

// keep stashes received bytes that parse as a manifest nobody wants yet.
func (s *mediumScan) keep(h v1.Hash, raw []byte) {
	if _, ok := s.stash[h]; ok || s.stashBytes+int64(len(raw)) > stashLimit {
		return
	}
	s.stash[h] = raw
	s.stashBytes += int64(len(raw))
}

// promote holds stashed bytes as a manifest once the graph wants them so.
func (s *mediumScan) promote(h v1.Hash) error {
	raw, ok := s.stash[h]
	if !ok || s.manifests[h] != nil || !s.wantsManifest(h) {
		return nil
	}
	delete(s.stash, h)
	s.stashBytes -= int64(len(raw))
	_, err := s.addManifest(s.manifestDesc(h, int64(len(raw)), raw), raw)
	return err
}

// addManifest records a received manifest and learns its children.
func (s *mediumScan) addManifest(d v1.Descriptor, raw []byte) (*mediumManifest, error) {
	if m, ok := s.manifests[d.Digest]; ok {
		return m, nil
	}
	mt := d.MediaType
	if !IsManifest(mt) {
		mt = sniffManifest(raw)
		d.MediaType = mt
	}
	pm, err := parseManifest(raw)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	children, err := pm.children(mt)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	m := &mediumManifest{desc: d, raw: raw, children: children}
	s.manifests[d.Digest] = m
	for _, c := range children {
		if _, ok := s.known[KeyOf(c)]; !ok {
			s.known[KeyOf(c)] = c
		}
		if err := s.promote(c.Digest); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// sniffManifest returns the media type of bytes that look like an image
// manifest or index, or "" when they do not.
func sniffManifest(raw []byte) types.MediaType {
	var m struct {
		SchemaVersion int               `json:"schemaVersion"`
		MediaType     types.MediaType   `json:"mediaType"`
		Config        *json.RawMessage  `json:"config"`
		Layers        *json.RawMessage  `json:"layers"`
		Manifests     *json.RawMessage  `json:"manifests"`
		Annotations   map[string]string `json:"annotations"`
	}
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &m) != nil || m.SchemaVersion != 2 {
		return ""
	}
	switch {
	case IsManifest(m.MediaType):
		return m.MediaType
	case m.MediaType != "":
		return ""
	case m.Manifests != nil:
		return types.OCIImageIndex
	case m.Config != nil && m.Layers != nil:
		return types.OCIManifestSchema1
	}
	return ""
}

// deserializer pushes what a medium holds into a repository.
type deserializer struct {
	env  Env
	dst  Repo // nil for a dry run
	scan *mediumScan

	mu sync.Mutex
	// present is what the target holds, per (digest, role); got is every
	// entry received and verified.
	present   map[NodeKey]bool
	got       map[v1.Hash]bool
	pushed    int
	found     int
	blobs     int
	bytes     int64
	rejected  []string
	dirty     bool
	manifests int
	readNow   int64 // medium bytes read, every volume, for progress

	budget *semaphore.Weighted
	eg     *errgroup.Group
	egCtx  context.Context
	report func(cur string)
	volume atomic.Int32 // the volume being read, for checkpoints
}

// stagedBlobMax is the largest blob read into memory and pushed in the
// background; larger ones are streamed straight from the medium.
const (
	stagedBlobMax    = 8 << 20
	stagedBlobBudget = 64 << 20
)

// newDeserializer prepares to read a medium into dst (nil: read only).
func newDeserializer(ctx context.Context, env Env, dst Repo, ar *archive.Reader) *deserializer {
	eg, egCtx := errgroup.WithContext(ctx)
	eg.SetLimit(env.concurrency())
	d := &deserializer{env: env, dst: dst, scan: newMediumScan(), present: map[NodeKey]bool{}, got: map[v1.Hash]bool{},
		budget: semaphore.NewWeighted(stagedBlobBudget), eg: eg, egCtx: egCtx}
	d.useReader(ar, 1)
	return d
}

// useReader makes progress follow ar, the archive of volume n; bytes of
// earlier volumes stay counted.
func (d *deserializer) useReader(ar *archive.Reader, n int) {
	d.volume.Store(int32(n))
	if ar == nil {
		d.report = func(string) {}
		return
	}
	d.mu.Lock()
	before := d.readNow
	d.mu.Unlock()
	d.report = func(cur string) {
		d.mu.Lock()
		d.readNow = before + ar.Offset()
		ev := progress.Event{Phase: "deserialize", BytesDone: d.readNow, ItemsDone: d.blobs, Current: cur}
		d.mu.Unlock()
		progress.Or(d.env.Progress)(ev)
	}
}

// run reads the whole medium and waits for the pushes it started.
func (d *deserializer) run(ar *archive.Reader) error {
	readErr := d.readAll(d.egCtx, ar)
	if waitErr := d.eg.Wait(); waitErr != nil {
		readErr = waitErr // a failed push stops reading; it is the cause
	}
	return readErr
}

// deserializeVolumes reads the volumes of a transfer in order, as one
// stream of entries, into dst: one volume when the medium carries no
// Ferry volume annotations or is marked last, else each next volume of the
// same sync id until the one marked last.
func deserializeVolumes(ctx context.Context, env Env, src *volumeSource, dst Repo, tag string, o DeserializeOptions) (DeserializeResult, error) {
	var res DeserializeResult
	d := newDeserializer(ctx, env, dst, nil)
	s := d.scan
	var readErr error
	syncID := ""
	read := 0
	for n := 1; ; n++ {
		vol, err := src.open(d.egCtx, n, syncID)
		if err != nil {
			if n == 1 {
				d.eg.Wait()
				return res, err
			}
			var ve *VolumeError
			if !errors.As(err, &ve) {
				err = fmt.Errorf("%w: %w", errMoreVolumes, err)
			}
			readErr = err
			break
		}
		// The stream is hashed as it passes, so a Ferry medium is proven
		// byte for byte (vnd.ferry.stream.sha256) before its root is tagged.
		ar, err := archive.NewReader(vol.r, archive.Strict(o.Strict), archive.WithStreamDigest())
		if err != nil {
			vol.close()
			if n == 1 {
				d.eg.Wait()
				return res, err
			}
			readErr = fmt.Errorf("%s: %w", vol.path, err)
			break
		}
		d.useReader(ar, n)
		s.startVolume() // index.json copies are counted per archive of each volume
		before := ar.Offset()
		readErr = d.readAll(d.egCtx, ar)
		bytesRead := ar.Offset() - before
		ar.Close()
		vol.close()
		read = n
		if readErr != nil {
			break
		}
		ann := s.annots
		if n == 1 {
			syncID = ann[archive.AnnotationSyncID]
		}
		if syncID != "" && !s.finalSeen() {
			// Only a volume's final index.json says whether it is the last
			// one (the first copy cannot know), and only it lists the
			// referrers: a volume cut before it leaves the transfer
			// incomplete, whatever number it has.
			env.logf("volume %d of sync %s (%s) ends before its final index.json: it was cut short; the transfer is incomplete", n, syncID, vol.path)
			rec := MediumRecord{Label: filepath.Base(vol.path), Device: vol.path, SyncID: syncID, Volume: n, Bytes: bytesRead}
			env.medium(rec)
			res.Volumes = append(res.Volumes, rec)
			break
		}
		// A final copy with a sync id but without vnd.ferry.volume.last
		// cannot be taken as the last volume: the next one is asked for.
		last := syncID == "" || ann[archive.AnnotationVolumeLast] == "true"
		env.medium(MediumRecord{Label: filepath.Base(vol.path), Device: vol.path, SyncID: syncID, Volume: n, Last: last, Bytes: bytesRead})
		res.Volumes = append(res.Volumes, MediumRecord{Label: filepath.Base(vol.path), Device: vol.path, SyncID: syncID, Volume: n, Last: last, Bytes: bytesRead})
		if last {
			if n < len(src.paths) {
				readErr = fmt.Errorf("%s follows volume %d, which is marked as the last of sync %s; it was not read", src.paths[n], n, syncID)
			}
			break
		}
		env.logf("read volume %d of sync %s from %s; the transfer continues on volume %d", n, syncID, vol.path, n+1)
		if n >= len(src.paths) {
			src.eject(vol.path) // the next cartridge goes into the same drive
		}
	}
	if waitErr := d.eg.Wait(); waitErr != nil {
		readErr = waitErr // a failed push stops reading; it is the cause
	}
	if tag == "" {
		tag = "latest"
		if s.rootTag != "" && validTag(s.rootTag) {
			tag = s.rootTag
		}
	}
	if s.root != nil {
		res.Root = *s.root
		res.Root.Annotations = nil
		res.Tag = tag
	}
	if s.annots != nil {
		res.SyncID = s.annots[archive.AnnotationSyncID]
		res.Volume = s.annots[archive.AnnotationVolumeNumber]
	}
	if read > 1 {
		res.Volume = strconv.Itoa(read)
	}
	var volErr *VolumeError
	if errors.As(readErr, &volErr) {
		// A wrong medium is not a damaged one: say so plainly.
		d.settle(ctx, true)
		res = d.result(res)
		res.Missing = d.missing()
		return res, fmt.Errorf("%w (everything received before it is in the target)", readErr)
	}
	fatal := readErr != nil && !errors.Is(readErr, archive.ErrTruncated) && !errors.Is(readErr, io.ErrUnexpectedEOF) && !errors.Is(readErr, errMoreVolumes)
	if ctx.Err() != nil {
		return d.result(res), ctx.Err()
	}
	if s.root == nil {
		if readErr != nil && !fatal {
			return d.result(res), &IncompleteError{Cause: readErr, NoFinalIndex: true}
		}
		if readErr != nil {
			return d.result(res), fmt.Errorf("reading %s: %w", src.last, readErr)
		}
		return d.result(res), fmt.Errorf("%s holds no index.json: not a serialized archive", o.Source)
	}

	// Children not on this medium may be in the target already (EXISTING
	// images, an earlier part).
	if err := d.settle(ctx, true); err != nil {
		return d.result(res), err
	}
	if err := d.lookUpListed(ctx); err != nil {
		return d.result(res), err
	}
	res = d.result(res)
	res.Missing = d.missing()
	complete := readErr == nil && s.finalSeen() && len(res.Missing) == 0 && len(d.rejected) == 0
	root := s.manifests[s.root.Digest]
	if root == nil {
		complete = false
	}
	problems := checkMedium(s, res.Rejected)
	if len(res.Rejected) == 0 { // a rejected blob already explains a stream that differs
		for _, b := range s.streamBad {
			problems = append(problems, "stream digest: "+b)
		}
	}
	if len(problems) > 0 && s.finalSeen() && (readErr == nil || errors.Is(readErr, errMoreVolumes)) {
		return res, fmt.Errorf("%s was not tagged: %w", tag, &VerifyError{Problems: problems})
	}
	if complete && dst != nil {
		if err := dst.PushManifest(ctx, root.desc, root.raw, tag); err != nil {
			return res, fmt.Errorf("tagging %s as %s: %w", root.desc.Digest, tag, err)
		}
	}
	res.Complete = complete
	d.recordEntries(res)
	if fatal {
		return res, fmt.Errorf("reading %s: %w (everything received before it is in the target)", src.last, readErr)
	}
	if !complete {
		ie := &IncompleteError{Missing: res.Missing, Rejected: res.Rejected, NoFinalIndex: !s.finalSeen()}
		if readErr != nil {
			ie.Cause = readErr
		}
		env.logf("%v", ie)
		return res, ie
	}
	env.logf("deserialized %s into %s: %d blobs received, %d pushed, %d already present, %d manifests", describeVolumes(o.Source, read), o.Dest, res.Blobs, res.Pushed, res.Present, res.Manifests)
	return res, nil
}

func (d *deserializer) result(res DeserializeResult) DeserializeResult {
	d.mu.Lock()
	defer d.mu.Unlock()
	res.Blobs, res.Bytes, res.Pushed, res.Present, res.Manifests = d.blobs, d.bytes, d.pushed, d.found, d.manifests
	res.Rejected = append([]string(nil), d.rejected...)
	return res
}

// recordEntries reports each gather entry as delivered or not.
func (d *deserializer) recordEntries(res DeserializeResult) {
	root := d.scan.manifests[d.scan.root.Digest]
	if root == nil || d.dst == nil {
		return
	}
	for _, e := range gatherEntriesOf(root.raw) {
		it := Item{Source: e.Annotations[AnnotationSource], Destination: res.Tag, Digest: e.Digest.String(), Status: ItemDone}
		if !d.isPresent(NodeKey{e.Digest, RoleManifest}) {
			it.Status, it.Error = ItemFailed, "not complete in the target yet"
		}
		d.env.item(it)
	}
}

// readAll reads every entry, handing blobs to pushes.
func (d *deserializer) readAll(ctx context.Context, ar *archive.Reader) error {
	s := d.scan
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		e, err := ar.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		s.entries++
		s.enter(e)
		switch e.Kind {
		case archive.KindIndex:
			if err := s.addIndex(e); err != nil {
				return err
			}
			d.markDirty()
		case archive.KindBlob:
			if err := d.blob(ctx, ar, e); err != nil {
				return err
			}
		}
		if err := d.settle(ctx, false); err != nil {
			return err
		}
		d.report(e.Name)
	}
}

// blob handles one blob entry. Every entry is pushed as a blob, manifests
// included (as the reference does): a medium cut short then leaves in the
// target every manifest it carried, and a later medium that leaves them out
// still completes the transfer. A manifest is also held until its children
// are present and then pushed as a manifest (settle).
func (d *deserializer) blob(ctx context.Context, ar *archive.Reader, e *archive.Entry) error {
	s := d.scan
	if d.hasEntry(e.Digest) {
		return nil // a duplicate entry
	}
	isManifest := s.wantsManifest(e.Digest)
	if isManifest && e.Size > maxKnownManifestSize {
		return fmt.Errorf("manifest %s at offset %d is %d bytes, larger than the %d bytes accepted for a manifest", e.Digest, e.Offset, e.Size, maxKnownManifestSize)
	}
	desc := s.blobDesc(e.Digest, e.Size)
	if isManifest || e.Size <= stagedBlobMax {
		// Manifests are bounded above and held anyway; other entries share
		// the staging budget.
		staged := !isManifest
		if staged {
			if err := d.budget.Acquire(ctx, e.Size); err != nil {
				return err
			}
		}
		raw, err := d.readVerified(ar, e)
		if err != nil || raw == nil {
			if staged {
				d.budget.Release(e.Size)
			}
			return err
		}
		switch {
		case isManifest:
			if _, err := s.addManifest(s.manifestDesc(e.Digest, e.Size, raw), raw); err != nil {
				if staged {
					d.budget.Release(e.Size)
				}
				return err
			}
			d.markDirty()
		case e.Size <= maxManifestSize && sniffManifest(raw) != "":
			s.keep(e.Digest, raw)
		}
		return d.pushStaged(desc, raw, e, staged)
	}
	if d.dst == nil {
		// Nothing to push: the content is only hashed (the archive reader
		// verifies it at its end), never held whole in memory.
		_, err := io.Copy(io.Discard, ar)
		if errors.Is(err, archive.ErrDigestMismatch) {
			d.reject(e)
			return nil
		}
		if err != nil {
			return err
		}
		d.received(e)
		d.setPresent(desc, e, false)
		return nil
	}
	// A large blob: streamed from the medium into the target.
	if has, err := d.dst.Has(ctx, desc); err != nil {
		return fmt.Errorf("checking %s in %s: %w", desc.Digest, d.dst, err)
	} else if has {
		d.received(e)
		d.setPresent(desc, e, false)
		return nil
	}
	fr := &flagReader{r: ar}
	err := d.dst.PushBlob(ctx, desc, fr)
	switch {
	case fr.mismatch:
		d.reject(e)
		return nil
	case fr.cut != nil:
		return fr.cut
	case err != nil:
		return fmt.Errorf("pushing %s to %s: %w", desc.Digest, d.dst, err)
	}
	d.received(e)
	d.setPresent(desc, e, true)
	return nil
}

// readVerified reads a whole entry; it returns nil data (and no error)
// when the content does not match its name, after recording the rejection.
func (d *deserializer) readVerified(ar *archive.Reader, e *archive.Entry) ([]byte, error) {
	// The size in the header is not trusted until the content arrived: the
	// buffer grows with what is read, from at most the staging limit.
	buf := bytes.NewBuffer(make([]byte, 0, min(max(e.Size, 0), stagedBlobMax)))
	_, err := io.Copy(buf, ar)
	if errors.Is(err, archive.ErrDigestMismatch) {
		d.reject(e)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pushStaged pushes a blob held in memory in the background; release says
// whether it holds a share of the staging budget.
func (d *deserializer) pushStaged(desc v1.Descriptor, raw []byte, e *archive.Entry, release bool) error {
	d.received(e)
	if d.dst == nil {
		if release {
			d.budget.Release(e.Size)
		}
		d.setPresent(desc, e, false)
		return nil
	}
	d.eg.Go(func() error {
		if release {
			defer d.budget.Release(e.Size)
		}
		has, err := d.dst.Has(d.egCtx, desc)
		if err != nil {
			return fmt.Errorf("checking %s in %s: %w", desc.Digest, d.dst, err)
		}
		if !has {
			if err := d.dst.PushBlob(d.egCtx, desc, bytes.NewReader(raw)); err != nil {
				return fmt.Errorf("pushing %s to %s: %w", desc.Digest, d.dst, err)
			}
		}
		d.setPresent(desc, e, !has)
		return nil
	})
	return nil
}

func (d *deserializer) received(e *archive.Entry) {
	d.mu.Lock()
	d.got[e.Digest] = true
	d.blobs++
	d.bytes += e.Size
	d.mu.Unlock()
}

func (d *deserializer) reject(e *archive.Entry) {
	d.mu.Lock()
	d.rejected = append(d.rejected, e.Digest.String())
	d.mu.Unlock()
	d.env.logf("rejected %s at offset %d: its content does not match its name", e.Digest, e.Offset)
}

// setPresent records that the target holds desc in its role; pushed says
// whether this run sent it. Pushed and found count blobs, not manifests.
func (d *deserializer) setPresent(desc v1.Descriptor, e *archive.Entry, pushed bool) {
	k := KeyOf(desc)
	d.mu.Lock()
	d.present[k] = true
	d.dirty = true
	if d.dst != nil && k.Role == RoleBlob {
		if pushed {
			d.pushed++
		} else {
			d.found++
		}
	}
	d.mu.Unlock()
	if e != nil && d.dst != nil {
		d.env.checkpoint(Checkpoint{Digest: desc.Digest.String(), Size: desc.Size, MediaType: string(desc.MediaType), Volume: int(d.volume.Load()), Offset: e.End, Confirmed: true})
	}
}

func (d *deserializer) isPresent(k NodeKey) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.present[k]
}

func (d *deserializer) hasEntry(h v1.Hash) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.got[h]
}

func (d *deserializer) markDirty() {
	d.mu.Lock()
	d.dirty = true
	d.mu.Unlock()
}

// settle pushes every held manifest whose children are all present,
// repeatedly, since each push may complete another's children. At the end
// (final), children still absent are looked up in the target once, and a
// manifest wanted but not on this medium is read back from the target when
// an earlier medium left it there as a blob.
func (d *deserializer) settle(ctx context.Context, final bool) error {
	s := d.scan
	checked := map[NodeKey]bool{}
	for {
		d.mu.Lock()
		dirty := d.dirty
		d.dirty = false
		d.mu.Unlock()
		if !dirty && !final {
			return nil
		}
		progressed := false
		for _, h := range d.heldOrder() {
			m := s.manifests[h]
			if m.pushed {
				continue
			}
			ready := true
			for _, c := range m.children {
				k := KeyOf(c)
				if d.isPresent(k) {
					continue
				}
				if final && d.dst != nil && !checked[k] && (k.Role == RoleBlob || s.manifests[c.Digest] == nil) {
					checked[k] = true
					found, err := d.lookUp(ctx, c)
					if err != nil {
						return err
					}
					if found {
						progressed = true
						if d.isPresent(k) {
							continue
						}
					}
				}
				ready = false
				break
			}
			if !ready {
				continue
			}
			// Always put, never asked first: a registry that holds the bytes
			// as a blob (pushed so a moment ago) answers that it has the
			// manifest, yet only a put indexes its subject for the referrers
			// API or the sha256-<hex> tag. A put of what is there is harmless.
			sent := false
			if d.dst != nil {
				if err := d.dst.PushManifest(ctx, m.desc, m.raw); err != nil {
					return fmt.Errorf("pushing manifest %s to %s: %w", m.desc.Digest, d.dst, err)
				}
				sent = true
			}
			m.pushed = true
			progressed = true
			d.mu.Lock()
			d.manifests++
			d.mu.Unlock()
			d.setPresent(m.desc, nil, sent)
			d.env.checkpoint(Checkpoint{Digest: m.desc.Digest.String(), Size: m.desc.Size, MediaType: string(m.desc.MediaType), Volume: int(d.volume.Load()), Confirmed: true})
		}
		if !progressed {
			return nil
		}
	}
}

// lookUp asks the target for a node that did not come on the medium. A
// manifest is read back from the target's blobs first, where an earlier
// (cut) medium left its bytes: then it is held, its children are checked,
// and settle puts it as a manifest. Only when the target has no such blob
// is it asked for as a manifest: a registry that holds a manifest's bytes as
// a blob answers that it has the manifest, children or not. found reports
// whether anything changed.
func (d *deserializer) lookUp(ctx context.Context, c v1.Descriptor) (found bool, err error) {
	if RoleOf(c) == RoleManifest && d.scan.manifests[c.Digest] == nil {
		raw, err := d.readBack(ctx, c)
		if err != nil {
			return false, err
		}
		if raw != nil {
			if _, err := d.scan.addManifest(d.scan.manifestDesc(c.Digest, int64(len(raw)), raw), raw); err != nil {
				return false, err
			}
			d.setPresent(d.scan.blobDesc(c.Digest, int64(len(raw))), nil, false)
			return true, nil
		}
	}
	has, err := d.dst.Has(ctx, c)
	if err != nil {
		return false, fmt.Errorf("checking %s in %s: %w", c.Digest, d.dst, err)
	}
	if has {
		d.setPresent(c, nil, false)
	}
	return has, nil
}

// readBack reads a manifest's bytes from the target's blobs, verified
// against the digest; nil when the target does not hold them as a blob.
func (d *deserializer) readBack(ctx context.Context, c v1.Descriptor) ([]byte, error) {
	b := d.scan.blobDesc(c.Digest, c.Size)
	if c.Size > maxKnownManifestSize {
		return nil, nil
	}
	has, err := d.dst.Has(ctx, b)
	if err != nil || !has {
		return nil, err
	}
	rc, err := d.dst.Blob(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("reading %s back from %s: %w", c.Digest, d.dst, err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, maxKnownManifestSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s back from %s: %w", c.Digest, d.dst, err)
	}
	if h, _, err := v1.SHA256(bytes.NewReader(raw)); err != nil || h != c.Digest {
		return nil, nil // not what it claims: leave it missing
	}
	return raw, nil
}

// heldOrder lists held manifests in a stable order (children first is not
// required: settle repeats until nothing more can be pushed).
func (d *deserializer) heldOrder() []v1.Hash {
	out := make([]v1.Hash, 0, len(d.scan.manifests))
	for h := range d.scan.manifests {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// lookUpListed checks the target for listed manifests that did not come
// on the medium (an earlier part may have delivered them), then settles
// what that made ready.
func (d *deserializer) lookUpListed(ctx context.Context) error {
	if d.dst == nil {
		return nil
	}
	changed := false
	for _, h := range d.scan.order {
		desc := d.scan.listed[h]
		if !IsManifest(desc.MediaType) || d.isPresent(KeyOf(desc)) || d.scan.manifests[h] != nil {
			continue // a listing without a manifest media type cannot be asked for as one
		}
		found, err := d.lookUp(ctx, desc)
		if err != nil {
			return err
		}
		changed = changed || found
	}
	if changed {
		return d.settle(ctx, true)
	}
	return nil
}

// missing lists what the target lacks to hold the whole transfer: a walk
// from the root and every listed manifest through held manifests, each
// child in its role. A manifest pushed stands for its whole graph.
func (d *deserializer) missing() []v1.Descriptor {
	s := d.scan
	var out []v1.Descriptor
	seen := map[NodeKey]bool{}
	var walk func(desc v1.Descriptor, role Role)
	walk = func(desc v1.Descriptor, role Role) {
		k := NodeKey{desc.Digest, role}
		if seen[k] || d.isPresent(k) {
			return
		}
		seen[k] = true
		if m := s.manifests[desc.Digest]; role == RoleManifest && m != nil {
			for _, c := range m.children {
				walk(c, RoleOf(c))
			}
			return
		}
		out = append(out, v1.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size})
	}
	if s.root != nil {
		walk(*s.root, RoleManifest)
	}
	for _, h := range s.order {
		walk(s.listed[h], RoleManifest)
	}
	return out
}

// flagReader passes the archive reader through and notes why it failed.
type flagReader struct {
	r        io.Reader
	mismatch bool
	cut      error
}

func (f *flagReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	switch {
	case err == nil || err == io.EOF:
	case errors.Is(err, archive.ErrDigestMismatch):
		f.mismatch = true
	default:
		// The medium failed, not the network: the upload must not be
		// retried (a cut medium has nothing more to give), so the uploader
		// sees an error that no retry rule matches; the cause is kept.
		f.cut = err
		return n, errMediumRead
	}
	return n, err
}

// errMediumRead is what an upload streamed from the medium sees when the
// medium fails under it (flagReader keeps the real cause).
var errMediumRead = errors.New("reading the medium failed")

// errMoreVolumes means the transfer continues on a volume that was not read.
var errMoreVolumes = errors.New("the transfer continues on a volume that was not read")

// describeVolumes names what was read: the medium, or its volume count.
func describeVolumes(source string, n int) string {
	if n > 1 {
		return fmt.Sprintf("%s and %d more volumes", source, n-1)
	}
	return source
}

// validTag reports whether s can be a tag.
func validTag(s string) bool {
	_, err := name.NewTag("example.invalid/x:"+s, name.StrictValidation)
	return err == nil
}
