package archive

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"

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

	// passOver, set for a plain file, moves the stream on by n bytes
	// without reading them; bytes up to passEnd may be passed over so
	// (the body of an entry that no one reads), and passed counts them.
	passOver func(n int64) error
	passEnd  int64
	passed   int64
}

// offset is how many bytes were read or passed over.
func (c *streamWatch) offset() int64 { return c.src.N() + c.passed }

// seekWatch is the stream watch of a stream that can pass over bytes: it is
// the io.Seeker through which archive/tar discards the rest of an entry it
// was not asked to read, which it seeks over wherever the watch allows it
// (see passUntil) and reads through everywhere else.
type seekWatch struct{ *streamWatch }

var errNoPassing = errors.New("these bytes are read, not passed over")

// Seek moves the stream forward from where it is, up to the end allowed;
// any other seek fails, which makes archive/tar read instead.
func (s seekWatch) Seek(off int64, whence int) (int64, error) {
	c := s.streamWatch
	at := c.offset()
	if whence != io.SeekCurrent || off < 0 || at >= c.passEnd {
		return 0, errNoPassing
	}
	if n := min(off, c.passEnd-at); n > 0 {
		if err := c.passOver(n); err != nil {
			return 0, err
		}
		c.passed += n
	}
	return c.offset(), nil
}

// canPass reports whether the stream can pass over bytes unread.
func (c *streamWatch) canPass() bool { return c.passOver != nil && c.hash == nil }

// passUntil lets the bytes from here to end be passed over; 0 ends that.
func (c *streamWatch) passUntil(end int64) { c.passEnd = end }

// passFile moves a file read through buf on by n bytes unread: what buf
// holds is dropped, and the file seeks past the rest.
func passFile(buf *bufio.Reader, f io.ReadSeeker, n int64) error {
	held := int64(buf.Buffered())
	if n <= held {
		_, err := buf.Discard(int(n))
		return err
	}
	if _, err := f.Seek(n-held, io.SeekCurrent); err != nil {
		return err
	}
	buf.Reset(f)
	return nil
}

func (c *streamWatch) Read(p []byte) (int, error) {
	at := c.offset() // the offset of p[0]
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
