package archive

import (
	"archive/tar"
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"ferry/backend/digestcheck"
	"ferry/backend/progress"
)

// Kind classifies an entry of the stream.
type Kind int

// Entry kinds.
const (
	KindOther          Kind = iota // a file that is not part of an OCI layout
	KindLayout                     // oci-layout
	KindIndex                      // index.json (any copy)
	KindBlob                       // blobs/<alg>/<hex>
	KindDirectory                  // any directory entry
	KindDockerManifest             // manifest.json after the final index.json (--manifest-json)
)

func (k Kind) String() string {
	switch k {
	case KindLayout:
		return "layout"
	case KindIndex:
		return "index"
	case KindBlob:
		return "blob"
	case KindDirectory:
		return "directory"
	case KindDockerManifest:
		return "docker manifest"
	default:
		return "other"
	}
}

// Limits on the entries a Reader holds in memory.
const (
	maxLayoutSize = 64 << 10
	maxIndexSize  = 64 << 20
)

const blockSize = 512

// Entry describes one entry of the stream. Its body is read from the Reader.
type Entry struct {
	Name   string            // the entry's name, cleaned of "./" and trailing "/"
	Kind   Kind              // what the entry is
	Size   int64             // body size in bytes
	Digest v1.Hash           // KindBlob: the digest named by the entry
	Index  *v1.IndexManifest // KindIndex: the parsed index.json
	Offset int64             // where its header starts on the uncompressed stream
	Body   int64             // where its body starts (after any extended headers)
	End    int64             // where it ends, tar padding included
	// Archive counts the complete archives before this entry in the same
	// stream (0 unless archives were appended to one another).
	Archive int
	// StreamDigest is, with WithStreamDigest, the hex sha256 of every byte of
	// this archive before the entry's header (compare with the final
	// index.json's vnd.ferry.stream.sha256).
	StreamDigest string
	// Inventory is the Reader's account of every entry met so far; it
	// keeps growing until the stream ends.
	Inventory *Inventory
}

// ReaderOption configures a Reader.
type ReaderOption func(*Reader)

// Strict enforces the reference's --strict order in each archive: oci-layout
// first, index.json second, then only blobs and at most one more index.json
// (directory entries are allowed anywhere); any other file is an error.
func Strict(on bool) ReaderOption { return func(r *Reader) { r.strict = on } }

// WithStreamDigest makes the Reader hash the uncompressed stream so each
// Entry carries StreamDigest. It costs one sha256 over every byte.
func WithStreamDigest() ReaderOption { return func(r *Reader) { r.hashStream = true } }

// Reader reads a serialized stream in one forward pass, never seeking, so it
// works on pipes and tapes. It accepts what the reference and older tools
// write: entries in any order, duplicates, "./" prefixes, directory entries,
// unknown files, a missing end-of-archive marker and archives appended to
// one another. It is not safe for concurrent use.
type Reader struct {
	strict     bool
	hashStream bool

	compression Compression
	decoder     io.Reader
	closeDec    func()
	cr          *streamWatch
	tr          *tar.Reader

	archive      int
	archiveStart int64
	freshArchive bool // the next header is the first of an appended archive
	stage        strictStage
	indexes      int
	complete     bool

	cur  *Entry
	body io.Reader
	blob *BlobRecord // the current blob entry's record
	read bool        // the current entry's body has been read from
	// handedOff: the current entry's check was handed off (HandOff), so
	// its unread body may be passed over, which archive/tar does by
	// seeking when passable (the first archive of a plain file).
	handedOff bool
	passable  bool
	done      bool
	err       error

	inv      *Inventory
	freshHdr []byte // the first block of an appended archive, read to find it
}

type strictStage int

const (
	expectLayout strictStage = iota
	expectIndex
	expectBlobs
	expectEnd // after manifest.json: nothing more in this archive
)

