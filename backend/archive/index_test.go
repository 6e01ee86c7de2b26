package archive

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestNewIndex(t *testing.T) {
	root := newBlob("application/vnd.oci.image.index.v1+json", []byte("{}")).desc
	root.Annotations = map[string]string{"keep": "me"}
	idx := NewIndex(root, "sync-7", "v2", map[string]string{"unrelated": "x"})
	if root.Annotations[AnnotationRefName] != "" {
		t.Error("NewIndex changed the caller's descriptor")
	}
	if len(idx.Manifests) != 1 || idx.Manifests[0].Annotations[AnnotationRefName] != "sync-7" || idx.Manifests[0].Annotations["keep"] != "me" {
		t.Errorf("root = %+v", idx.Manifests)
	}
	want := map[string]string{AnnotationDeduplicatedSize: "0", AnnotationSerializationVersion: "2", AnnotationToolVersion: "v2"}
	if len(idx.Annotations) != len(want) {
		t.Errorf("annotations = %v, want %v", idx.Annotations, want)
	}
	for k, v := range want {
		if idx.Annotations[k] != v {
			t.Errorf("%s = %q, want %q", k, idx.Annotations[k], v)
		}
	}
}

func TestIndexWithKeepsReferenceKeys(t *testing.T) {
	idx := NewIndex(v1.Descriptor{}, "t", "v1", map[string]string{AnnotationDeduplicatedSize: "10"})
	got := idx.With(map[string]string{AnnotationSerializationVersion: "3", AnnotationDeduplicatedSize: "99", AnnotationSyncID: "abc"})
	if got.Annotations[AnnotationSerializationVersion] != "2" || got.Annotations[AnnotationDeduplicatedSize] != "10" {
		t.Errorf("extensions overrode reference keys: %v", got.Annotations)
	}
	if got.Annotations[AnnotationSyncID] != "abc" {
		t.Errorf("extension missing: %v", got.Annotations)
	}
	if _, ok := idx.Annotations[AnnotationSyncID]; ok {
		t.Error("With changed its receiver")
	}
}

func TestFinalIndex(t *testing.T) {
	root := newBlob("application/vnd.oci.image.index.v1+json", []byte("root")).desc
	a := newBlob("application/vnd.oci.image.manifest.v1+json", []byte("a")).desc
	b := newBlob("application/vnd.oci.image.manifest.v1+json", []byte("b")).desc
	first := NewIndex(root, "tag", "v", nil)
	final := first.Final([]v1.Descriptor{root, a, b})
	if len(final.Manifests) != 3 || final.Manifests[0].Annotations[AnnotationRefName] != "tag" ||
		final.Manifests[1].Digest != a.Digest || final.Manifests[2].Digest != b.Digest {
		t.Errorf("final manifests = %+v, want tagged root, a, b", final.Manifests)
	}
	if len(first.Manifests) != 1 {
		t.Error("Final changed the first copy")
	}
}

func TestVolumeAnnotations(t *testing.T) {
	got := VolumeAnnotations("id-1", 3, false)
	if got[AnnotationSyncID] != "id-1" || got[AnnotationVolumeNumber] != "3" || got[AnnotationVolumeLast] != "false" {
		t.Errorf("got %v", got)
	}
}
