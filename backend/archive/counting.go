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
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.lastErr = err
	if !c.sawData && !isZero(p[:n]) {
		c.sawData = true
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

// restartHash begins a new archive's digest with the block already read.
func (c *countingReader) restartHash(first []byte) {
	if c.hash != nil {
		c.hash.Reset()
		c.hash.Write(first)
	}
}
