package mirror

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

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

func (s *CopyStats) add(o CopyStats) {
	s.BytesSent += o.BytesSent
	s.BytesMounted += o.BytesMounted
	s.BytesSkipped += o.BytesSkipped
	s.Blobs += o.Blobs
	s.Manifests += o.Manifests
}

// Copier copies graphs between repositories, several blobs at once.
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
func (c *Copier) Copy(ctx context.Context, g *Graph, src, dst Repo) (CopyStats, error) {
	var st CopyStats
	var mu sync.Mutex
	confirmed := newConfirmedSet()
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(max(c.Concurrency, 1))
	for _, n := range g.Nodes {
		if n.IsManifest() {
			continue
		}
		d := n.Desc
		eg.Go(func() error {
			one, err := c.copyBlob(ectx, src, dst, n, g.BytesOf(d.Digest))
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
			if err := dst.PushManifest(ctx, n.Desc, n.Raw); err != nil {
				return st, fmt.Errorf("push manifest %s to %s: %w", n.Desc.Digest, dst, err)
			}
		}
		confirmed.add(n.Desc)
		st.Manifests++
	}
	return st, checkComplete(ctx, g, dst, confirmed, c.Concurrency)
}

// copyBlob copies one blob node; raw, when set, is its content already at
// hand (the bytes of a manifest also used as a blob), sent without a fetch.
func (c *Copier) copyBlob(ctx context.Context, src, dst Repo, n *Node, raw []byte) (CopyStats, error) {
	d := n.Desc
	st := CopyStats{Blobs: 1}
	has, err := dst.Has(ctx, d)
	if err != nil {
		return st, err
	}
	if has {
		st.BytesSkipped = d.Size
		c.done.Add(d.Size)
		c.report("")
		return st, nil
	}
	if bc, ok := dst.(BlobCopier); ok && raw == nil {
		mounted, err := bc.CopyBlobFrom(ctx, src, d)
		if err != nil {
			return st, err
		}
		if mounted {
			st.BytesMounted = d.Size
			c.done.Add(d.Size)
			c.report("")
			return st, nil
		}
	}
	var rc io.ReadCloser = io.NopCloser(bytes.NewReader(raw))
	if raw == nil {
		if rc, err = src.Blob(ctx, d); err != nil {
			return st, err
		}
	}
	defer rc.Close()
	cr := &progress.CountingReader{R: rc, OnRead: func(k int) { c.done.Add(int64(k)); c.report("") }}
	if err := dst.PushBlob(ctx, d, cr); err != nil {
		c.done.Add(-cr.N()) // not delivered: do not count it as sent
		return st, err
	}
	st.BytesSent = d.Size
	return st, nil
}
