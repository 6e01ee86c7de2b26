package mirror

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Content read from a registry or a layout is proven against its
// descriptor by digestcheck.Reader (repo_remote.go, repo_layout.go); these
// are the small helpers for content already in memory.

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// sha256Of is the digest of bytes.
func sha256Of(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sum)}
}
