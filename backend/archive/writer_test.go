package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func begun(t *testing.T, sink io.Writer) *Writer {
	t.Helper()
	w, err := NewWriter(sink)
	if err != nil {
		t.Fatal(err)
	}
	root := newBlob("application/vnd.oci.image.index.v1+json", []byte("{}"))
	if _, err := w.Begin(NewIndex(root.desc, "t", "v", nil)); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWriteBlobVerifiesSource(t *testing.T) {
	b := newBlob("", []byte("exact content"))
	cases := []struct {
		name   string
		desc   v1.Descriptor
		source io.Reader
		want   string
	}{
		{"short", b.desc, strings.NewReader("exact"), "ended after 5 of 13 bytes"},
		{"long", b.desc, strings.NewReader("exact content and more"), "longer than its size"},
		{"tampered", b.desc, strings.NewReader("EXACT CONTENT"), ErrDigestMismatch.Error()},
		{"read error", b.desc, iotest.ErrReader(errors.New("connection reset")), "connection reset"},
		{"bad digest", v1.Descriptor{Digest: v1.Hash{Algorithm: "md5", Hex: "00"}, Size: 1}, strings.NewReader("x"), "invalid digest"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := begun(t, io.Discard)
			_, err := w.WriteBlob(tc.desc, tc.source)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if tc.name == "tampered" && !errors.Is(err, ErrDigestMismatch) {
				t.Errorf("err = %v, want ErrDigestMismatch", err)
			}
		})
	}
}

func TestWriterErrorIsSticky(t *testing.T) {
	b := newBlob("", []byte("content"))
	w := begun(t, io.Discard)
	if _, err := w.WriteBlob(b.desc, strings.NewReader("wrong!!")); err == nil {
		t.Fatal("mismatch accepted")
	}
	if _, err := w.WriteBlob(b.desc, bytes.NewReader(b.data)); err == nil {
		t.Error("a good blob after a failed one was accepted; the archive is already broken")
	}
	if _, err := w.Finish(Index{}); err == nil {
		t.Error("Finish after a failure succeeded")
	}
}

func TestWriterOrder(t *testing.T) {
	b := newBlob("", []byte("content"))
	w, _ := NewWriter(io.Discard)
	if _, err := w.WriteBlob(b.desc, bytes.NewReader(b.data)); err == nil {
		t.Error("WriteBlob before Begin accepted")
	}
	if _, err := w.Finish(Index{}); err == nil {
		t.Error("Finish before Begin accepted")
	}
	w = begun(t, io.Discard)
	if _, err := w.Begin(Index{}); err == nil {
		t.Error("second Begin accepted")
	}
	if _, err := w.Finish(Index{}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteBlob(b.desc, bytes.NewReader(b.data)); err == nil {
		t.Error("WriteBlob after Finish accepted")
	}
}

type failingWriter struct{ after int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.after < len(p) {
		return 0, errors.New("no space left on device")
	}
	f.after -= len(p)
	return len(p), nil
}

func TestWriterSinkError(t *testing.T) {
	b := newBlob("", bytes.Repeat([]byte("x"), 4096))
	w := begun(t, &failingWriter{after: 3000})
	if _, err := w.WriteBlob(b.desc, bytes.NewReader(b.data)); err == nil || !strings.Contains(err.Error(), "no space") {
		t.Fatalf("err = %v, want the sink's error", err)
	}
}

func TestBlobDirectoriesOnce(t *testing.T) {
	var buf bytes.Buffer
	w := begun(t, &buf)
	for _, s := range []string{"a", "b", "c"} {
		b := newBlob("", []byte(s))
		if _, err := w.WriteBlob(b.desc, bytes.NewReader(b.data)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Finish(Index{}); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	dirs := 0
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Typeflag == tar.TypeDir {
			dirs++
		}
	}
	if dirs != 2 {
		t.Errorf("%d directory entries, want blobs and blobs/sha256 once each", dirs)
	}
}

// The reference writes USTAR headers and needs PAX only for sizes USTAR
// cannot hold (8 GiB and more).
func TestLargeEntriesUsePAX(t *testing.T) {
	for _, tc := range []struct {
		size int64
		pax  bool
	}{{8<<30 - 1, false}, {8 << 30, true}} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		if err := tw.WriteHeader(fileHeader("blobs/sha256/x", tc.size)); err != nil {
			t.Fatal(err)
		}
		if gotPAX := buf.Bytes()[156] == tar.TypeXHeader; gotPAX != tc.pax {
			t.Errorf("size %d: PAX header = %v, want %v", tc.size, gotPAX, tc.pax)
		}
	}
}

func TestParseCompression(t *testing.T) {
	for in, want := range map[string]Compression{"": None, "none": None, "GZIP": Gzip, " zstd": Zstd} {
		if got, err := ParseCompression(in); err != nil || got != want {
			t.Errorf("ParseCompression(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseCompression("bzip2"); err == nil {
		t.Error("bzip2 accepted")
	}
	if _, err := NewWriter(io.Discard, WithCompression("lz4")); err == nil {
		t.Error("NewWriter accepted an unknown compression")
	}
}
