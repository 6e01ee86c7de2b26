package mirror

import (
	"context"
	"io"
	"sync"

	"golang.org/x/sync/semaphore"
)

// spoolChunk is the unit a spool holds and charges to its budget.
const spoolChunk = 256 << 10

var spoolChunks = sync.Pool{New: func() any { b := make([]byte, spoolChunk); return &b }}

// spool carries one blob from the medium to its upload: the medium's reader
// fills it chunk by chunk as far as the shared budget allows and the upload
// drains it, so reading goes on to the next entries while earlier blobs are
// still being sent, with a bounded amount of memory in flight.
//
// The upload sees the end of the blob only once the medium's reader has
// closed the spool: a blob whose content proves wrong at its last byte
// ends in an error, never in a complete upload.
type spool struct {
	ctx    context.Context
	budget *semaphore.Weighted

	mu        sync.Mutex
	chunks    []*[]byte
	lens      []int
	off       int           // read offset in chunks[0]
	wake      chan struct{} // a chunk arrived or the writer closed
	closed    chan struct{} // the writer closed
	err       error         // the writer's error, after closed
	abandoned bool          // the upload stopped reading
}

func newSpool(ctx context.Context, budget *semaphore.Weighted) *spool {
	return &spool{ctx: ctx, budget: budget, wake: make(chan struct{}, 1), closed: make(chan struct{})}
}

// fill reads r to its end into the spool; it returns r's error, or the
// context's while it waits for budget.
func (s *spool) fill(r io.Reader) error {
	for {
		if err := s.budget.Acquire(s.ctx, spoolChunk); err != nil {
			return err
		}
		b := spoolChunks.Get().(*[]byte)
		n, err := readChunk(r, *b)
		s.put(b, n)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readChunk fills b from r; a full chunk returns no error.
func readChunk(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := r.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (s *spool) put(b *[]byte, n int) {
	s.mu.Lock()
	if n == 0 || s.abandoned {
		s.mu.Unlock()
		s.free(b)
		return
	}
	s.chunks = append(s.chunks, b)
	s.lens = append(s.lens, n)
	s.mu.Unlock()
	s.signal()
}

func (s *spool) free(b *[]byte) {
	spoolChunks.Put(b)
	s.budget.Release(spoolChunk)
}

func (s *spool) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// closeWrite ends the blob; err is why reading it failed (nil: it is whole).
func (s *spool) closeWrite(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
	close(s.closed)
	s.signal()
}

// Read gives the blob; when the medium's reader failed it gives
// errMediumRead, which no retry rule matches (the cause is the writer's).
func (s *spool) Read(p []byte) (int, error) {
	for {
		s.mu.Lock()
		if len(s.chunks) > 0 {
			b := s.chunks[0]
			n := copy(p, (*b)[s.off:s.lens[0]])
			s.off += n
			if s.off == s.lens[0] {
				s.chunks, s.lens, s.off = s.chunks[1:], s.lens[1:], 0
				s.mu.Unlock()
				s.free(b)
			} else {
				s.mu.Unlock()
			}
			return n, nil
		}
		select {
		case <-s.closed:
			err := s.err
			s.mu.Unlock()
			if err != nil {
				return 0, errMediumRead
			}
			return 0, io.EOF
		default:
		}
		s.mu.Unlock()
		<-s.wake
	}
}

// abandon frees what the upload left unread; later chunks are dropped as
// they arrive. It then waits for the writer, so the caller knows whether
// the medium failed (writerErr).
func (s *spool) abandon() {
	s.mu.Lock()
	s.abandoned = true
	chunks := s.chunks
	s.chunks, s.lens = nil, nil
	s.mu.Unlock()
	for _, b := range chunks {
		s.free(b)
	}
	<-s.closed
}

// writerErr is the error the writer closed with (after abandon).
func (s *spool) writerErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
