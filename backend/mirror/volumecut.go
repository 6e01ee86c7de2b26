package mirror

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/archive"
)

// cutPoint is the end of an entry: a place where a volume can be closed.
type cutPoint struct {
	offset    int64        // stream offset just after the entry
	items     int          // entries of the volume's list complete at offset
	manifests int          // manifests among them
	at        archive.Mark // where the archive writer can close the stream
	prefix    []byte       // the bytes of the block holding offset, before it
	valid     bool
}

// cutWriter sits between a volume's block writer and its device. It
// counts what the device accepted and keeps the last cut point the
// device holds entirely, with the start of its block, so that a volume cut
// by the end of the medium can be closed right after that entry.
type cutWriter struct {
	dev   volumeDevice
	block int64

	mu      sync.Mutex
	written int64 // bytes the device holds
	records int64
	marks   []cutPoint // boundaries beyond written, in order
	cut     cutPoint   // the last boundary within written
}

func (c *cutWriter) Write(p []byte) (int, error) {
	n, err := c.dev.Write(p)
	c.mu.Lock()
	start := c.written
	c.written += int64(n)
	c.records += c.dev.records(n)
	if err == nil && n == len(p) {
		c.advance(start, p)
	}
	c.mu.Unlock()
	return n, err
}

// advance moves the cut point over the marks the block just written
// completes; the caller holds c.mu.
func (c *cutWriter) advance(start int64, blk []byte) {
	end := start + int64(len(blk))
	i := 0
	for i < len(c.marks) && c.marks[i].offset <= end {
		i++
	}
	if i == 0 {
		return
	}
	cp := c.marks[i-1]
	keep := cp.offset / c.block * c.block
	if keep >= start && cp.offset > keep && keep < end {
		cp.prefix = bytes.Clone(blk[keep-start : cp.offset-start])
	}
	cp.valid = true
	c.cut = cp
	c.marks = c.marks[i:]
}

// mark records the end of an entry, as the producer wrote it.
func (c *cutWriter) mark(cp cutPoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cp.offset <= c.written {
		// Only when the entry ended exactly on a block already written.
		if cp.offset%c.block == 0 {
			cp.valid = true
			c.cut = cp
		}
		return
	}
	c.marks = append(c.marks, cp)
}

func (c *cutWriter) state() (cutPoint, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cut, c.records
}

// closeCutVolume closes a volume the end of the medium cut: back to the
// block holding the cut point, then the start of that block again, the
// final index.json and the end-of-archive marker (archive.Trailer). The
// device takes these writes past its limit (setTrailer): a file beyond the
// volume size, a tape in its early-warning zone (tape.WriteNearEnd).
func closeCutVolume(c *cutWriter, cp cutPoint, trailer []byte, pad bool) (int64, error) {
	_, records := c.state()
	keep := cp.offset / c.block * c.block
	if err := c.dev.cutTo(keep, records); err != nil {
		return 0, fmt.Errorf("moving back to the end of the last whole entry: %w", err)
	}
	c.dev.setTrailer()
	data := append(append([]byte(nil), cp.prefix...), trailer...)
	total := keep
	for len(data) > 0 {
		n := min(int64(len(data)), c.block)
		blk := data[:n]
		if n < c.block && pad {
			blk = append(append(make([]byte, 0, c.block), blk...), make([]byte, c.block-n)...)
		}
		w, err := c.dev.Write(blk)
		if err == nil && w != len(blk) {
			err = io.ErrShortWrite
		}
		if err != nil {
			return 0, fmt.Errorf("writing the closing index.json: %w", err)
		}
		total += int64(len(blk))
		data = data[n:]
	}
	return total, nil
}

// manifestReserve estimates the room one manifest takes in a final
// index.json, generously.
func manifestReserve(d v1.Descriptor) int64 {
	b, _ := json.Marshal(d)
	return int64(len(b))*2 + 64
}
