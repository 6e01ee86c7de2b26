package archive

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

var update = flag.Bool("update", false, "rewrite testdata/small.tar from the current writer")

// smallStream is a fixed transfer: a gather index holding one image of one
// config and one layer.
func smallStream(t *testing.T) (stream []byte, blobs []blob, positions []Position, root blob, manifest blob) {
	t.Helper()
	config := newBlob(types.OCIConfigJSON, []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`))
	layer := newBlob(types.OCILayer, bytes.Repeat([]byte("ferry"), 205)) // 1025 bytes: padding of 511
	manifest = newBlob(types.OCIManifestSchema1, []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"`+
		config.desc.Digest.String()+`","size":`+itoa(config.desc.Size)+`},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"`+
		layer.desc.Digest.String()+`","size":`+itoa(layer.desc.Size)+`}]}`))
	manifest.desc.Annotations = map[string]string{"vnd.act3-ace.manifest.source": "reg.example/app:1"}
	root = newBlob(types.OCIImageIndex, []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"`+
		manifest.desc.Digest.String()+`","size":`+itoa(manifest.desc.Size)+`}]}`))
	blobs = []blob{root, manifest, config, layer}

	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	first := NewIndex(root.desc, "sync-45", "v1.2.3", map[string]string{AnnotationDeduplicatedSize: "1234"}).
		With(VolumeAnnotations("4f1c", 1, true))
	if _, err := w.Begin(first); err != nil {
		t.Fatal(err)
	}
	for _, b := range blobs {
		p, err := w.WriteBlob(b.desc, bytes.NewReader(b.data))
		if err != nil {
			t.Fatal(err)
		}
		positions = append(positions, p)
	}
	end, err := w.Finish(first.Final([]v1.Descriptor{root.desc, manifest.desc}))
	if err != nil {
		t.Fatal(err)
	}
	if end.Stream != int64(buf.Len()) || end.Sink != int64(buf.Len()) {
		t.Fatalf("Finish reported %+v, stream has %d bytes", end, buf.Len())
	}
	return buf.Bytes(), blobs, positions, root, manifest
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// padded is the size of an entry: header block plus body rounded to blocks.
func padded(size int) int64 { return 512 + int64((size+511)/512*512) }

