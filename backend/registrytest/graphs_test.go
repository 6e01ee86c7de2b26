package registrytest

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestPushGraphIsCompleteAndDeterministic(t *testing.T) {
	first := PushGraph(t, InProcess(t))
	second := PushGraph(t, Start(t).Host())
	if len(first.Digests) != len(GraphSources) {
		t.Fatalf("pushed %d sources, GraphSources lists %d", len(first.Digests), len(GraphSources))
	}
	reached := map[v1.Hash]bool{}
	walks := map[string]*Walked{}
	for _, path := range GraphSources {
		if first.Digests[path] != second.Digests[path] {
			t.Errorf("%s: digest %s on one registry, %s on another", path, first.Digests[path], second.Digests[path])
		}
		w := Walk(t, second.Ref(path), true)
		walks[path] = w
		for _, p := range w.Problems {
			t.Errorf("%s: %s", path, p)
		}
		if w.Root.Digest != second.Digests[path] {
			t.Errorf("%s: root %s, pushed %s", path, w.Root.Digest, second.Digests[path])
		}
		for d := range w.Manifests {
			reached[d] = true
		}
	}
	// Every referrer is found from its subject; on Distribution through
	// the sha256-<hex> tag.
	refs := second.AllReferrers()
	if len(refs) != 5 {
		t.Errorf("%d referrers, want 5", len(refs))
	}
	for _, d := range refs {
		if !reached[d] {
			t.Errorf("referrer %s is not found from its subject", d)
		}
	}
	// The manifest-as-layer shape: the outer artifact reaches both inner
	// manifests as blobs, and they are manifests of sources of their own.
	outer := walks[GraphOuter]
	inner := second.Digests[GraphInner]
	if !outer.Blobs[inner] || !walks[GraphInner].Manifests[inner] {
		t.Errorf("%s is not both a layer of %s and a manifest", GraphInner, GraphOuter)
	}
	n := 0
	for d := range walks[GraphInnerIndex].Manifests {
		if outer.Blobs[d] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d children of %s are layers of %s, want 1", n, GraphInnerIndex, GraphOuter)
	}
}

// A manifest pushed only as a manifest is not a blob: Walk must say so, as
// it must for a layer never pushed.
func TestWalkReportsWhatIsMissing(t *testing.T) {
	host := InProcess(t)
	b := &graphBuilder{t: t, g: &Graph{Host: host, Digests: map[string]v1.Hash{}}}
	inner := Image(t, linuxAMD64, Layer(t, 1, 100))
	b.write("app/inner:v1", inner)
	innerDesc := describe(t, inner)
	innerDesc.MediaType = types.OCILayer
	ghost := v1.Descriptor{MediaType: types.OCILayer, Digest: digestOf([]byte("never pushed")), Size: 12}
	b.manifest("app/outer:v1", types.OCIManifestSchema1, map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.OCIManifestSchema1,
		"config":        b.blob("app/outer:v1", []byte("{}"), EmptyConfigType),
		"layers":        []v1.Descriptor{innerDesc, ghost},
	})
	w := Walk(t, b.g.Ref("app/outer:v1"), false)
	if len(w.Problems) != 2 || w.Complete() {
		t.Fatalf("problems %q, want the manifest-as-layer and the ghost layer", w.Problems)
	}
	if w := Walk(t, b.g.Ref("app/inner:v1"), false); !w.Complete() {
		t.Errorf("inner: %q", w.Problems)
	}
	if w := Walk(t, host+"/app/none:v1", false); w.Complete() {
		t.Error("a missing root is complete")
	}
}
