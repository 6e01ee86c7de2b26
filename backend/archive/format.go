// Package archive writes and reads the serialized tar stream that carries OCI
// content across an air gap, in the format of `ace-dt mirror` (serialization
// version 2), and the checkpoint ledger that lets an interrupted run resume.
// It knows nothing of registries: callers decide which blobs go in and in
// what order, and what to do with the blobs that come out.
package archive

import (
	"errors"
	"fmt"
	"strings"

	"ferry/backend/digestcheck"
)

// Names of the files of an OCI layout inside the stream.
const (
	LayoutFile = "oci-layout"
	IndexFile  = "index.json"
	// DockerManifestFile is the `docker save` description written after the
	// final index.json with --manifest-json (FORMAT.md section 2).
	DockerManifestFile = "manifest.json"
	BlobsDir           = "blobs"
)

// layoutJSON is the exact content of the oci-layout entry.
const layoutJSON = `{"imageLayoutVersion":"1.0.0"}`

// Annotation keys of the stream's index.json copies and of the ledger.
const (
	AnnotationRefName              = "org.opencontainers.image.ref.name"
	AnnotationToolVersion          = "vnd.act3-ace.data.version"
	AnnotationSerializationVersion = "vnd.act3-ace.data.serialization.version"
	AnnotationDeduplicatedSize     = "vnd.act3-ace.data.layer.size.deduplicated"
	AnnotationOffset               = "vnd.act3-ace.data.offset"

	AnnotationSyncID       = "vnd.ferry.sync.id"
	AnnotationVolumeNumber = "vnd.ferry.volume.number"
	AnnotationVolumeLast   = "vnd.ferry.volume.last"
	AnnotationStreamSHA256 = "vnd.ferry.stream.sha256"
)

// SerializationVersion is the format version this package writes.
const SerializationVersion = "2"

// Position locates the end of an entry, tar padding included.
type Position struct {
	// Stream is the byte offset on the uncompressed tar stream; it is the
	// offset recorded in checkpoint ledgers.
	Stream int64
	// Sink is the number of bytes handed to the underlying writer once the
	// entry was complete (equal to Stream when not compressing). When the
	// medium confirms Sink bytes, the entry is on the medium.
	Sink int64
}

// Compression selects whole-stream compression.
type Compression string

// Supported compressions.
const (
	None Compression = "none"
	Gzip Compression = "gzip"
	Zstd Compression = "zstd"
)

// ParseCompression accepts "", "none", "gzip" and "zstd" (case-insensitive).
func ParseCompression(s string) (Compression, error) {
	switch c := Compression(strings.ToLower(strings.TrimSpace(s))); c {
	case "", None:
		return None, nil
	case Gzip, Zstd:
		return c, nil
	default:
		return "", fmt.Errorf("unknown compression %q (want none, gzip or zstd)", s)
	}
}

// Errors a Reader reports; test for them with errors.Is.
var (
	// ErrTruncated means the stream ended in the middle of an entry. Such
	// errors also match io.ErrUnexpectedEOF.
	ErrTruncated = errors.New("archive truncated")
	// ErrDigestMismatch means a blob's content does not match its name.
	ErrDigestMismatch = digestcheck.ErrMismatch
	// ErrUnsafeName means an entry name is absolute or climbs out with "..".
	ErrUnsafeName = errors.New("unsafe entry name")
	// ErrUnsupportedEntry means an entry is neither a regular file nor a directory.
	ErrUnsupportedEntry = errors.New("unsupported entry type")
	// ErrStrict means the stream breaks the strict entry order.
	ErrStrict = errors.New("strict mode violation")
)
