package archive

import (
	"bytes"
	"testing"
)

// An archive closed at a Mark is, byte for byte, the archive Finish writes
// when the entries after the mark were never written.
func TestTrailerAtMarkIsWhatFinishWrites(t *testing.T) {
	root, blobs, manifests := randomGraph(t, 7)
	cut := len(blobs) / 2
	whole, _ := writeArchive(t, None, root, blobs[:cut], manifests[:1])

	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	first := NewIndex(root.desc, "sync-1", "test", map[string]string{AnnotationDeduplicatedSize: "123"})
	if _, err := w.Begin(first); err != nil {
		t.Fatal(err)
	}
	var mark Mark
	for i, b := range blobs {
		if _, err := w.WriteBlob(b.desc, bytes.NewReader(b.data)); err != nil {
			t.Fatal(err)
		}
		if i == cut-1 {
			if mark, err = w.Mark(); err != nil {
				t.Fatal(err)
			}
		}
	}
	trailer, err := Trailer(first.Final(manifests[:1]), mark)
	if err != nil {
		t.Fatal(err)
	}
	closed := append(buf.Bytes()[:mark.Position.Sink:mark.Position.Sink], trailer...)
	if !bytes.Equal(closed, whole) {
		t.Fatalf("the archive closed at the mark (%d bytes) differs from the one Finish writes (%d bytes)", len(closed), len(whole))
	}
	entries, _, err := readAll(t, closed, WithStreamDigest())
	if err != nil {
		t.Fatal(err)
	}
	if last := entries[len(entries)-1]; last.Kind != KindIndex || last.StreamDigest == "" {
		t.Errorf("the closed archive ends with %q (stream digest %q)", last.Name, last.StreamDigest)
	}

	if _, err := Trailer(first, Mark{}); err == nil {
		t.Error("a Trailer without a mark's digest state succeeded")
	}
	zw, err := NewWriter(&bytes.Buffer{}, WithCompression(Zstd))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Mark(); err == nil {
		t.Error("a compressed stream gave a Mark")
	}
}
