package medium

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"ferry/backend/progress"
)

// Defaults of a BlockWriter.
const (
	DefaultBlockSize     = 1 << 20 // 1 MiB, the usual tape block
	DefaultBufferSize    = 1 << 30 // 1 GiB
	DefaultHighWaterMark = 75      // percent
)

// ErrClosed is returned by writes to a closed BlockWriter.
var ErrClosed = errors.New("medium: write to a closed block writer")

// BlockOption configures a BlockWriter.
type BlockOption func(*blockConfig)

type blockConfig struct {
	blockSize  int
	bufferSize int
	hwm        int
	pad        bool
	confirm    func(int64)
	underrun   func()
	progress   progress.Func
}

// WithBlockSize sets the size of every write to the device (default 1 MiB).
func WithBlockSize(n int) BlockOption { return func(c *blockConfig) { c.blockSize = n } }

// WithBufferSize sets the buffer size, rounded down to whole chunks of
// blocks (default 1 GiB). It bounds the writer's memory, which is
// allocated only as the stream needs it.
func WithBufferSize(n int) BlockOption { return func(c *blockConfig) { c.bufferSize = n } }

// WithHighWaterMark sets how full, in percent, the buffer must be before
// draining starts; once started, draining goes on until less than a block is
// left, as mbuffer does, so a tape streams in long runs (default 75).
func WithHighWaterMark(percent int) BlockOption { return func(c *blockConfig) { c.hwm = percent } }

// WithPadFinalBlock zero-pads the last, partial block to the block size, for
// devices that accept only whole blocks.
func WithPadFinalBlock() BlockOption { return func(c *blockConfig) { c.pad = true } }

// WithConfirm calls f, from the drain goroutine, with the number of bytes
// given to Write that are on the device, each time a device write returns
// successfully. Padding is not counted. f must be quick.
func WithConfirm(f func(confirmed int64)) BlockOption {
	return func(c *blockConfig) { c.confirm = f }
}

// WithUnderrun calls f, from the drain goroutine, each time the buffer runs
// out of whole blocks while the stream goes on: a tape drive then stops and
// repositions before the next burst. f must be quick.
func WithUnderrun(f func()) BlockOption { return func(c *blockConfig) { c.underrun = f } }

// WithProgress reports a "write" event (confirmed bytes and buffer fill)
// after each device write.
func WithProgress(f progress.Func) BlockOption { return func(c *blockConfig) { c.progress = f } }

// maxRead bounds one read by ReadFrom: large enough that a fast source
// hands the drain several blocks per wake-up, small enough that a slow
// device gets to work early.
const maxRead = 4 << 20

// chunkTarget is the size of the buffer's chunks (rounded to whole blocks).
const chunkTarget = 4 << 20

// BlockWriter buffers a stream in RAM and writes it to a device, from its
// own goroutine, in writes of exactly the block size (the last one may be
// shorter, or padded). The producer only waits when the buffer is full. A
// device error is returned by the producer's next Write, ReadFrom or Close,
// and Confirmed keeps what the device accepted before it. Write is not safe
// for concurrent use; Fill and Confirmed are.
//
// The buffer is a queue of chunks of whole blocks rather than one ring.
// Chunks are allocated only when the stream needs them, and the chunk the
// device finished last is the next one filled: when the device keeps up,
// the stream cycles through two chunks that stay in the CPU cache, and the
// writer's memory stays small. The drain writes every whole block as soon
// as it is in, even from the chunk being filled.
type BlockWriter struct {
	dst       io.Writer
	blockSize int64
	chunkSize int64 // a whole number of blocks
	capacity  int   // chunks the buffer may hold
	hwmBytes  int64
	pad       bool
	confirm   func(int64)
	underrun  func()
	progress  progress.Func

	produce sync.Mutex // serializes Write, ReadFrom and Close

	mu sync.Mutex
	// room wakes the producer as the device frees chunks; work wakes the
	// drain, only once it has something to do, so a drain waiting for the
	// high water mark sleeps until the mark is reached.
	room      *sync.Cond
	work      *sync.Cond
	queue     []*chunk // chunks holding bytes for the device, oldest first; the last is being filled
	spare     []*chunk // chunks the device is done with, reused last in, first out
	allocated int
	head      int64 // bytes taken by the drain
	tail      int64 // bytes put in by the producer
	confirmed int64
	draining  bool
	starved   bool // the producer waits for room
	closing   bool
	finished  bool // the drain wrote everything: a late cancel changes nothing
	err       error

	done       chan struct{}
	stopCancel func() bool
}