// NewReader detects compression by its magic number (gzip 1f 8b, zstd
// 28 b5 2f fd) and returns a Reader positioned before the first entry.
func NewReader(r io.Reader, opts ...ReaderOption) (*Reader, error) {
	ar := &Reader{complete: true, inv: &Inventory{Archives: []*ArchiveInventory{newArchiveInventory(0, 0)}}}
	for _, o := range opts {
		o(ar)
	}
	src := bufio.NewReaderSize(r, 64<<10)
	magic, err := src.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading archive: %w", err)
	}
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		gz, err := gzip.NewReader(src)
		if err != nil {
			return nil, fmt.Errorf("reading gzip stream: %w", err)
		}
		ar.compression, ar.decoder, ar.closeDec = Gzip, gz, func() { gz.Close() }
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(src)
		if err != nil {
			return nil, fmt.Errorf("reading zstd stream: %w", err)
		}
		ar.compression, ar.decoder, ar.closeDec = Zstd, zr, zr.Close
	default:
		ar.compression, ar.decoder, ar.closeDec = None, src, func() {}
	}
	ar.cr = &streamWatch{src: progress.CountingReader{R: ar.decoder}}
	if ar.hashStream {
		ar.cr.hash = newStreamHash()
	}
	if f, ok := r.(io.ReadSeeker); ok && ar.compression == None && !ar.hashStream {
		if _, err := f.Seek(0, io.SeekCurrent); err == nil { // a pipe cannot
			ar.cr.passOver = func(n int64) error { return passFile(src, f, n) }
		}
	}
	// archive/tar seeks only where the stream watch lets it pass over a
	// body no one reads (HandOff); everywhere else it reads every byte.
	if ar.passable = ar.cr.canPass(); ar.passable {
		ar.tr = tar.NewReader(seekWatch{ar.cr})
	} else {
		ar.tr = tar.NewReader(ar.cr)
	}
	return ar, nil
}

// Compression reports the compression detected.
func (r *Reader) Compression() Compression { return r.compression }

// Complete reports whether every archive read so far ended with its
// end-of-archive marker. It is false for a stream cut at an entry boundary.
func (r *Reader) Complete() bool { return r.complete }

// Inventory returns the account of every entry read so far (see Entry.Inventory).
func (r *Reader) Inventory() *Inventory { return r.inv }

func (r *Reader) archiveInventory() *ArchiveInventory { return r.inv.Archives[len(r.inv.Archives)-1] }

// Offset reports how many uncompressed bytes have been consumed.
func (r *Reader) Offset() int64 { return r.cr.offset() }

// Close releases the decompressor. It does not close the underlying reader.
func (r *Reader) Close() error {
	if r.closeDec != nil {
		r.closeDec()
		r.closeDec = nil
	}
	return nil
}

