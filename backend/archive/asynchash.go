package archive

import (
	"crypto/sha256"
	"encoding"
	"hash"
	"sync"
)

// asyncHash is the stream digest's sha256, computed beside the writer:
// Write queues a copy of what is written (a memory copy costs a small part
// of a hash) and returns, and a goroutine, started when there is work and
// gone when there is none, hashes the queue in order. So the writer's
// goroutine goes on reading and writing while the stream is hashed, as each
// blob is (digestcheck.Verifier.Copy). Sum and State wait for the queue.
type asyncHash struct {
	h hash.Hash

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []*[]byte // copies not hashed yet, in order
	running bool      // the hashing goroutine is at work
}

const (
	asyncHashChunk = 256 << 10
	asyncHashQueue = 8 // chunks queued at most: the memory it holds
)

var asyncHashChunks = sync.Pool{New: func() any { b := make([]byte, 0, asyncHashChunk); return &b }}

func newAsyncHash() *asyncHash {
	a := &asyncHash{h: sha256.New()}
	a.cond = sync.NewCond(&a.mu)
	return a
}

// Write queues a copy of p to be hashed.
func (a *asyncHash) Write(p []byte) (int, error) {
	n := len(p)
	a.mu.Lock()
	defer a.mu.Unlock()
	for len(p) > 0 {
		// The last chunk queued is not being hashed yet: small writes
		// (tar headers) fill it.
		if k := len(a.queue); k > 0 && len(*a.queue[k-1]) < asyncHashChunk {
			tail := a.queue[k-1]
			room := min(len(p), asyncHashChunk-len(*tail))
			*tail = append(*tail, p[:room]...)
			p = p[room:]
			continue
		}
		for len(a.queue) >= asyncHashQueue {
			a.cond.Wait()
		}
		b := asyncHashChunks.Get().(*[]byte)
		k := min(len(p), asyncHashChunk)
		*b = append((*b)[:0], p[:k]...)
		p = p[k:]
		a.queue = append(a.queue, b)
		if !a.running {
			a.running = true
			go a.drain()
		}
	}
	return n, nil
}

func (a *asyncHash) drain() {
	for {
		a.mu.Lock()
		if len(a.queue) == 0 {
			a.running = false
			a.cond.Broadcast()
			a.mu.Unlock()
			return
		}
		b := a.queue[0]
		a.queue = a.queue[1:]
		a.cond.Broadcast()
		a.mu.Unlock()
		a.h.Write(*b)
		asyncHashChunks.Put(b)
	}
}

// wait returns once everything written is hashed.
func (a *asyncHash) wait() {
	a.mu.Lock()
	for a.running {
		a.cond.Wait()
	}
	a.mu.Unlock()
}

// Sum is the digest of everything written so far.
func (a *asyncHash) Sum() []byte {
	a.wait()
	return a.h.Sum(nil)
}

// State is the hash's state after everything written so far (see Mark).
func (a *asyncHash) State() ([]byte, error) {
	a.wait()
	return a.h.(encoding.BinaryMarshaler).MarshalBinary()
}
