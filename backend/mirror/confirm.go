package mirror

import (
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/archive"
)

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
