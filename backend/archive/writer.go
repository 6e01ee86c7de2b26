package archive

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"ferry/backend/digestcheck"
)

// epoch is the modification time of every entry, so equal inputs give equal streams.
var epoch = time.Unix(0, 0).UTC()

// WriterOption configures a Writer.
type WriterOption func(*Writer)

// WithCompression compresses the whole stream with gzip or zstd.
func WithCompression(c Compression) WriterOption {
	return func(w *Writer) { w.compression = c }
}

// Writer writes one archive: Begin, any number of WriteBlob, then Finish.
// After any error the archive is unusable and every later call returns that
// error. A Writer is not safe for concurrent use.
type Writer struct {
	compression Compression
	sink        *countingWriter // what reaches the caller's writer
	compressor  flushCloser     // nil without compression
	stream      *countingWriter // the uncompressed tar stream, hashed
	hash        *asyncHash      // the stream's hash
	tw          *tar.Writer
	dirs        map[string]bool
	begun       bool
	done        bool
	err         error
	// dockerManifest, when set, is written as manifest.json by Finish.
	dockerManifest []byte
}

// flushCloser is what gzip and zstd writers have in common.
type flushCloser interface {
	io.Writer
	Flush() error
	Close() error
}

// NewWriter returns a Writer that writes the stream to w. It never closes w.
func NewWriter(w io.Writer, opts ...WriterOption) (*Writer, error) {
	aw := &Writer{compression: None, dirs: map[string]bool{}}
	for _, o := range opts {
		o(aw)
	}
	aw.sink = &countingWriter{w: w}
	var tarOut io.Writer = aw.sink
	switch aw.compression {
	case None, "":
	case Gzip:
		aw.compressor = gzip.NewWriter(aw.sink)
		tarOut = aw.compressor
	case Zstd:
		zw, err := zstd.NewWriter(aw.sink)
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		aw.compressor = zw
		tarOut = zw
	default:
		return nil, fmt.Errorf("unknown compression %q", aw.compression)
	}
	aw.hash = newAsyncHash()
	aw.stream = &countingWriter{w: tarOut, hash: aw.hash}
	aw.tw = tar.NewWriter(aw.stream)
	return aw, nil
}

// Begin writes the oci-layout entry and the first index.json copy (see NewIndex).
func (w *Writer) Begin(first Index) (Position, error) {
	if err := w.usable(); err != nil {
		return Position{}, err
	}
	if w.begun {
		return Position{}, errors.New("archive: Begin called twice")
	}
	w.begun = true
	if err := w.writeFile(LayoutFile, []byte(layoutJSON)); err != nil {
		return Position{}, w.fail(err)
	}
	data, err := first.Bytes()
	if err != nil {
		return Position{}, w.fail(fmt.Errorf("encoding %s: %w", IndexFile, err))
	}
	if err := w.writeFile(IndexFile, data); err != nil {
		return Position{}, w.fail(err)
	}
	return w.endEntry()
}

// WriteBlob streams a blob of the size and digest in desc from r as
// blobs/<alg>/<hex>, verifying both while copying. It returns where the
// entry ends; record that in the ledger once the medium confirms its Sink.
func (w *Writer) WriteBlob(desc v1.Descriptor, r io.Reader) (Position, error) {
	if err := w.usable(); err != nil {
		return Position{}, err
	}
	if !w.begun {
		return Position{}, errors.New("archive: WriteBlob before Begin")
	}
	v, err := digestcheck.New(desc.Digest)
	if err != nil {
		return Position{}, fmt.Errorf("blob %q: invalid digest", desc.Digest)
	}
	if desc.Size < 0 {
		return Position{}, fmt.Errorf("blob %s: negative size %d", desc.Digest, desc.Size)
	}
	alg := path.Join(BlobsDir, desc.Digest.Algorithm)
	for _, dir := range []string{BlobsDir, alg} {
		if err := w.writeDir(dir); err != nil {
			return Position{}, w.fail(err)
		}
	}

	hdr := fileHeader(path.Join(alg, desc.Digest.Hex), desc.Size)
	if err := w.tw.WriteHeader(hdr); err != nil {
		return Position{}, w.fail(fmt.Errorf("writing header of blob %s: %w", desc.Digest, err))
	}
	// Read one byte past the size so a source longer than promised is
	// caught. The blob's hash runs beside the stream's (v.Copy).
	n, err := v.Copy(w.tw, io.LimitReader(r, desc.Size+1), desc.Size)
	switch {
	case errors.Is(err, tar.ErrWriteTooLong) || n > desc.Size:
		return Position{}, w.fail(fmt.Errorf("blob %s: source is longer than its size %d", desc.Digest, desc.Size))
	case err != nil:
		return Position{}, w.fail(fmt.Errorf("copying blob %s: %w", desc.Digest, err))
	case n < desc.Size:
		return Position{}, w.fail(fmt.Errorf("blob %s: source ended after %d of %d bytes", desc.Digest, n, desc.Size))
	}
	if err := v.Check(); err != nil {
		return Position{}, w.fail(err)
	}
	return w.endEntry()
}

// SetDockerManifest makes Finish write data as manifest.json after the final
// index.json: the `docker save` description that --manifest-json adds, where
// the reference writes it, so docker-archive readers take the tar alone.
func (w *Writer) SetDockerManifest(data []byte) { w.dockerManifest = data }

