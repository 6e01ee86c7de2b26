package mirror

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"ferry/backend/progress"
)

// CopyStats says what a copy moved.
type CopyStats struct {
	BytesSent    int64 `json:"bytesSent"`    // streamed through Ferry
	BytesMounted int64 `json:"bytesMounted"` // copied within one registry (a cross-repository mount where the registry allows it)
	BytesSkipped int64 `json:"bytesSkipped"` // already at the destination
	Blobs        int   `json:"blobs"`
	Manifests    int   `json:"manifests"`
}

// ImageBytes is the size of what the copy left at the destination, however
// each blob got there: what history shows as an image's size.
func (s CopyStats) ImageBytes() int64 { return s.BytesSent + s.BytesMounted + s.BytesSkipped }

func (s *CopyStats) add(o CopyStats) {
	s.BytesSent += o.BytesSent
	s.BytesMounted += o.BytesMounted
	s.BytesSkipped += o.BytesSkipped
	s.Blobs += o.Blobs
	s.Manifests += o.Manifests
}

// Copier copies graphs between repositories, several blobs at once. One
// Copier serves a whole operation: several images may be copied through it
// at once, and what one of them sent to a registry the others mount.
type Copier struct {
	Concurrency int
	Progress    progress.Func
	Phase       string

	// counters shared by all copies of one operation, so progress is cumulative
	done       atomic.Int64
	total      atomic.Int64
	items      atomic.Int64
	itemsTotal atomic.Int64
	mu         sync.Mutex
	current    string

	places  blobPlaces
	slots   registrySlots
	writing digestLocks
}

// Expect adds to the totals progress is reported against.
func (c *Copier) Expect(bytes int64, items int) {
	c.total.Add(bytes)
	c.itemsTotal.Add(int64(items))
}

// ItemDone counts one finished image.
func (c *Copier) ItemDone(name string) {
	c.items.Add(1)
	c.mu.Lock()
	c.current = name
	c.mu.Unlock()
	c.report("")
}

func (c *Copier) report(msg string) {
	c.mu.Lock()
	cur := c.current
	c.mu.Unlock()
	progress.Or(c.Progress)(progress.Event{Phase: c.Phase, BytesDone: c.done.Load(), BytesTotal: c.total.Load(),
		ItemsDone: int(c.items.Load()), ItemsTotal: int(c.itemsTotal.Load()), Current: cur, Message: msg})
}

// Copy pushes every node of g that dst lacks: blobs first (concurrently),
// then manifests in an order the registry accepts. A digest that the graph
// reaches both as a blob and as a manifest is pushed both ways. Tags are the
// caller's. It ends by proving that dst holds every node of the graph: a
// copy that leaves anything out fails with an *IncompleteCopyError.
// Several Copy calls may run at once; Concurrency bounds the blobs moved at
// once per destination registry across all of them.
func (c *Copier) Copy(ctx context.Context, g *Graph, src, dst Repo) (CopyStats, error) {
	return c.CopyTagged(ctx, g, src, dst, v1.Hash{}, "")
}

