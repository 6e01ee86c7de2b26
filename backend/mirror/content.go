package mirror

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Content is proven against its descriptor once on its way: a pull from a
// registry by go-containerregistry's reader, a push to a registry by the
// registry when the upload is committed, a push to a layout by
// digestcheck.Reader (repo_layout.go), the medium by the archive reader and
// writer. These are the small helpers for content already in memory.

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// sha256Of is the digest of bytes.
func sha256Of(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sum)}
}