// Finish writes the final index.json copy (see Index.Final), adding the
// sha256 of every stream byte before its header as vnd.ferry.stream.sha256,
// then manifest.json when set, then the end-of-archive marker, and flushes
// the compressor. It does not close the underlying writer.
func (w *Writer) Finish(final Index) (Position, error) {
	if err := w.usable(); err != nil {
		return Position{}, err
	}
	if !w.begun {
		return Position{}, errors.New("archive: Finish before Begin")
	}
	// Flush writes the previous entry's padding, so the hash covers exactly
	// the bytes before the next header.
	if err := w.tw.Flush(); err != nil {
		return Position{}, w.fail(err)
	}
	if err := writeTrailer(w.tw, final, w.hash.Sum(), w.dockerManifest); err != nil {
		return Position{}, w.fail(err)
	}
	if w.compressor != nil {
		if err := w.compressor.Close(); err != nil {
			return Position{}, w.fail(fmt.Errorf("closing %s stream: %w", w.compression, err))
		}
	}
	w.done = true
	return w.Position(), nil
}

// writeTrailer writes the closing entries of an archive to tw: the final
// index.json with streamSum (the sha256 of the stream before it) as
// vnd.ferry.stream.sha256, manifest.json when docker is set, and the
// end-of-archive marker. Finish and Trailer both write them so.
func writeTrailer(tw *tar.Writer, final Index, streamSum, docker []byte) error {
	final = final.With(map[string]string{AnnotationStreamSHA256: hex.EncodeToString(streamSum)})
	data, err := final.Bytes()
	if err != nil {
		return fmt.Errorf("encoding %s: %w", IndexFile, err)
	}
	if err := writeFile(tw, IndexFile, data); err != nil {
		return err
	}
	if docker != nil {
		if err := writeFile(tw, DockerManifestFile, docker); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("writing end of archive: %w", err)
	}
	return nil
}

// Mark is the end of an entry of an uncompressed stream, as a Writer wrote
// it: a place where the archive can be closed later with Trailer. A volume
// cut by the end of its medium is closed at the last Mark the medium holds
// whole (FORMAT.md section 7).
type Mark struct {
	Position  Position
	hashState []byte // the stream digest's state at Position
}

// Mark returns the end of the last entry written (call it after Begin or
// WriteBlob returned). It fails on a compressed stream, whose bytes after
// an entry depend on what follows.
func (w *Writer) Mark() (Mark, error) {
	if err := w.usable(); err != nil {
		return Mark{}, err
	}
	if w.compressor != nil {
		return Mark{}, errors.New("archive: a compressed stream cannot be closed at an earlier entry")
	}
	state, err := w.hash.State()
	if err != nil {
		return Mark{}, err
	}
	return Mark{Position: w.Position(), hashState: state}, nil
}

// Trailer renders the closing entries of an archive cut at m: the final
// index.json, its stream digest that of the bytes before m, and the
// end-of-archive marker, the bytes Finish writes there (without a
// manifest.json). Written right after the first m.Position.Sink bytes of
// the stream, they make it a complete archive.
func Trailer(final Index, m Mark) ([]byte, error) {
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(m.hashState); err != nil {
		return nil, fmt.Errorf("archive: the mark's stream digest: %w", err)
	}
	var buf bytes.Buffer
	if err := writeTrailer(tar.NewWriter(&buf), final, h.Sum(nil), nil); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Position reports how far the stream has been written.
func (w *Writer) Position() Position {
	return Position{Stream: w.stream.n, Sink: w.sink.n}
}

func (w *Writer) usable() error {
	if w.err != nil {
		return w.err
	}
	if w.done {
		return errors.New("archive: write after Finish")
	}
	return nil
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}

// endEntry pushes the entry's padding and any compressed bytes to the sink,
// so that the returned Sink position covers the whole entry.
func (w *Writer) endEntry() (Position, error) {
	if err := w.tw.Flush(); err != nil {
		return Position{}, w.fail(err)
	}
	if w.compressor != nil {
		if err := w.compressor.Flush(); err != nil {
			return Position{}, w.fail(fmt.Errorf("flushing %s stream: %w", w.compression, err))
		}
	}
	return w.Position(), nil
}

func (w *Writer) writeFile(name string, data []byte) error { return writeFile(w.tw, name, data) }

func writeFile(tw *tar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(fileHeader(name, int64(len(data)))); err != nil {
		return fmt.Errorf("writing header of %s: %w", name, err)
	}
	if _, err := io.Copy(tw, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// writeDir writes a directory entry the first time it is needed.
func (w *Writer) writeDir(name string) error {
	if w.dirs[name] {
		return nil
	}
	hdr := &tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o777, ModTime: epoch}
	if err := w.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing directory %s: %w", name, err)
	}
	w.dirs[name] = true
	return nil
}

// fileHeader is the header the reference writes: archive/tar picks USTAR,
// and PAX only when the size needs it (8 GiB and more).
func fileHeader(name string, size int64) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o666, ModTime: epoch}
}

// countingWriter counts (and optionally hashes) what passes through it.
type countingWriter struct {
	w    io.Writer
	n    int64
	hash io.Writer // nil: not hashed
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if c.hash != nil {
		c.hash.Write(p[:n])
	}
	return n, err
}
