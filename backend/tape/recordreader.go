package tape

import (
	"errors"
	"fmt"
	"io"
	"syscall"
)

const (
	// DefaultInitialRecordSize is the first buffer a RecordReader tries: the
	// block size Ferry and the reference tool write.
	DefaultInitialRecordSize = 1 << 20
	// DefaultMaxRecordSize is the largest record a RecordReader grows to.
	DefaultMaxRecordSize = 16 << 20
)

// RecordReader presents the records of one tape file as a byte stream. It
// reads whole records into a buffer and, when a record is larger than the
// buffer (ENOMEM in variable-block mode), spaces back over the record the
// drive skipped, doubles the buffer and reads it again, so archives written
// with any block size read with the defaults. It stops with io.EOF at the
// filemark that ends the file and stays there; make a new RecordReader to
// read the next file.
type RecordReader struct {
	dev     Device
	buf     []byte
	max     int
	unread  []byte // the rest of the current record
	records int64
	err     error // sticky: io.EOF at the filemark, or the failure
}

// RecordReaderOption adjusts NewRecordReader.
type RecordReaderOption func(*RecordReader)

// WithInitialRecordSize sets the first buffer size (default 1 MiB).
func WithInitialRecordSize(n int) RecordReaderOption {
	return func(r *RecordReader) {
		if n > 0 {
			r.buf = make([]byte, n)
		}
	}
}

// WithMaxRecordSize sets the largest record accepted (default 16 MiB).
func WithMaxRecordSize(n int) RecordReaderOption {
	return func(r *RecordReader) {
		if n > 0 {
			r.max = n
		}
	}
}

// NewRecordReader reads records from dev, which should be in variable-block
// mode (SetBlockSize(0)) for archives written in variable-length records.
func NewRecordReader(dev Device, opts ...RecordReaderOption) *RecordReader {
	r := &RecordReader{dev: dev, max: DefaultMaxRecordSize}
	for _, o := range opts {
		o(r)
	}
	if r.buf == nil {
		r.buf = make([]byte, min(DefaultInitialRecordSize, r.max))
	}
	r.max = max(r.max, len(r.buf))
	return r
}

// Read copies bytes of the current record into p, reading the next record
// when the current one is used up.
func (r *RecordReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(r.unread) == 0 {
		if err := r.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.unread)
	r.unread = r.unread[n:]
	return n, nil
}

// WriteTo writes every remaining record of the file to w, one Write per
// record, so io.Copy moves records without an extra copy.
func (r *RecordReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(r.unread) == 0 {
			if err := r.next(); err != nil {
				if err == io.EOF {
					return total, nil
				}
				return total, err
			}
		}
		n, err := w.Write(r.unread)
		total += int64(n)
		r.unread = r.unread[n:]
		if err != nil {
			return total, err
		}
	}
}

// Records returns how many records have been read so far.
func (r *RecordReader) Records() int64 { return r.records }

// BufferSize returns the current buffer size: at least the largest record seen.
func (r *RecordReader) BufferSize() int { return len(r.buf) }

// next reads one record into buf, growing it on ENOMEM.
func (r *RecordReader) next() error {
	if r.err != nil {
		return r.err
	}
	for {
		n, err := r.dev.Read(r.buf)
		switch {
		case err == nil && n > 0:
			r.unread = r.buf[:n]
			r.records++
			return nil
		case err == nil || errors.Is(err, io.EOF):
			r.err = io.EOF // the filemark (or end of data) ends this file
			return r.err
		case !errors.Is(err, syscall.ENOMEM):
			r.err = fmt.Errorf("read tape record %d: %w", r.records+1, err)
			return r.err
		}
		if len(r.buf) >= r.max {
			r.err = fmt.Errorf("read tape record %d: record larger than %d bytes: %w", r.records+1, r.max, err)
			return r.err
		}
		// The drive has moved past the record it could not deliver.
		if serr := r.dev.SpaceRecords(-1); serr != nil {
			r.err = fmt.Errorf("read tape record %d: step back over a record larger than %d bytes: %w", r.records+1, len(r.buf), serr)
			return r.err
		}
		r.buf = make([]byte, min(2*len(r.buf), r.max))
	}
}
