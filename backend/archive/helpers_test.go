package archive

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// blob is one piece of content to put in a stream.
type blob struct {
	desc v1.Descriptor
	data []byte
}

func newBlob(mt types.MediaType, data []byte) blob {
	sum := sha256.Sum256(data)
	h, _ := v1.NewHash("sha256:" + hex.EncodeToString(sum[:]))
	return blob{desc: v1.Descriptor{MediaType: mt, Size: int64(len(data)), Digest: h}, data: data}
}

// randomGraph returns a random OCI index and its blobs in depth-first
// pre-order (index, then each manifest followed by its config and layers).
func randomGraph(t testing.TB, seed int64) (root blob, blobs []blob, manifests []v1.Descriptor) {
	t.Helper()
	idx, err := random.Index(256, 2, 2, random.WithSource(rand.NewSource(seed)))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := idx.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	root = newBlob(types.OCIImageIndex, raw)
	blobs = append(blobs, root)
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, md := range im.Manifests {
		manifests = append(manifests, md)
		img, err := idx.Image(md.Digest)
		if err != nil {
			t.Fatal(err)
		}
		mraw, _ := img.RawManifest()
		blobs = append(blobs, blob{desc: md, data: mraw})
		m, _ := img.Manifest()
		craw, _ := img.RawConfigFile()
		blobs = append(blobs, blob{desc: m.Config, data: craw})
		layers, _ := img.Layers()
		for i, l := range layers {
			rc, err := l.Compressed()
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(rc)
			rc.Close()
			blobs = append(blobs, blob{desc: m.Layers[i], data: data})
		}
	}
	return root, blobs, manifests
}

// writeArchive writes a complete archive of blobs and returns the stream
// and the position reported for each blob.
func writeArchive(t testing.TB, c Compression, root blob, blobs []blob, manifests []v1.Descriptor) ([]byte, []Position) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, WithCompression(c))
	if err != nil {
		t.Fatal(err)
	}
	first := NewIndex(root.desc, "sync-1", "test", map[string]string{AnnotationDeduplicatedSize: "123"})
	if _, err := w.Begin(first); err != nil {
		t.Fatal(err)
	}
	var pos []Position
	for _, b := range blobs {
		p, err := w.WriteBlob(b.desc, bytes.NewReader(b.data))
		if err != nil {
			t.Fatal(err)
		}
		pos = append(pos, p)
	}
	if _, err := w.Finish(first.Final(manifests)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), pos
}

// rawEntry is a hand-made tar entry for reader tests.
type rawEntry struct {
	name     string
	typeflag byte
	data     []byte
	linkname string
}

func file(name string, data []byte) rawEntry {
	return rawEntry{name: name, typeflag: tar.TypeReg, data: data}
}
func dir(name string) rawEntry { return rawEntry{name: name, typeflag: tar.TypeDir} }

// makeTar writes entries with archive/tar, independently of Writer.
func makeTar(t testing.TB, entries ...rawEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typeflag, Size: int64(len(e.data)), Mode: 0o644, Linkname: e.linkname}
		if e.typeflag != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil && e.typeflag == tar.TypeReg {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readAll reads every entry, returning them with their bodies, and the
// error that ended the stream (nil for a clean end).
func readAll(t testing.TB, data []byte, opts ...ReaderOption) ([]*Entry, [][]byte, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), opts...)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var entries []*Entry
	var bodies [][]byte
	for {
		e, err := r.Next()
		if err == io.EOF {
			return entries, bodies, nil
		}
		if err != nil {
			return entries, bodies, err
		}
		body, err := io.ReadAll(r)
		if err != nil {
			return entries, bodies, err
		}
		entries = append(entries, e)
		bodies = append(bodies, body)
	}
}

var layoutBytes = []byte(`{"imageLayoutVersion":"1.0.0"}`)