// Next advances to the next entry, skipping what is left of the current
// one. It returns io.EOF at the clean end of the stream; a stream cut inside
// an entry gives an error matching ErrTruncated and io.ErrUnexpectedEOF.
func (r *Reader) Next() (*Entry, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.done {
		return nil, io.EOF
	}
	prev, prevOffset, passEnd := "", int64(0), int64(-1)
	if r.cur != nil {
		// A blob's rest is read through its verifier, so every copy of a
		// blob is accounted for, then what is left is skipped here (not in
		// archive/tar) so the offset of the next header is known before it
		// is read. The body of a blob handed off is not read at all where
		// the stream can pass over it (a plain file): archive/tar seeks
		// over it in its own Next.
		if v, ok := r.body.(*digestcheck.Reader); ok {
			if _, err := io.Copy(io.Discard, v); err != nil && !errors.Is(err, ErrDigestMismatch) {
				return nil, r.fail(r.readError(r.cur.Name, err))
			}
		}
		if r.handedOff && r.passable {
			passEnd = r.cur.Body + r.cur.Size
			r.cr.passUntil(passEnd)
		} else if _, err := io.Copy(io.Discard, r.tr); err != nil {
			return nil, r.fail(r.readError(r.cur.Name, err))
		}
		prev, prevOffset, r.cur, r.body, r.blob, r.read, r.handedOff = r.cur.Name, r.cur.Offset, nil, nil, nil, false, false
	}
	for {
		bodyEnd := r.cr.offset()
		if passEnd >= 0 {
			bodyEnd = passEnd // passed over in archive/tar's Next, below
		}
		start := r.archiveStart + alignBlock(bodyEnd-r.archiveStart)
		r.cr.captureHeader(start, nil)
		if r.freshArchive {
			// Its first block was read to find it; nothing precedes it.
			start, r.freshArchive = r.archiveStart, false
			r.cr.captureHeader(start, r.freshHdr)
		}
		r.cr.markAt(start)
		r.cr.watchZeros(bodyEnd, start)
		hdr, err := r.tr.Next()
		if passEnd >= 0 {
			r.cr.passUntil(0)
			if err != nil && r.cr.offset() < passEnd {
				// The body passed over was cut: its last byte is not there.
				return nil, r.fail(r.readError(prev, io.ErrUnexpectedEOF))
			}
			passEnd = -1
		}
		if r.cr.nonZero && prev != "" {
			r.archiveInventory().badPadding(prev, prevOffset)
		}
		r.cr.watchZeros(0, 0)
		prev = ""
		if errors.Is(err, tar.ErrInsecurePath) && hdr != nil {
			err = nil // reported below with the name
		}
		switch {
		case err == nil:
		case r.cr.offset() < start && (errors.Is(err, io.EOF) || isTrailer(err)):
			// archive/tar takes a cut in the padding for a clean end.
			return nil, r.fail(fmt.Errorf("%w: padding of entry %q cut at offset %d: %w", ErrTruncated, prev, r.cr.offset(), io.ErrUnexpectedEOF))
		case errors.Is(err, io.EOF), r.cr.offset() == start && isTrailer(err),
			errors.Is(err, io.ErrUnexpectedEOF) && !r.cr.sawData && !errors.Is(r.cr.lastErr, io.ErrUnexpectedEOF):
			// The end marker, the end of the data, or a cut inside the marker.
			r.complete = r.complete && r.cr.offset()-start >= 2*blockSize
			more, err := r.nextArchive()
			if err != nil {
				return nil, r.fail(err)
			}
			if !more {
				r.done = true
				return nil, io.EOF
			}
			continue
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, r.fail(fmt.Errorf("%w: header at offset %d is incomplete: %w", ErrTruncated, start, io.ErrUnexpectedEOF))
		default:
			return nil, r.fail(fmt.Errorf("invalid tar header at offset %d: %w", start, err))
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue // archive-wide metadata, not a file
		}
		e, err := r.classify(hdr, start)
		if err != nil {
			return nil, r.fail(err)
		}
		e.Inventory = r.inv
		if err := r.load(e); err != nil {
			return nil, r.fail(err)
		}
		r.cur = e
		return e, nil
	}
}

// Read reads the current entry's body. For a blob, the final read returns an
// error matching ErrDigestMismatch instead of io.EOF when the content does
// not match the entry's name, so a blob is never taken as received unverified.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.body == nil {
		return 0, io.EOF
	}
	r.read = true
	n, err := r.body.Read(p)
	if err != nil && err != io.EOF && !errors.Is(err, ErrDigestMismatch) {
		err = r.fail(r.readError(r.cur.Name, err))
	}
	return n, err
}

func (r *Reader) fail(err error) error {
	if r.err == nil {
		r.err = err
	}
	return r.err
}

func (r *Reader) readError(name string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: entry %q cut at offset %d: %w", ErrTruncated, name, r.cr.offset(), io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("reading entry %q at offset %d: %w", name, r.cr.offset(), err)
}

// HandOff gives the check of the current blob entry to the caller: Read
// then passes its content on unhashed, and the caller reports once, with
// settle, whether it proved to be the content its name says. It is for a
// content that is checked anyway where it goes (a registry verifies the
// digest of what it is sent), so that it is hashed once, not twice. It
// returns nil, and the Reader keeps checking, for an entry that is not a
// blob or whose body has been read from already.
func (r *Reader) HandOff() (settle func(ok bool)) {
	if r.blob == nil || r.read || r.err != nil {
		return nil
	}
	rec, offset := r.blob, r.cur.Offset
	r.body, r.blob, r.handedOff = r.tr, nil, true
	var once sync.Once
	return func(ok bool) { once.Do(func() { r.inv.settle(rec, ok, offset) }) }
}

