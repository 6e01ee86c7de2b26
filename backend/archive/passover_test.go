package archive

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

// countingFile is a file that counts the bytes read from it.
type countingFile struct {
	*os.File
	read int64
}

func (c *countingFile) Read(p []byte) (int, error) {
	n, err := c.File.Read(p)
	c.read += int64(n)
	return n, err
}

// pipeOnly hides every method but Read, as a pipe or a tape offers.
type pipeOnly struct{ r io.Reader }

func (p pipeOnly) Read(b []byte) (int, error) { return p.r.Read(b) }

// passMedium is an archive with a large blob between two small ones, and
// where the large one's body lies.
func passMedium(t *testing.T) (data []byte, big blob) {
	t.Helper()
	big = newBlob(types.OCILayer, bytes.Repeat([]byte("large layer "), 200_000))
	small := newBlob(types.OCILayer, []byte("small layer after it"))
	first := newBlob(types.OCIConfigJSON, []byte(`{"config":1}`))
	data, _ = writeArchive(t, None, first, []blob{first, big, small}, nil)
	return data, big
}

// openCounting opens data, written to a file, counting what is read.
func openCounting(t *testing.T, data []byte) *countingFile {
	t.Helper()
	f, err := os.Open(tempFile(t, data))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &countingFile{File: f}
}

func tempFile(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "medium.tar")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// readHandingOff reads every entry, handing off the check of big and
// reading none of its body (as an upload straight from the file does);
// it returns the names of the entries read after it and the error that
// ended the stream.
func readHandingOff(t *testing.T, src io.Reader, big blob, opts ...ReaderOption) (after []string, settled bool, err error) {
	t.Helper()
	r, err := NewReader(src, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	seen := false
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return after, settled, nil
		}
		if err != nil {
			return after, settled, err
		}
		if seen {
			after = append(after, e.Name)
		}
		if e.Kind == KindBlob && e.Digest == big.desc.Digest {
			seen = true
			settle := r.HandOff()
			if settle == nil {
				t.Fatal("HandOff refused a blob whose body was not read")
			}
			settle(true) // as the registry's check would
			settled = true
			continue
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			return after, settled, err
		}
	}
}

// The body of a blob handed off, in a plain file, is passed over without
// being read; what follows it is read as ever, header for header.
func TestHandedOffBodyInAPlainFileIsPassedOverUnread(t *testing.T) {
	data, big := passMedium(t)
	cf := openCounting(t, data)
	after, _, err := readHandingOff(t, cf, big)
	if err != nil {
		t.Fatal(err)
	}
	if want := namesAfter(t, data, big); !equalNames(after, want) {
		t.Errorf("entries after the large blob: %v, want %v", after, want)
	}
	if unread := int64(len(data)) - cf.read; unread < big.desc.Size-64<<10 {
		t.Errorf("%d of %d bytes read: the %d-byte body was read, not passed over", cf.read, len(data), big.desc.Size)
	}
}

// The same reading of a pipe reads every byte: it cannot seek, and the
// entries after the large blob are the same.
func TestHandedOffBodyInAPipeIsReadThrough(t *testing.T) {
	data, big := passMedium(t)
	fromFile, _, err := readHandingOff(t, bytes.NewReader(data), big)
	if err != nil {
		t.Fatal(err)
	}
	fromPipe, _, err := readHandingOff(t, pipeOnly{bytes.NewReader(data)}, big)
	if err != nil {
		t.Fatal(err)
	}
	want := namesAfter(t, data, big)
	if !equalNames(fromFile, want) || !equalNames(fromPipe, want) {
		t.Errorf("after the large blob: %v from a seekable reader, %v from a pipe, want %v", fromFile, fromPipe, want)
	}
}

// namesAfter lists the entries after big, read plainly.
func namesAfter(t *testing.T, data []byte, big blob) []string {
	t.Helper()
	entries, _, err := readAll(t, data)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		if e.Digest == big.desc.Digest {
			var names []string
			for _, e := range entries[i+1:] {
				names = append(names, e.Name)
			}
			return names
		}
	}
	t.Fatal("the large blob is not in the archive")
	return nil
}

func equalNames(a, b []string) bool {
	return len(a) > 0 && slices.Equal(a, b)
}

// A stream hashed whole is read whole, handed off or not.
func TestHandedOffBodyIsReadWhenTheStreamIsHashed(t *testing.T) {
	data, big := passMedium(t)
	cf := openCounting(t, data)
	if _, _, err := readHandingOff(t, cf, big, WithStreamDigest()); err != nil {
		t.Fatal(err)
	}
	if cf.read != int64(len(data)) {
		t.Errorf("%d of %d bytes read with the stream hashed", cf.read, len(data))
	}
}

// A file cut inside a body passed over is a cut medium, named at the
// entry, not a clean end of the stream.
func TestFileCutInsideABodyPassedOverIsTruncated(t *testing.T) {
	data, big := passMedium(t)
	at := bytes.Index(data, big.data[:4096]) + int(big.desc.Size)/2
	f, err := os.Open(tempFile(t, data[:at]))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, _, err = readHandingOff(t, f, big)
	if !errors.Is(err, ErrTruncated) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want a truncated medium", err)
	}
	if want := "blobs/" + big.desc.Digest.Algorithm + "/" + big.desc.Digest.Hex; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to name %s", err, want)
	}
}

// Entry.Body is where the body starts, past any extended header.
func TestEntryBodyIsWhereTheContentStarts(t *testing.T) {
	long := "extra/" + strings.Repeat("a", 120) // a name only a PAX record holds
	data := makeTar(t, file("oci-layout", layoutBytes), file(long, []byte("content of the long name")))
	entries, bodies, err := readAll(t, data)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		if got := data[e.Body : e.Body+e.Size]; !bytes.Equal(got, bodies[i]) {
			t.Errorf("%s: bytes at Body %d are %q, want %q", e.Name, e.Body, got, bodies[i])
		}
	}
}
