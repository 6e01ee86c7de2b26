package mirror

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// verifyingReader passes content through and fails at the end when the
// bytes do not match the descriptor's size and digest, so nothing is counted
// as sent or received before it is proven.
type verifyingReader struct {
	r     io.Reader
	desc  v1.Descriptor
	h     hash.Hash
	n     int64
	onErr func(error)
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.h == nil {
		v.h = sha256.New()
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.n > v.desc.Size {
		return n, v.fail(fmt.Errorf("blob %s: more than the expected %d bytes", v.desc.Digest, v.desc.Size))
	}
	if err == io.EOF {
		if v.n != v.desc.Size {
			return n, v.fail(fmt.Errorf("blob %s: got %d bytes, expected %d", v.desc.Digest, v.n, v.desc.Size))
		}
		if v.desc.Digest.Algorithm == "sha256" {
			if got := fmt.Sprintf("%x", v.h.Sum(nil)); got != v.desc.Digest.Hex {
				return n, v.fail(fmt.Errorf("blob %s: content has digest sha256:%s", v.desc.Digest, got))
			}
		}
	}
	return n, err
}

func (v *verifyingReader) fail(err error) error {
	if v.onErr != nil {
		v.onErr(err)
	}
	return err
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// sha256Of is the digest of bytes.
func sha256Of(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sum)}
}
