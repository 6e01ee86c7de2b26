package mirror

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"ferry/backend/archive"
	"ferry/backend/digestcheck"
	"ferry/backend/medium"
	"ferry/backend/progress"
	"ferry/backend/registry"
)

// maxManifestSize bounds an entry of unknown kind read into memory to find
// out whether it is a manifest, as registries bound manifests.
const maxManifestSize = 4 << 20

// maxKnownManifestSize bounds a manifest held in memory when its parent or
// an index.json says it is one: a gather index with many entries (or large
// source-index annotations) may exceed maxManifestSize, and it must still
// be pushed as a manifest. Larger manifests are refused.
const maxKnownManifestSize = 64 << 20

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

	// verifying is set when dst checks what it is sent against its digest
	// (a registry), so that blobs sent there are not hashed by Ferry too;
	// inflight holds, per digest, a blob whose check is still under way
	// there.
	verifying bool
	inflight  map[v1.Hash]chan struct{}
	// ranges, set while a plain (uncompressed) file is read, opens the
	// bodies of its entries anew for uploads sent from the file itself.
	ranges *medium.FileRanges

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
	_, verifying := dst.(pushVerifier)
	d := &deserializer{env: env, dst: dst, scan: newMediumScan(), present: map[NodeKey]bool{}, got: map[v1.Hash]bool{},
		verifying: verifying, inflight: map[v1.Hash]chan struct{}{},
		budget: semaphore.NewWeighted(stagedBlobBudget), eg: eg, egCtx: egCtx}
	d.useReader(ar, 1, nil)
	return d
}

// useReader makes progress follow ar, the archive of volume n; bytes of
// earlier volumes stay counted. ranges, when the volume is a regular file,
// lets uploads read its entries' bodies from the file itself.
func (d *deserializer) useReader(ar *archive.Reader, n int, ranges *medium.FileRanges) {
	d.volume.Store(int32(n))
	if ar == nil {
		d.report = func(string) {}
		return
	}
	d.ranges = nil
	if ar.Compression() == archive.None {
		d.ranges = ranges // offsets on the stream are offsets in the file
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
	if err := d.waitInFlight(ctx, e.Digest); err != nil {
		return err
	}
	if d.hasEntry(e.Digest) {
		return nil // a duplicate entry
	}
	isManifest := s.wantsManifest(e.Digest)
	if isManifest && e.Size > maxKnownManifestSize {
		return fmt.Errorf("manifest %s at offset %d is %d bytes, larger than the %d bytes accepted for a manifest", e.Digest, e.Offset, e.Size, maxKnownManifestSize)
	}
	desc := s.blobDesc(e.Digest, e.Size)
	// A blob too large to be a manifest, bound for a target that verifies
	// what it is sent, is not hashed here: the target checks it, or, when
	// it holds the blob already, the upload hashes the medium's copy.
	if d.verifying && !isManifest && e.Size > maxManifestSize {
		if settle := ar.HandOff(); settle != nil {
			return d.handedOff(ctx, ar, e, desc, settle)
		}
	}
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
				return err // manifests hold no share of the budget
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
		if ok, err := d.verified(e, err); !ok {
			return err
		}
		d.received(e)
		d.setPresent(desc, e, false)
		return nil
	}
	// A large blob: read from the medium into a spool that its upload
	// drains, so that reading goes on while it is sent.
	sp := newSpool(ctx, d.budget)
	d.eg.Go(func() error {
		sent, err := pushMissing(d.egCtx, d.dst, desc, sp)
		sp.abandon()
		if sp.writerErr() != nil {
			return nil // the medium failed: its reader says so
		}
		if err != nil {
			return fmt.Errorf("pushing %s to %s: %w", desc.Digest, d.dst, err)
		}
		d.setPresent(desc, e, sent)
		return nil
	})
	err := sp.fill(ar)
	sp.closeWrite(err)
	if ok, err := d.verified(e, err); !ok {
		return err
	}
	d.received(e)
	return nil
}

// handedOff pushes in the background a blob whose check the archive reader
// handed over: read from a plain file by the upload itself, else held in
// memory when small enough to stage, else streamed through a spool; the
// push settles the check (pushChecked).
func (d *deserializer) handedOff(ctx context.Context, ar *archive.Reader, e *archive.Entry, desc v1.Descriptor, settle func(bool)) error {
	done := d.startInFlight(e.Digest)
	if ranges := d.ranges; ranges != nil && ranges.Holds(e.Body, e.Size) {
		// A plain file: the upload reads the body from the file itself,
		// copied by the kernel, and the reader passes over it.
		d.eg.Go(func() error {
			defer close(done)
			return d.pushChecked(desc, e, settle, func() (io.ReadCloser, error) { return ranges.Open(e.Body, e.Size) }, nil)
		})
		return nil
	}
	if e.Size <= stagedBlobMax {
		if err := d.budget.Acquire(ctx, e.Size); err != nil {
			close(done)
			return err
		}
		raw, err := d.readVerified(ar, e) // handed off: nothing to mismatch here
		if err != nil {
			d.budget.Release(e.Size)
			close(done)
			return err
		}
		d.eg.Go(func() error {
			defer close(done)
			defer d.budget.Release(e.Size)
			return d.pushChecked(desc, e, settle, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil }, nil)
		})
		return nil
	}
	sp := newSpool(ctx, d.budget)
	d.eg.Go(func() error {
		defer close(done)
		err := d.pushChecked(desc, e, settle, func() (io.ReadCloser, error) { return io.NopCloser(sp), nil }, sp.writerErr)
		sp.abandon()
		if sp.writerErr() != nil {
			return nil // the medium failed: its reader says so
		}
		return err
	})
	err := sp.fill(ar)
	sp.closeWrite(err)
	return err
}

