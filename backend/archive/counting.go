package archive

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
)

func newStreamHash() hash.Hash { return sha256.New() }

// emptySHA256 is the digest of no bytes at all.
var emptySHA256 = hex.EncodeToString(sha256.New().Sum(nil))

// countingReader counts the uncompressed bytes read and, when hashing, can
// take the stream digest at a chosen offset (the start of the next header).
type countingReader struct {
	r    io.Reader
	n    int64
	hash hash.Hash

	mark    int64  // offset at which to take markSum; -1 when none pending
	markSum string // hex sha256 of the bytes before mark

	sawData bool  // a non-zero byte was read since the last mark
	lastErr error // the last error of the underlying reader

	// zeroFrom..zeroTo must hold zeros (an entry's tar padding); nonZero
	// is set when a byte there was not.
	zeroFrom, zeroTo int64
	nonZero          bool
	// hdr holds the first hdrN bytes of the block at hdrAt, the header
	// being read, so it can be compared with the one Ferry writes.
	hdrAt int64
	hdr   [blockSize]byte
	hdrN  int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.lastErr = err
	if !c.sawData && !isZero(p[:n]) {
		c.sawData = true
	}
	if lo, hi := max(c.zeroFrom, c.n), min(c.zeroTo, c.n+int64(n)); lo < hi && !isZero(p[lo-c.n:hi-c.n]) {
		c.nonZero = true
	}
	if lo, hi := max(c.hdrAt, c.n), min(c.hdrAt+blockSize, c.n+int64(n)); lo < hi && lo == c.hdrAt+int64(c.hdrN) {
		c.hdrN += copy(c.hdr[c.hdrN:], p[lo-c.n:hi-c.n])
	}
	if c.hash != nil && n > 0 {
		if c.mark > c.n && c.mark <= c.n+int64(n) {
			cut := c.mark - c.n
			c.hash.Write(p[:cut])
			c.markSum = hex.EncodeToString(c.hash.Sum(nil))
			c.hash.Write(p[cut:n])
			c.mark = -1
		} else {
			c.hash.Write(p[:n])
		}
	}
	c.n += int64(n)
	return n, err
}

// markAt notes the start of a header at off: from there it watches for
// non-zero bytes and, when hashing, takes the stream digest at off.
func (c *countingReader) markAt(off int64) {
	c.sawData = false
	if c.hash == nil {
		return
	}
	c.markSum, c.mark = "", off
	if off < c.n {
		// The first header of an appended archive, already read to find it.
		c.markSum, c.mark = emptySHA256, -1
		return
	}
	if off == c.n {
		c.markSum, c.mark = hex.EncodeToString(c.hash.Sum(nil)), -1
	}
}

// watchZeros makes the reader check that the bytes from..to are zeros.
func (c *countingReader) watchZeros(from, to int64) {
	c.zeroFrom, c.zeroTo, c.nonZero = from, to, false
}

// captureHeader starts keeping the block at off; a block already read
// (the first of an appended archive) is given as first.
func (c *countingReader) captureHeader(off int64, first []byte) {
	c.hdrAt = off
	c.hdrN = copy(c.hdr[:], first)
}

// header returns the captured block at off, or nil when it was not read whole.
func (c *countingReader) header(off int64) []byte {
	if c.hdrAt != off || c.hdrN != blockSize {
		return nil
	}
	return c.hdr[:]
}

// restartHash begins a new archive's digest with the block already read.
func (c *countingReader) restartHash(first []byte) {
	if c.hash != nil {
		c.hash.Reset()
		c.hash.Write(first)
	}
}
