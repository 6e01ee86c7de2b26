package archive

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"path"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// FuzzReader feeds arbitrary bytes to the Reader: it must never panic, and
// whatever it yields must keep its promises (clean names, verified blobs).
// Seeds live in testdata/fuzz/FuzzReader.
func FuzzReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, strict := range []bool{false, true} {
			checkStream(t, data, strict)
		}
	})
}

func checkStream(t *testing.T, data []byte, strict bool) {
	r, err := NewReader(bytes.NewReader(data), Strict(strict), WithStreamDigest())
	if err != nil {
		return
	}
	defer r.Close()
	for i := 0; ; i++ {
		e, err := r.Next()
		if err != nil {
			if err != io.EOF && r.Offset() > int64(len(data)) && r.Compression() == None {
				t.Fatalf("read %d bytes from a %d-byte stream", r.Offset(), len(data))
			}
			return
		}
		if e.Name != path.Clean(e.Name) || path.IsAbs(e.Name) || e.Name == ".." || strings.HasPrefix(e.Name, "../") {
			t.Fatalf("entry %d: unsafe or unclean name %q", i, e.Name)
		}
		if e.End < e.Offset || e.Size < 0 {
			t.Fatalf("entry %q: offset %d, end %d, size %d", e.Name, e.Offset, e.End, e.Size)
		}
		if e.Kind == KindIndex && e.Index == nil {
			t.Fatalf("index entry %q without a parsed index", e.Name)
		}
		body, err := io.ReadAll(r)
		if err != nil {
			if errors.Is(err, ErrDigestMismatch) {
				continue
			}
			return
		}
		if e.Kind == KindBlob {
			h, herr := v1.Hasher(e.Digest.Algorithm)
			if herr != nil {
				t.Fatalf("blob %q with unsupported algorithm", e.Name)
			}
			h.Write(body)
			if hex.EncodeToString(h.Sum(nil)) != e.Digest.Hex || int64(len(body)) != e.Size {
				t.Fatalf("blob %q passed verification with other content", e.Name)
			}
		}
	}
}
