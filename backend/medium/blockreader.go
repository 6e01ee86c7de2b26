package medium

import (
	"errors"
	"fmt"
	"io"
	"syscall"
)

// DefaultMaxBlockSize bounds how far a BlockReader grows its buffer.
const DefaultMaxBlockSize = 64 << 20

// BlockReaderOption configures a BlockReader.
type BlockReaderOption func(*BlockReader)

// WithReadBlockSize sets the size of each read from the device (default
// 1 MiB). For a fixed-block device, use its block size and the same maximum.
func WithReadBlockSize(n int) BlockReaderOption {
	return func(r *BlockReader) { r.size = n }
}

// WithMaxBlockSize sets the largest read the BlockReader grows to when the
// device reports a block larger than the read (default 64 MiB).
func WithMaxBlockSize(n int) BlockReaderOption {
	return func(r *BlockReader) { r.max = n }
}

// WithReposition sets a function called before a read is retried with a
// larger buffer. Devices that move past a block they could not return (the
// Linux st driver does) need it to step back one block.
func WithReposition(f func() error) BlockReaderOption {
	return func(r *BlockReader) { r.reposition = f }
}

// BlockReader reads a device one block per read call and presents the
// blocks as a plain stream. A variable-block tape returns one block per
// read and fails with ENOMEM (or EINVAL) when the block is larger than the
// read; the BlockReader then doubles its buffer and retries, up to the
// maximum. A read of zero bytes (a tape filemark) ends the stream.
type BlockReader struct {
	src        io.Reader
	size, max  int
	reposition func() error
	buf        []byte
	unread     []byte
	err        error
}

// NewBlockReader returns a BlockReader over src.
func NewBlockReader(src io.Reader, opts ...BlockReaderOption) (*BlockReader, error) {
	r := &BlockReader{src: src, size: DefaultBlockSize, max: DefaultMaxBlockSize}
	for _, o := range opts {
		o(r)
	}
	if r.size <= 0 {
		return nil, fmt.Errorf("block size %d: must be positive", r.size)
	}
	r.max = max(r.max, r.size)
	r.buf = make([]byte, r.size)
	return r, nil
}

// BlockSize reports the current read size, grown if the device needed it.
func (r *BlockReader) BlockSize() int { return r.size }

// Read returns data from the current block, reading the next block when it
// is used up.
func (r *BlockReader) Read(p []byte) (int, error) {
	for len(r.unread) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.readBlock()
	}
	n := copy(p, r.unread)
	r.unread = r.unread[n:]
	return n, nil
}

func (r *BlockReader) readBlock() {
	for {
		n, err := r.src.Read(r.buf[:r.size])
		r.unread = r.buf[:n]
		switch {
		case n > 0:
			r.err = err // reported once the block is consumed
			return
		case err == nil:
			r.err = io.EOF // a filemark
			return
		case errors.Is(err, syscall.ENOMEM) || errors.Is(err, syscall.EINVAL):
			if r.size >= r.max {
				r.err = fmt.Errorf("device block is larger than %d bytes: %w", r.max, err)
				return
			}
			r.size = min(2*r.size, r.max)
			r.buf = make([]byte, r.size)
			if r.reposition != nil {
				if perr := r.reposition(); perr != nil {
					r.err = fmt.Errorf("repositioning after a %w read: %w", err, perr)
					return
				}
			}
		default:
			r.err = err
			return
		}
	}
}