// pushChecked sends a blob that Ferry has not hashed to the target, which
// verifies it, and settles its check: sent and accepted, it is proven; sent
// and refused as not matching its digest, it is rejected; not sent, since
// the target holds it already, the medium's copy is hashed here. content
// gives the blob from its start, once for the push and, when the push read
// nothing, once more for the hash. mediumErr, when set, tells whether
// reading it failed on the medium's side, which settles nothing.
func (d *deserializer) pushChecked(desc v1.Descriptor, e *archive.Entry, settle func(bool), content func() (io.ReadCloser, error), mediumErr func() error) error {
	body, err := content()
	if err != nil {
		return fmt.Errorf("reading %s from the medium: %w", desc.Digest, err)
	}
	sent, err := pushMissing(d.egCtx, d.dst, desc, body)
	body.Close()
	if mediumErr != nil && mediumErr() != nil {
		return nil
	}
	switch {
	case err != nil && registry.IsDigestInvalid(err):
		settle(false)
		d.reject(e)
		return nil
	case err != nil:
		return fmt.Errorf("pushing %s to %s: %w", desc.Digest, d.dst, err)
	case !sent:
		if body, err = content(); err != nil {
			return fmt.Errorf("reading %s from the medium: %w", desc.Digest, err)
		}
		_, err = io.Copy(io.Discard, digestcheck.NewReader(body, desc, nil))
		body.Close()
		if mediumErr != nil && mediumErr() != nil {
			return nil
		}
		if err != nil { // its digest or size is not its name's
			settle(false)
			d.reject(e)
			return nil
		}
	}
	settle(true)
	d.received(e)
	d.setPresent(desc, e, sent)
	return nil
}

// startInFlight marks a blob whose check is under way in the background;
// closing the channel returned ends it.
func (d *deserializer) startInFlight(h v1.Hash) chan struct{} {
	ch := make(chan struct{})
	d.mu.Lock()
	d.inflight[h] = ch
	d.mu.Unlock()
	return ch
}

// waitInFlight waits for the check of an earlier copy of the blob, so a
// duplicate entry is read only when that copy proved wrong.
func (d *deserializer) waitInFlight(ctx context.Context, h v1.Hash) error {
	d.mu.Lock()
	ch := d.inflight[h]
	d.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pushManifest puts a held manifest whose children are all present. While
// the medium is read (not final) the put runs in the background, so reading
// goes on, and the manifest counts as present once it succeeded; the
// manifests that wait for it are put at a later settle. At the end it is
// put at once; so is a manifest with a subject.
//
// Always put, never asked first: a registry that holds the bytes as a blob
// (pushed so a moment ago) answers that it has the manifest, yet only a put
// indexes its subject for the referrers API or the sha256-<hex> tag. A put
// of what is there is harmless.
func (d *deserializer) pushManifest(ctx context.Context, m *mediumManifest, final bool) error {
	put := func(ctx context.Context) error {
		sent := false
		if d.dst != nil {
			if err := d.dst.PushManifest(ctx, m.desc, m.raw); err != nil {
				return fmt.Errorf("pushing manifest %s to %s: %w", m.desc.Digest, d.dst, err)
			}
			sent = true
		}
		d.mu.Lock()
		d.manifests++
		d.mu.Unlock()
		d.setPresent(m.desc, nil, sent)
		d.env.checkpoint(Checkpoint{Digest: m.desc.Digest.String(), Size: m.desc.Size, MediaType: string(m.desc.MediaType), Volume: int(d.volume.Load()), Confirmed: true})
		return nil
	}
	// A manifest with a subject is put at once, one after another: on a
	// registry without the referrers API its put rewrites the subject's
	// referrers tag, and two at once would each drop the other.
	if final || d.dst == nil || hasSubject(m.raw) {
		return put(ctx)
	}
	d.eg.Go(func() error { return put(d.egCtx) })
	return nil
}

func hasSubject(raw []byte) bool {
	pm, err := parseManifest(raw)
	return err == nil && pm.Subject != nil
}

// readVerified reads a whole entry; it returns nil data (and no error)
// when the content does not match its name, after recording the rejection.
func (d *deserializer) readVerified(ar *archive.Reader, e *archive.Entry) ([]byte, error) {
	// The size in the header is not trusted until the content arrived: the
	// buffer grows with what is read, from at most the staging limit.
	buf := bytes.NewBuffer(make([]byte, 0, min(max(e.Size, 0), stagedBlobMax)))
	_, err := io.Copy(buf, ar)
	if ok, err := d.verified(e, err); !ok {
		return nil, err
	}
	return buf.Bytes(), nil
}

// verified reads the outcome of reading entry e to its end: a digest
// mismatch rejects the entry (the medium goes on) and is no error; ok is
// whether the content arrived whole and proven.
func (d *deserializer) verified(e *archive.Entry, err error) (ok bool, _ error) {
	if errors.Is(err, archive.ErrDigestMismatch) {
		d.reject(e)
		return false, nil
	}
	return err == nil, err
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
		sent, err := pushMissing(d.egCtx, d.dst, desc, bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("pushing %s to %s: %w", desc.Digest, d.dst, err)
		}
		d.setPresent(desc, e, sent)
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

// errMediumRead is what an upload streamed from the medium sees when the
// medium fails under it: no retry rule matches it, since a cut medium has
// nothing more to give (the spool's writer keeps the real cause).
var errMediumRead = errors.New("reading the medium failed")