// CopyTagged is Copy that also tags the manifest root (a root of g) as tag.
// The root is put under its tag alone, which stores it by digest as well:
// the registry checks its children once, not for a put by digest and again
// for the tag.
func (c *Copier) CopyTagged(ctx context.Context, g *Graph, src, dst Repo, root v1.Hash, tag string) (CopyStats, error) {
	var st CopyStats
	var mu sync.Mutex
	confirmed := newConfirmedSet()
	eg, ectx := errgroup.WithContext(ctx)
	for _, n := range g.Nodes {
		if n.IsManifest() {
			continue
		}
		d := n.Desc
		eg.Go(func() error {
			one, err := c.copyBlob(ectx, src, dst, d, g.BytesOf(d.Digest))
			if err != nil {
				return fmt.Errorf("copy blob %s from %s to %s: %w", d.Digest, src, dst, err)
			}
			confirmed.add(d)
			mu.Lock()
			st.add(one)
			mu.Unlock()
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return st, err
	}
	for _, n := range g.PushOrder() {
		if tag != "" && n.Desc.Digest == root {
			if err := dst.PushManifest(ctx, n.Desc, n.Raw, tag); err != nil {
				return st, fmt.Errorf("tag %s: %w", tag, err)
			}
			confirmed.add(n.Desc)
			st.Manifests++
			continue
		}
		// A manifest that is also a blob of this graph is put without
		// asking: having its bytes as a blob, a registry answers that it has
		// the manifest, which only a put makes true everywhere.
		has := false
		if !g.HasBlob(n.Desc.Digest) {
			var err error
			if has, err = dst.Has(ctx, n.Desc); err != nil {
				return st, err
			}
		}
		if !has {
			unlock := c.writing.lock(dst, n.Desc.Digest)
			err := dst.PushManifest(ctx, n.Desc, n.Raw)
			unlock()
			if err != nil {
				return st, fmt.Errorf("push manifest %s to %s: %w", n.Desc.Digest, dst, err)
			}
		}
		confirmed.add(n.Desc)
		st.Manifests++
	}
	return st, checkComplete(ctx, g, dst, confirmed, c.Concurrency)
}

// copyBlob copies one blob; raw, when set, is its content already at hand
// (the bytes of a manifest also used as a blob), sent without a fetch.
//
// Each digest crosses to a destination registry once per operation: the
// first copy of it sends it (or mounts it from the source, in the same
// registry); the others wait for that one and then mount the blob from the
// repository it reached, sending it themselves only when that copy failed or
// the registry refuses the mount.
func (c *Copier) copyBlob(ctx context.Context, src, dst Repo, d v1.Descriptor, raw []byte) (CopyStats, error) {
	p, first := c.places.claim(dst, d.Digest)
	if first {
		st, err := c.firstCopy(ctx, src, dst, d, raw)
		if err != nil {
			p.settle(nil)
		} else {
			p.settle(dst)
		}
		return st, err
	}
	from, err := p.wait(ctx)
	if err != nil {
		return CopyStats{Blobs: 1}, err
	}
	release, err := c.slots.acquire(ctx, dst, c.Concurrency)
	if err != nil {
		return CopyStats{Blobs: 1}, err
	}
	defer release()
	if from != nil && from.String() == dst.String() {
		return c.skipped(d), nil // the first copy was into this repository
	}
	if from != nil {
		if st, ok, err := c.skipOrMount(ctx, from, dst, d); ok || err != nil {
			return st, err
		}
	}
	return c.send(ctx, src, dst, d, raw)
}

// firstCopy moves a blob that no other copy of this operation has moved to
// dst's registry.
func (c *Copier) firstCopy(ctx context.Context, src, dst Repo, d v1.Descriptor, raw []byte) (CopyStats, error) {
	release, err := c.slots.acquire(ctx, dst, c.Concurrency)
	if err != nil {
		return CopyStats{Blobs: 1}, err
	}
	defer release()
	// The source may not serve a manifest's bytes as a blob: those are sent.
	if raw == nil && registryOf(src) == registryOf(dst) {
		if st, ok, err := c.skipOrMount(ctx, src, dst, d); ok || err != nil {
			return st, err
		}
	}
	return c.send(ctx, src, dst, d, raw)
}

func (c *Copier) skipped(d v1.Descriptor) CopyStats {
	c.done.Add(d.Size)
	c.report("")
	return CopyStats{Blobs: 1, BytesSkipped: d.Size}
}

// skipOrMount counts the blob as skipped when dst has it, else mounts it
// from another repository of dst's registry. It asks first so that a blob
// already there counts as skipped, not mounted; ok is false when neither
// happened (send then asks for itself).
func (c *Copier) skipOrMount(ctx context.Context, from, dst Repo, d v1.Descriptor) (st CopyStats, ok bool, err error) {
	has, err := dst.Has(ctx, d)
	if err != nil {
		return CopyStats{Blobs: 1}, false, err
	}
	if has {
		return c.skipped(d), true, nil
	}
	return c.mount(ctx, from, dst, d)
}

// mount asks dst to take the blob from another repository of its registry;
// ok is false when it cannot or will not.
func (c *Copier) mount(ctx context.Context, from, dst Repo, d v1.Descriptor) (st CopyStats, ok bool, err error) {
	st = CopyStats{Blobs: 1}
	bc, can := dst.(BlobCopier)
	if !can {
		return st, false, nil
	}
	mounted, err := bc.CopyBlobFrom(ctx, from, d)
	if err != nil || !mounted {
		return st, false, err
	}
	st.BytesMounted = d.Size
	c.done.Add(d.Size)
	c.report("")
	return st, true, nil
}

// send streams the blob from src (or raw) to dst unless dst has it: a push
// to a registry asks for the blob itself, and the source is opened at the
// push's first read, so a blob found at the destination is neither fetched
// nor asked for twice, and counts as skipped.
func (c *Copier) send(ctx context.Context, src, dst Repo, d v1.Descriptor, raw []byte) (CopyStats, error) {
	defer c.writing.lock(dst, d.Digest)()
	st := CopyStats{Blobs: 1}
	lr := &lazyReader{open: func() (io.ReadCloser, error) {
		if raw != nil {
			return io.NopCloser(bytes.NewReader(raw)), nil
		}
		return src.Blob(ctx, d)
	}}
	defer lr.Close()
	cr := &progress.CountingReader{R: lr, OnRead: func(k int) { c.done.Add(int64(k)); c.report("") }}
	sent, err := pushMissing(ctx, dst, d, cr)
	if err != nil {
		c.done.Add(-cr.N()) // not delivered: do not count it as sent
		if lr.err != nil {
			return st, lr.err // the source failed: say so, not how the push ended
		}
		return st, err
	}
	if !sent {
		return c.skipped(d), nil
	}
	st.BytesSent = d.Size
	return st, nil
}

// blobPlaces remembers, per destination registry and digest, the first copy
// of the blob there: in flight, or settled with the repository it reached.
type blobPlaces struct {
	mu sync.Mutex
	m  map[placeKey]*place
}

type placeKey struct {
	registry string
	digest   v1.Hash
}

type place struct {
	done chan struct{}
	repo Repo // after done: where the blob is, or nil when that copy failed
}

// claim returns the place of a digest in dst's registry; first is set when
// the caller is the first to ask and must settle it.
func (b *blobPlaces) claim(dst Repo, h v1.Hash) (p *place, first bool) {
	k := placeKey{registryOf(dst), h}
	b.mu.Lock()
	defer b.mu.Unlock()
	if p := b.m[k]; p != nil {
		return p, false
	}
	if b.m == nil {
		b.m = map[placeKey]*place{}
	}
	p = &place{done: make(chan struct{})}
	b.m[k] = p
	return p, true
}

// settle records where the first copy put the blob (nil: it failed).
func (p *place) settle(repo Repo) {
	p.repo = repo
	close(p.done)
}

func (p *place) wait(ctx context.Context) (Repo, error) {
	select {
	case <-p.done:
		return p.repo, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// digestLocks keeps one write of a digest's content into a registry at a
// time: a blob's upload and a put of the same bytes as a manifest (a
// manifest used as a layer by another image of the operation), which
// stores them as a blob too. Distribution 2.8 loses a repository's link to
// a blob when two of its uploads commit at once, and then refuses the
// manifests that need it (MANIFEST_BLOB_UNKNOWN).
type digestLocks struct {
	mu sync.Mutex
	m  map[placeKey]*sync.Mutex
}

// lock waits for the digest's other writes into dst's registry; call the
// function it returns when the write is done.
func (l *digestLocks) lock(dst Repo, h v1.Hash) (unlock func()) {
	k := placeKey{registryOf(dst), h}
	l.mu.Lock()
	if l.m == nil {
		l.m = map[placeKey]*sync.Mutex{}
	}
	m := l.m[k]
	if m == nil {
		m = &sync.Mutex{}
		l.m[k] = m
	}
	l.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// registrySlots bounds the blobs moved at once into each registry.
type registrySlots struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

func (s *registrySlots) acquire(ctx context.Context, dst Repo, n int) (release func(), err error) {
	k := registryOf(dst)
	s.mu.Lock()
	if s.m == nil {
		s.m = map[string]chan struct{}{}
	}
	ch := s.m[k]
	if ch == nil {
		ch = make(chan struct{}, max(n, 1))
		s.m[k] = ch
	}
	s.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// registryOf names the registry a repository is in (a local store is a
// registry of its own).
func registryOf(r Repo) string {
	if rr, ok := r.(interface{ Repository() name.Repository }); ok {
		return rr.Repository().RegistryStr()
	}
	return r.String()
}
