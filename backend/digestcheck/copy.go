package digestcheck

import (
	"io"
	"sync"
)

// Copy sizes: content smaller than pipelineMin is hashed in line; larger
// content passes through pipelineBuffers buffers of pipelineBuffer bytes.
const (
	pipelineMin     = 1 << 20
	pipelineBuffer  = 256 << 10
	pipelineBuffers = 4
)

var pipelineBufs = sync.Pool{New: func() any { b := make([]byte, pipelineBuffer); return &b }}

// Copy copies src to dst and hashes what passes into v. Large content is
// hashed on a goroutine of its own while the next buffer is read and
// written, so that a caller that also hashes what it writes (the archive
// writer's stream digest) spends one core on each hash, not one on both.
// size is how much is expected (it only chooses the way). Check v after.
func (v *Verifier) Copy(dst io.Writer, src io.Reader, size int64) (int64, error) {
	if size < pipelineMin {
		return io.Copy(io.MultiWriter(dst, v), src)
	}
	free := make(chan *[]byte, pipelineBuffers)
	for range pipelineBuffers {
		free <- pipelineBufs.Get().(*[]byte)
	}
	type chunk struct {
		b *[]byte
		n int
	}
	work := make(chan chunk, pipelineBuffers)
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for c := range work {
			v.Write((*c.b)[:c.n])
			free <- c.b
		}
	}()
	var n int64
	var err error
	for {
		b := <-free
		k, rerr := src.Read(*b)
		if k > 0 {
			if _, werr := dst.Write((*b)[:k]); werr != nil {
				free <- b
				err = werr
				break
			}
			n += int64(k)
			work <- chunk{b, k}
		} else {
			free <- b
		}
		if rerr != nil {
			if rerr != io.EOF {
				err = rerr
			}
			break
		}
	}
	close(work)
	<-hashed
	for range pipelineBuffers {
		pipelineBufs.Put(<-free)
	}
	return n, err
}
