package mirror

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/semaphore"
)

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
	rc, err := rawBlobOf(ctx, p.repo, d)
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
// The archive writer verifies the digest and size while copying: the
// content is fetched unverified (rawBlobOf), so it is hashed once.
func (p *prefetcher) open(ctx context.Context, i int) (io.Reader, func(), error) {
	it, s := p.items[i], p.slots[i]
	if it.raw != nil {
		return bytes.NewReader(it.raw), func() {}, nil
	}
	if !s.staged {
		rc, err := rawBlobOf(ctx, p.repo, it.desc)
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

// rawBlobOf opens a blob for a reader that verifies it: unverified where
// the repository can (a registry), else as Blob gives it.
func rawBlobOf(ctx context.Context, r Repo, d v1.Descriptor) (io.ReadCloser, error) {
	if rr, ok := r.(interface {
		rawBlob(context.Context, v1.Descriptor) (io.ReadCloser, error)
	}); ok {
		return rr.rawBlob(ctx, d)
	}
	return r.Blob(ctx, d)
}