// chunk is a piece of the buffer. The producer fills buf[filled:] without
// the lock; the drain writes buf[drained:filled] out; both counters are
// guarded by BlockWriter.mu.
type chunk struct {
	buf     []byte
	filled  int64
	drained int64
}

// NewBlockWriter starts a BlockWriter draining to dst. Cancelling ctx makes
// pending and later writes fail; the drain stops after the device write in
// progress. Close must be called in every case.
func NewBlockWriter(ctx context.Context, dst io.Writer, opts ...BlockOption) (*BlockWriter, error) {
	c := blockConfig{blockSize: DefaultBlockSize, bufferSize: DefaultBufferSize, hwm: DefaultHighWaterMark}
	for _, o := range opts {
		o(&c)
	}
	switch {
	case c.blockSize <= 0:
		return nil, fmt.Errorf("block size %d: must be positive", c.blockSize)
	case c.bufferSize < c.blockSize:
		return nil, fmt.Errorf("buffer size %d: must hold at least one block of %d bytes", c.bufferSize, c.blockSize)
	case c.hwm < 0 || c.hwm > 100:
		return nil, fmt.Errorf("high water mark %d%%: must be between 0 and 100", c.hwm)
	}
	blocks := c.bufferSize / c.blockSize
	// At least four chunks, so the producer fills one while the device
	// writes the others.
	perChunk := max(1, min(chunkTarget/c.blockSize, blocks/4))
	chunkSize := int64(perChunk) * int64(c.blockSize)
	capacity := blocks / perChunk
	size := int64(capacity) * chunkSize
	b := &BlockWriter{
		dst:       dst,
		blockSize: int64(c.blockSize),
		chunkSize: chunkSize,
		capacity:  capacity,
		hwmBytes:  max(size*int64(c.hwm)/100, int64(c.blockSize)),
		pad:       c.pad,
		confirm:   c.confirm,
		underrun:  c.underrun,
		progress:  progress.Or(c.progress),
		done:      make(chan struct{}),
	}
	b.room = sync.NewCond(&b.mu)
	b.work = sync.NewCond(&b.mu)
	b.stopCancel = context.AfterFunc(ctx, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.err == nil && !b.finished {
			b.err = fmt.Errorf("writing to medium cancelled (%d bytes confirmed): %w", b.confirmed, context.Cause(ctx))
		}
		b.room.Broadcast()
		b.work.Signal()
	})
	go b.drain()
	return b, nil
}

// Write copies p into the buffer, waiting only while the buffer is full.
func (b *BlockWriter) Write(p []byte) (int, error) {
	b.produce.Lock()
	defer b.produce.Unlock()
	written := 0
	for len(p) > 0 {
		free, err := b.free(int64(len(p)))
		if err != nil {
			return written, err
		}
		n := copy(free, p)
		b.filled(n)
		p = p[n:]
		written += n
	}
	return written, nil
}

// ReadFrom reads r until EOF straight into the buffer, sparing the copy
// through a caller's buffer that Write costs; io.Copy uses it.
func (b *BlockWriter) ReadFrom(r io.Reader) (int64, error) {
	b.produce.Lock()
	defer b.produce.Unlock()
	var total int64
	for {
		free, err := b.free(maxRead)
		if err != nil {
			return total, err
		}
		n, err := r.Read(free)
		if n < 0 || n > len(free) {
			return total, fmt.Errorf("reader returned %d bytes for a %d-byte read", n, len(free))
		}
		b.filled(n)
		total += int64(n)
		switch {
		case err == io.EOF:
			return total, nil
		case err != nil:
			return total, err
		}
	}
}

// free returns up to limit bytes of room at the end of the buffer, in one
// piece, waiting while the buffer is full. The drain never reads there, so
// the producer fills it without the lock.
func (b *BlockWriter) free(limit int64) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.stateErr(); err != nil {
		return nil, err
	}
	cur := b.current()
	if cur == nil || cur.filled == b.chunkSize {
		for b.err == nil && !b.closing && len(b.spare) == 0 && b.allocated == b.capacity {
			// A chunk the drain began before the mark was reached is not
			// free until it is written out, so the buffer can be full below
			// the mark: a waiting producer starts the drain.
			b.starved = true
			b.work.Signal()
			b.room.Wait()
		}
		b.starved = false
		if err := b.stateErr(); err != nil {
			return nil, err
		}
		if n := len(b.spare); n > 0 {
			cur = b.spare[n-1]
			b.spare = b.spare[:n-1]
			cur.filled, cur.drained = 0, 0
		} else {
			// Fresh memory, allocated without the lock (the drain never
			// looks past the queue), its pages mapped at once by prefault.
			b.allocated++
			b.mu.Unlock()
			cur = &chunk{buf: make([]byte, b.chunkSize)}
			prefault(cur.buf)
			b.mu.Lock()
		}
		b.queue = append(b.queue, cur)
	}
	return cur.buf[cur.filled:min(cur.filled+limit, b.chunkSize)], nil
}