func TestGoldenStream(t *testing.T) {
	stream, blobs, positions, root, manifest := smallStream(t)

	golden := filepath.Join("testdata", "small.tar")
	if *update {
		if err := os.WriteFile(golden, stream, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(stream, want) {
		t.Errorf("stream differs from %s: the format changed (if on purpose, run with -update)", golden)
	}

	firstIndex := `{
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {
      "mediaType": "application/vnd.oci.image.index.v1+json",
      "digest": "` + root.desc.Digest.String() + `",
      "size": ` + itoa(root.desc.Size) + `,
      "annotations": {
        "org.opencontainers.image.ref.name": "sync-45"
      }
    }
  ],
  "annotations": {
    "vnd.act3-ace.data.layer.size.deduplicated": "1234",
    "vnd.act3-ace.data.serialization.version": "2",
    "vnd.act3-ace.data.version": "v1.2.3",
    "vnd.ferry.sync.id": "4f1c",
    "vnd.ferry.volume.last": "true",
    "vnd.ferry.volume.number": "1"
  }
}`

	type seen struct {
		name string
		hdr  *tar.Header
		body []byte
	}
	var got []seen
	tr := tar.NewReader(bytes.NewReader(stream))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		got = append(got, seen{name: hdr.Name, hdr: hdr, body: body})
	}

	wantNames := []string{LayoutFile, IndexFile, "blobs", "blobs/sha256"}
	for _, b := range blobs {
		wantNames = append(wantNames, "blobs/sha256/"+b.desc.Digest.Hex)
	}
	wantNames = append(wantNames, IndexFile)
	var names []string
	for _, s := range got {
		names = append(names, s.name)
	}
	if strings.Join(names, "\n") != strings.Join(wantNames, "\n") {
		t.Fatalf("entry order:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(wantNames, "\n"))
	}

	// Every header as the reference writes it.
	var offset int64
	var finalIndexOffset int64
	blobEnds := []int64{}
	for i, s := range got {
		h := s.hdr
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner %d/%d %q/%q, want 0/0 and no names", s.name, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		if !h.ModTime.Equal(time.Unix(0, 0)) {
			t.Errorf("%s: mtime %v, want the Unix epoch", s.name, h.ModTime)
		}
		if h.Format != tar.FormatUSTAR {
			t.Errorf("%s: format %v, want USTAR", s.name, h.Format)
		}
		isDir := i == 2 || i == 3
		switch {
		case isDir && (h.Typeflag != tar.TypeDir || h.Mode != 0o777 || h.Size != 0):
			t.Errorf("%s: type %c mode %o size %d, want a 0777 directory", s.name, h.Typeflag, h.Mode, h.Size)
		case !isDir && (h.Typeflag != tar.TypeReg || h.Mode != 0o666):
			t.Errorf("%s: type %c mode %o, want a 0666 regular file", s.name, h.Typeflag, h.Mode)
		}
		if strings.HasPrefix(s.name, "./") || strings.HasSuffix(s.name, "/") {
			t.Errorf("name %q has a ./ prefix or a trailing slash", s.name)
		}
		if i == len(got)-1 {
			finalIndexOffset = offset
		}
		offset += padded(len(s.body))
		if i >= 4 && i < len(got)-1 {
			blobEnds = append(blobEnds, offset)
		}
	}
	if int64(len(stream)) != offset+1024 || !isZero(stream[offset:]) {
		t.Errorf("stream is %d bytes, want entries (%d) followed by exactly two zero blocks", len(stream), offset)
	}
	for i, p := range positions {
		if p.Stream != blobEnds[i] || p.Sink != blobEnds[i] {
			t.Errorf("blob %d: position %+v, want end %d (tar padding included)", i, p, blobEnds[i])
		}
	}

	if string(got[0].body) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout = %s", got[0].body)
	}
	if string(got[1].body) != firstIndex {
		t.Errorf("first index.json:\n%s\nwant:\n%s", got[1].body, firstIndex)
	}
	for i, b := range blobs {
		if !bytes.Equal(got[4+i].body, b.data) {
			t.Errorf("blob %s content differs", b.desc.Digest)
		}
	}

	var final struct {
		Manifests   []v1.Descriptor   `json:"manifests"`
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(got[len(got)-1].body, &final); err != nil {
		t.Fatal(err)
	}
	if len(final.Manifests) != 2 || final.Manifests[0].Digest != root.desc.Digest ||
		final.Manifests[0].Annotations[AnnotationRefName] != "sync-45" ||
		final.Manifests[1].Digest != manifest.desc.Digest ||
		final.Manifests[1].Annotations["vnd.act3-ace.manifest.source"] != "reg.example/app:1" {
		t.Errorf("final index manifests = %+v, want the tagged root then the manifest as in its parent", final.Manifests)
	}
	sum := sha256.Sum256(stream[:finalIndexOffset])
	wantAnn := map[string]string{
		AnnotationDeduplicatedSize:     "1234",
		AnnotationSerializationVersion: "2",
		AnnotationToolVersion:          "v1.2.3",
		AnnotationSyncID:               "4f1c",
		AnnotationVolumeNumber:         "1",
		AnnotationVolumeLast:           "true",
		AnnotationStreamSHA256:         hex.EncodeToString(sum[:]),
	}
	if len(final.Annotations) != len(wantAnn) {
		t.Errorf("final annotations = %v, want %v", final.Annotations, wantAnn)
	}
	for k, v := range wantAnn {
		if final.Annotations[k] != v {
			t.Errorf("final annotation %s = %q, want %q", k, final.Annotations[k], v)
		}
	}
	if strings.Contains(string(got[1].body), AnnotationStreamSHA256) {
		t.Error("first index.json carries the stream digest; only the final copy may")
	}
}