// nextArchive skips zero blocks after an archive and starts reading the
// next archive if one follows. It reports false at the end of the stream.
func (r *Reader) nextArchive() (bool, error) {
	var blk [blockSize]byte
	for {
		n, err := io.ReadFull(r.cr, blk[:])
		switch {
		case errors.Is(err, io.EOF), isTrailer(err):
			// The end, or padding after a compressed stream (tape blocks).
			return false, nil
		case errors.Is(err, io.ErrUnexpectedEOF):
			if isZero(blk[:n]) && !errors.Is(r.cr.lastErr, io.ErrUnexpectedEOF) {
				return false, nil
			}
			if n == 0 {
				return false, fmt.Errorf("%w: %s stream cut after the end of archive at offset %d: %w",
					ErrTruncated, r.compression, r.cr.offset(), io.ErrUnexpectedEOF)
			}
			return false, fmt.Errorf("%w: data after the end of archive at offset %d is not a whole tar block: %w",
				ErrTruncated, r.cr.offset()-int64(n), io.ErrUnexpectedEOF)
		case err != nil:
			return false, fmt.Errorf("reading after the end of archive at offset %d: %w", r.cr.offset(), err)
		}
		if isZero(blk[:]) {
			continue
		}
		r.archive++
		r.archiveStart = r.cr.offset() - blockSize
		r.freshArchive = true
		r.freshHdr = append(r.freshHdr[:0], blk[:]...)
		r.inv.Archives = append(r.inv.Archives, newArchiveInventory(r.archive, r.archiveStart))
		r.stage, r.indexes = expectLayout, 0
		r.cr.restartHash(blk[:])
		r.tr = tar.NewReader(io.MultiReader(bytes.NewReader(blk[:]), r.cr))
		r.passable = false // no io.Seeker now: archive/tar reads every byte
		return true, nil
	}
}