// current is the chunk being filled, or nil.
func (b *BlockWriter) current() *chunk {
	if len(b.queue) == 0 {
		return nil
	}
	return b.queue[len(b.queue)-1]
}

// filled publishes n more bytes of the current chunk to the drain.
func (b *BlockWriter) filled(n int) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.current().filled += int64(n)
	b.tail += int64(n)
	if b.drainableLocked() {
		b.work.Signal()
	}
	b.mu.Unlock()
}

// drainableLocked tells whether the drain has a block to write now: it
// starts at the high water mark and, once started, goes on until less than
// a block is left, as mbuffer does, so a tape streams in long runs. At
// Close everything left is written, the final block short or padded. (Only
// the chunk being filled can end in a partial block, so a whole block
// buffered is a whole block at the head of the queue.)
func (b *BlockWriter) drainableLocked() bool {
	buffered := b.tail - b.head
	if b.closing {
		return buffered > 0
	}
	return buffered >= b.blockSize && (b.draining || b.starved || buffered >= b.hwmBytes)
}

// Close writes what is left (the final block may be short, or padded) and
// waits for the drain to finish. It returns the first device or context
// error. It does not close the device.
func (b *BlockWriter) Close() error {
	b.produce.Lock()
	defer b.produce.Unlock()
	b.mu.Lock()
	b.closing = true
	b.work.Signal()
	b.mu.Unlock()
	<-b.done
	b.stopCancel()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// Fill reports how full the buffer is, from 0 to 1.
func (b *BlockWriter) Fill() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fillLocked()
}

// Confirmed reports how many bytes given to Write the device has accepted.
func (b *BlockWriter) Confirmed() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.confirmed
}

func (b *BlockWriter) fillLocked() float64 {
	return float64(b.tail-b.head) / float64(int64(b.capacity)*b.chunkSize)
}

func (b *BlockWriter) stateErr() error {
	if b.err != nil {
		return b.err
	}
	if b.closing {
		return ErrClosed
	}
	return nil
}

// drain runs in its own goroutine and is the only one to write to dst.
func (b *BlockWriter) drain() {
	defer close(b.done)
	for {
		b.mu.Lock()
		if b.draining && !b.drainableLocked() && !b.closing && b.underrun != nil {
			b.mu.Unlock()
			b.underrun()
			b.mu.Lock()
		}
		for b.err == nil && !b.drainableLocked() && !(b.closing && b.tail == b.head) {
			b.draining = false
			b.work.Wait()
		}
		if b.err != nil || b.tail == b.head {
			b.finished = b.err == nil
			b.mu.Unlock()
			return
		}
		b.draining = true
		c := b.queue[0]
		off := c.drained
		n := min(c.filled-off, b.blockSize)
		b.mu.Unlock()

		block := c.buf[off : off+n]
		if n < b.blockSize && b.pad {
			block = c.buf[off : off+b.blockSize] // chunks are whole blocks
			clear(block[n:])
		}
		written, err := b.dst.Write(block)
		if err == nil && written != len(block) {
			err = io.ErrShortWrite
		}

		b.mu.Lock()
		if err != nil {
			if b.err == nil {
				b.err = fmt.Errorf("writing to medium (%d bytes confirmed): %w", b.confirmed, err)
			}
			b.room.Broadcast()
			b.mu.Unlock()
			return
		}
		b.head += n
		b.confirmed += n
		c.drained += n
		if c.drained == b.chunkSize {
			b.queue[0] = nil
			b.queue = b.queue[1:]
			b.spare = append(b.spare, c)
			b.room.Broadcast()
		}
		confirmed, fill := b.confirmed, b.fillLocked()
		b.mu.Unlock()

		if b.confirm != nil {
			b.confirm(confirmed)
		}
		b.progress(progress.Event{Phase: "write", BytesDone: confirmed, BufferFill: fill})
	}
}
