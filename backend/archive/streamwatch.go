package archive

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"

	"ferry/backend/progress"
)

func newStreamHash() hash.Hash { return sha256.New() }

// emptySHA256 is the digest of no bytes at all.
var emptySHA256 = hex.EncodeToString(sha256.New().Sum(nil))

// streamWatch watches the uncompressed stream as archive/tar reads it:
// it counts the bytes (with progress.CountingReader) and, when hashing, can
// take the stream digest at a chosen offset (the start of the next header);
// it checks padding for zeros and keeps the header block being read.
type streamWatch struct {
	src  progress.CountingReader
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

// offset is how many bytes were read.
func (c *streamWatch) offset() int64 { return c.src.N() }

func (c *streamWatch) Read(p []byte) (int, error) {
	at := c.src.N() // the offset of p[0]
	n, err := c.src.Read(p)
	c.lastErr = err
	if !c.sawData && !isZero(p[:n]) {
		c.sawData = true
	}
	if lo, hi := max(c.zeroFrom, at), min(c.zeroTo, at+int64(n)); lo < hi && !isZero(p[lo-at:hi-at]) {
		c.nonZero = true
	}
	if lo, hi := max(c.hdrAt, at), min(c.hdrAt+blockSize, at+int64(n)); lo < hi && lo == c.hdrAt+int64(c.hdrN) {
		c.hdrN += copy(c.hdr[c.hdrN:], p[lo-at:hi-at])
	}
	if c.hash != nil && n > 0 {
		if c.mark > at && c.mark <= at+int64(n) {
			cut := c.mark - at
			c.hash.Write(p[:cut])
			c.markSum = hex.EncodeToString(c.hash.Sum(nil))
			c.hash.Write(p[cut:n])
			c.mark = -1
		} else {
			c.hash.Write(p[:n])
		}
	}
	return n, err
}

// markAt notes the start of a header at off: from there it watches for
// non-zero bytes and, when hashing, takes the stream digest at off.
func (c *streamWatch) markAt(off int64) {
	c.sawData = false
	if c.hash == nil {
		return
	}
	c.markSum, c.mark = "", off
	if off < c.offset() {
		// The first header of an appended archive, already read to find it.
		c.markSum, c.mark = emptySHA256, -1
		return
	}
	if off == c.offset() {
		c.markSum, c.mark = hex.EncodeToString(c.hash.Sum(nil)), -1
	}
}

// watchZeros makes the reader check that the bytes from..to are zeros.
func (c *streamWatch) watchZeros(from, to int64) {
	c.zeroFrom, c.zeroTo, c.nonZero = from, to, false
}

// captureHeader starts keeping the block at off; a block already read
// (the first of an appended archive) is given as first.
func (c *streamWatch) captureHeader(off int64, first []byte) {
	c.hdrAt = off
	c.hdrN = copy(c.hdr[:], first)
}

// header returns the captured block at off, or nil when it was not read whole.
func (c *streamWatch) header(off int64) []byte {
	if c.hdrAt != off || c.hdrN != blockSize {
		return nil
	}
	return c.hdr[:]
}

// restartHash begins a new archive's digest with the block already read.
func (c *streamWatch) restartHash(first []byte) {
	if c.hash != nil {
		c.hash.Reset()
		c.hash.Write(first)
	}
}