// classify turns a header into an Entry, rejecting unsafe names, entry types
// and (when strict) out-of-order entries.
func (r *Reader) classify(hdr *tar.Header, start int64) (*Entry, error) {
	name, err := cleanName(hdr.Name)
	if err != nil {
		return nil, fmt.Errorf("entry at offset %d: %w", start, err)
	}
	e := &Entry{
		Name:         name,
		Size:         hdr.Size,
		Offset:       start,
		Body:         r.cr.offset(),
		End:          r.cr.offset() + alignBlock(hdr.Size),
		Archive:      r.archive,
		StreamDigest: r.cr.markSum,
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		e.Kind, e.Size = KindDirectory, 0
		return e, nil
	case tar.TypeReg:
		if isSparse(hdr) {
			// archive/tar would expand its holes: gigabytes of zeros from a few bytes.
			return nil, fmt.Errorf("entry %q at offset %d: %w \"sparse file\"", hdr.Name, start, ErrUnsupportedEntry)
		}
	default:
		return nil, fmt.Errorf("entry %q at offset %d: %w %q (only regular files and directories are allowed)",
			hdr.Name, start, ErrUnsupportedEntry, typeName(hdr.Typeflag))
	}
	switch {
	case name == LayoutFile:
		e.Kind = KindLayout
	case name == IndexFile:
		e.Kind = KindIndex
	case name == DockerManifestFile:
		e.Kind = KindDockerManifest
	case strings.HasPrefix(name, BlobsDir+"/") && strings.Count(name, "/") == 2:
		e.Kind = KindBlob
		_, rest, _ := strings.Cut(name, "/")
		alg, hexPart, _ := strings.Cut(rest, "/")
		h, err := v1.NewHash(alg + ":" + hexPart)
		if err != nil {
			return nil, fmt.Errorf("entry %q at offset %d: not a valid blob name: %w", hdr.Name, start, err)
		}
		e.Digest = h
	}
	if r.strict {
		if err := r.checkOrder(e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// checkOrder applies the strict rules to one regular file of the current archive.
func (r *Reader) checkOrder(e *Entry) error {
	fail := func(why string) error {
		return fmt.Errorf("%w: entry %q at offset %d: %s", ErrStrict, e.Name, e.Offset, why)
	}
	switch e.Kind {
	case KindLayout:
		if r.stage != expectLayout {
			return fail(LayoutFile + " must be the first entry, and only once")
		}
		r.stage = expectIndex
	case KindIndex:
		if r.stage == expectLayout {
			return fail(IndexFile + " must follow " + LayoutFile)
		}
		if r.indexes == 2 {
			return fail("more than two " + IndexFile + " copies")
		}
		r.indexes++
		r.stage = expectBlobs
	case KindBlob:
		if r.stage != expectBlobs {
			return fail("blob before " + LayoutFile + " and " + IndexFile)
		}
	case KindDockerManifest:
		// Written by --manifest-json after the final index.json. The
		// reference's own strict mode refuses the tars it writes so; Ferry
		// accepts it there, and only there.
		if r.stage != expectBlobs || r.indexes != 2 {
			return fail(DockerManifestFile + " is allowed only once, right after the final " + IndexFile)
		}
		r.stage = expectEnd
	default:
		return fail("unexpected file")
	}
	return nil
}

// load prepares the body of e: small layout files are read and checked now,
// blobs are verified as they are read.
func (r *Reader) load(e *Entry) error {
	inv := r.archiveInventory()
	switch e.Kind {
	case KindDirectory:
		inv.add(e, nil)
		r.body = bytes.NewReader(nil)
	case KindLayout, KindIndex:
		limit := int64(maxIndexSize)
		if e.Kind == KindLayout {
			limit = maxLayoutSize
		}
		if e.Size > limit {
			return fmt.Errorf("entry %q at offset %d: %d bytes is larger than the %d allowed", e.Name, e.Offset, e.Size, limit)
		}
		data, err := io.ReadAll(r.tr)
		if err != nil {
			return r.readError(e.Name, err)
		}
		if e.Kind == KindLayout {
			if err := checkLayout(data); err != nil {
				return fmt.Errorf("entry %q at offset %d: %w", e.Name, e.Offset, err)
			}
			inv.add(e, data)
		} else {
			idx, err := ParseIndex(data)
			if err != nil {
				return fmt.Errorf("entry %q at offset %d: invalid index: %w", e.Name, e.Offset, err)
			}
			e.Index = idx
			inv.add(e, nil)
			rec := IndexRecord{Offset: e.Offset, Size: e.Size, Index: idx, StreamDigest: e.StreamDigest,
				Canonical: IsCanonicalIndex(data, idx), HeaderCanonical: isFerryHeader(r.cr.header(e.Offset), e.Name, e.Size)}
			_, rec.Strict = ParseIndexStrict(data)
			inv.Indexes = append(inv.Indexes, rec)
		}
		r.body = bytes.NewReader(data)
	case KindBlob:
		rec, offset := inv.add(e, nil), e.Offset
		r.blob = rec
		r.body = digestcheck.NewReader(r.tr, v1.Descriptor{Digest: e.Digest, Size: e.Size}, func(err error) { r.inv.settle(rec, err == nil, offset) })
	default:
		inv.add(e, nil)
		r.body = r.tr
	}
	return nil
}

// isFerryHeader reports whether block is exactly the tar header Ferry
// writes for a file name of size bytes.
func isFerryHeader(block []byte, name string, size int64) bool {
	if block == nil {
		return false
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(fileHeader(name, size)); err != nil {
		return false
	}
	tw.Flush()
	return buf.Len() == blockSize && bytes.Equal(buf.Bytes(), block)
}

func checkLayout(data []byte) error {
	var layout struct {
		Version string `json:"imageLayoutVersion"`
	}
	if err := json.Unmarshal(data, &layout); err != nil {
		return fmt.Errorf("invalid oci-layout: %w", err)
	}
	if layout.Version != "1.0.0" {
		return fmt.Errorf("unsupported imageLayoutVersion %q (want 1.0.0)", layout.Version)
	}
	return nil
}

// cleanName removes "./" prefixes and trailing slashes and rejects names
// that are absolute or contain "..".
func cleanName(raw string) (string, error) {
	if strings.HasPrefix(raw, "/") {
		return "", fmt.Errorf("%w %q: absolute path", ErrUnsafeName, raw)
	}
	for _, part := range strings.Split(raw, "/") {
		if part == ".." {
			return "", fmt.Errorf("%w %q: contains \"..\"", ErrUnsafeName, raw)
		}
	}
	return path.Clean(raw), nil
}

func typeName(t byte) string {
	switch t {
	case tar.TypeSymlink:
		return "symlink"
	case tar.TypeLink:
		return "hard link"
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "fifo"
	case tar.TypeGNUSparse:
		return "sparse file"
	default:
		return string(rune(t))
	}
}

// isSparse reports a GNU sparse file described in PAX records.
func isSparse(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// isTrailer reports a decompressor finding something that is not a further
// compressed stream, as happens with zero padding after the last tape block.
func isTrailer(err error) bool {
	return errors.Is(err, gzip.ErrHeader) || errors.Is(err, zstd.ErrMagicMismatch)
}

func alignBlock(n int64) int64 { return (n + blockSize - 1) &^ (blockSize - 1) }

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
