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
	progress   progress.Func
}

// WithBlockSize sets the size of every write to the device (default 1 MiB).
func WithBlockSize(n int) BlockOption { return func(c *blockConfig) { c.blockSize = n } }

// WithBufferSize sets the ring buffer size, rounded down to whole blocks
// (default 1 GiB). It bounds the writer's memory.
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

// WithProgress reports a "write" event (confirmed bytes and buffer fill)
// after each device write.
func WithProgress(f progress.Func) BlockOption { return func(c *blockConfig) { c.progress = f } }

// BlockWriter buffers a stream in a ring buffer and writes it to a device,
// from its own goroutine, in writes of exactly the block size (the last one
// may be shorter, or padded). The producer only waits when the buffer is
// full. A device error is returned by the producer's next Write, Flush or
// Close, and Confirmed keeps what the device accepted before it. Write is
// not safe for concurrent use; Fill and Confirmed are.
type BlockWriter struct {
	dst       io.Writer
	buf       []byte
	blockSize int64
	hwmBytes  int64
	pad       bool
	confirm   func(int64)
	progress  progress.Func

	produce sync.Mutex // serializes Write, Flush and Close

	mu        sync.Mutex
	cond      *sync.Cond
	head      int64 // bytes taken from the buffer by the drain
	tail      int64 // bytes put into the buffer by Write
	flushTo   int64 // drain whole blocks below this regardless of the mark
	confirmed int64
	closing   bool
	err       error

	done       chan struct{}
	stopCancel func() bool
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
	size := int64(c.bufferSize / c.blockSize * c.blockSize)
	hwm := max(size*int64(c.hwm)/100, int64(c.blockSize))
	b := &BlockWriter{
		dst:       dst,
		buf:       make([]byte, size),
		blockSize: int64(c.blockSize),
		hwmBytes:  hwm,
		pad:       c.pad,
		confirm:   c.confirm,
		progress:  progress.Or(c.progress),
		done:      make(chan struct{}),
	}
	b.cond = sync.NewCond(&b.mu)
	b.stopCancel = context.AfterFunc(ctx, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.err == nil {
			b.err = fmt.Errorf("writing to medium cancelled (%d bytes confirmed): %w", b.confirmed, context.Cause(ctx))
		}
		b.cond.Broadcast()
	})
	go b.drain()
	return b, nil
}

// Write copies p into the buffer, waiting only while the buffer is full.
func (b *BlockWriter) Write(p []byte) (int, error) {
	b.produce.Lock()
	defer b.produce.Unlock()
	size := int64(len(b.buf))
	written := 0
	for len(p) > 0 {
		b.mu.Lock()
		for b.err == nil && !b.closing && b.tail-b.head == size {
			b.cond.Wait()
		}
		if err := b.stateErr(); err != nil {
			b.mu.Unlock()
			return written, err
		}
		off := b.tail % size
		n := min(size-(b.tail-b.head), size-off, int64(len(p)))
		b.mu.Unlock()

		// The region [tail, tail+n) is free: the drain never reads it.
		copy(b.buf[off:off+n], p[:n])

		b.mu.Lock()
		b.tail += n
		b.cond.Broadcast()
		b.mu.Unlock()
		p = p[n:]
		written += int(n)
	}
	return written, nil
}

// Flush writes every whole block buffered so far, ignoring the high water
// mark, and waits until the device accepted them. A partial last block stays
// buffered until more data or Close.
func (b *BlockWriter) Flush() error {
	b.produce.Lock()
	defer b.produce.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	target := b.tail
	b.flushTo = target
	b.cond.Broadcast()
	for b.err == nil && target-b.head >= b.blockSize {
		b.cond.Wait()
	}
	return b.stateErr()
}

// Close writes what is left (the final block may be short, or padded) and
// waits for the drain to finish. It returns the first device or context
// error. It does not close the device.
func (b *BlockWriter) Close() error {
	b.produce.Lock()
	defer b.produce.Unlock()
	b.mu.Lock()
	b.closing = true
	b.cond.Broadcast()
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
	return float64(b.tail-b.head) / float64(len(b.buf))
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
	size := int64(len(b.buf))
	draining := false
	for {
		b.mu.Lock()
		var n int64
		for {
			if b.err != nil {
				b.mu.Unlock()
				return
			}
			buffered := b.tail - b.head
			if buffered >= b.blockSize &&
				(draining || buffered >= b.hwmBytes || b.closing || b.flushTo-b.head >= b.blockSize) {
				n = b.blockSize
				break
			}
			if b.closing {
				n = buffered // the final, partial block
				break
			}
			draining = false
			b.cond.Wait()
		}
		if n == 0 {
			b.mu.Unlock()
			return
		}
		draining = true
		off := b.head % size
		b.mu.Unlock()

		// Blocks start at multiples of the block size, and the buffer is
		// whole blocks, so a block never wraps around.
		block := b.buf[off : off+n]
		if n < b.blockSize && b.pad {
			clear(b.buf[off+n : off+b.blockSize])
			block = b.buf[off : off+b.blockSize]
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
			b.cond.Broadcast()
			b.mu.Unlock()
			return
		}
		b.head += n
		b.confirmed += n
		confirmed, fill := b.confirmed, b.fillLocked()
		b.cond.Broadcast()
		b.mu.Unlock()

		if b.confirm != nil {
			b.confirm(confirmed)
		}
		b.progress(progress.Event{Phase: "write", BytesDone: confirmed, BufferFill: fill})
		if n < b.blockSize {
			return // the final block
		}
	}
}
