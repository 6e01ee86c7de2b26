package registrytest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The sources of the interop graph, as repository:tag paths under its host.
// They sort in this order, which matters: the manifest-as-layer artifact
// (mal/a-outer) comes before the manifest whose bytes it carries as a layer
// (mal/b-inner), and before the index holding the other such manifest.
const (
	GraphArtifact     = "artifact/empty-config:v1" // config application/vnd.oci.empty.v1+json, artifactType set
	GraphDockerImage  = "docker/image:v1"          // Docker v2 schema 2 manifest
	GraphDockerList   = "docker/list:v1"           // Docker manifest list
	GraphEmptyLayer   = "empty/layer:v1"           // OCI image with a size 0 layer
	GraphImage        = "image/plain:v1"           // OCI image; has a signature and an SBOM
	GraphMulti        = "index/multi:v1"           // three platforms; signed index, SBOM on linux/arm64
	GraphNested       = "index/nested:v1"          // an index of indexes
	GraphIndexSubject = "index/subject:v1"         // an index with a subject
	GraphOuter        = "mal/a-outer:v1"           // its layers are the bytes of two manifests
	GraphInner        = "mal/b-inner:v1"           // a manifest that is also a layer of mal/a-outer
	GraphInnerIndex   = "mal/c-index:v1"           // its child is also a layer of mal/a-outer
	GraphOddSubject   = "subject/odd:v1"           // subject descriptor of a blob media type
)

// GraphSources lists every source of the interop graph, sorted.
var GraphSources = []string{
	GraphArtifact, GraphDockerImage, GraphDockerList, GraphEmptyLayer, GraphImage, GraphMulti,
	GraphNested, GraphIndexSubject, GraphOuter, GraphInner, GraphInnerIndex, GraphOddSubject,
}

// Media types the graph uses beyond the usual image ones.
const (
	EmptyConfigType  = "application/vnd.oci.empty.v1+json"
	SignatureType    = "application/vnd.dev.cosign.artifact.sig.v1+json"
	SBOMType         = "application/spdx+json"
	testArtifactType = "application/vnd.ferry.test.artifact"
	testDataType     = "application/vnd.ferry.test.data"
)

// Graph is the interop graph as pushed to one registry.
type Graph struct {
	Host string
	// Digests maps each source path to the digest of its manifest.
	Digests map[string]v1.Hash
	// Referrers are the signatures and SBOMs pushed with a subject, keyed
	// by the digest of their subject.
	Referrers map[v1.Hash][]v1.Descriptor
}

// Ref is the source at path on the graph's host.
func (g *Graph) Ref(path string) string { return g.Host + "/" + path }

// AllReferrers lists the digest of every referrer of the graph, sorted.
func (g *Graph) AllReferrers() []v1.Hash {
	var all []v1.Hash
	for _, ds := range g.Referrers {
		for _, d := range ds {
			all = append(all, d.Digest)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].String() < all[j].String() })
	return all
}

// PushGraph pushes the interop graph to host: small (a few KiB), and the
// same bytes and digests on every run. It covers the shapes transfers get
// wrong: a manifest whose bytes are also a plain layer of another manifest
// (as a source of its own and as an index child), an index of indexes, a
// subject on an index, a subject whose media type is not a manifest type,
// Docker v2 manifests and manifest lists, a size 0 layer, an artifact with
// the empty config, multi-platform indexes, and signatures and SBOMs as
// referrers (found through the sha256-<hex> tag on registries without the
// referrers API).
func PushGraph(t testing.TB, host string) *Graph {
	t.Helper()
	b := &graphBuilder{t: t, g: &Graph{Host: host, Digests: map[string]v1.Hash{}, Referrers: map[v1.Hash][]v1.Descriptor{}}}
	amd64 := v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := v1.Platform{OS: "linux", Architecture: "arm64"}
	armv7 := v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	shared := Layer(t, seed("shared layer"), 700)

	// Artifact: the empty config, a data layer and an artifactType.
	emptyCfg := b.blob(GraphArtifact, []byte("{}"), EmptyConfigType)
	b.manifest(GraphArtifact, types.OCIManifestSchema1, map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.OCIManifestSchema1,
		"artifactType":  testArtifactType,
		"config":        emptyCfg,
		"layers":        []v1.Descriptor{b.blob(GraphArtifact, []byte("artifact data\n"), testDataType)},
		"annotations":   map[string]string{"org.opencontainers.image.title": "artifact"},
	})

	// Docker v2 image and manifest list.
	b.write(GraphDockerImage, dockerImage(t, amd64, dockerLayer(t, "docker image")))
	b.writeIndex(GraphDockerList, index(types.DockerManifestList,
		platformed(dockerImage(t, amd64, dockerLayer(t, "docker list amd64")), amd64),
		platformed(dockerImage(t, arm64, dockerLayer(t, "docker list arm64")), arm64)))

	// OCI image with a size 0 layer between two others.
	b.write(GraphEmptyLayer, Image(t, amd64,
		Layer(t, seed("empty layer before"), 300), static.NewLayer(nil, types.OCIUncompressedLayer), shared))

	// OCI image sharing a layer with the multi-platform index.
	b.write(GraphImage, Image(t, amd64, shared, Layer(t, seed("plain image"), 900)))

	// Multi-platform index.
	multi := index(types.OCIImageIndex,
		platformed(Image(t, amd64, shared, Layer(t, seed("multi amd64"), 400)), amd64),
		platformed(Image(t, arm64, Layer(t, seed("multi arm64"), 400)), arm64),
		platformed(Image(t, armv7, Layer(t, seed("multi armv7"), 400)), armv7))
	b.writeIndex(GraphMulti, multi)

	// Index of indexes: two child indexes and an image.
	ppc := v1.Platform{OS: "linux", Architecture: "ppc64le"}
	b.writeIndex(GraphNested, index(types.OCIImageIndex,
		mutate.IndexAddendum{Add: index(types.OCIImageIndex,
			platformed(Image(t, amd64, Layer(t, seed("nested a amd64"), 300)), amd64),
			platformed(Image(t, arm64, Layer(t, seed("nested a arm64"), 300)), arm64))},
		mutate.IndexAddendum{Add: index(types.OCIImageIndex,
			platformed(Image(t, armv7, Layer(t, seed("nested b armv7"), 300)), armv7))},
		platformed(Image(t, ppc, Layer(t, seed("nested ppc64le"), 300)), ppc)))

	// An index whose subject is an image of its repository.
	base := Image(t, amd64, Layer(t, seed("subject base"), 300))
	b.writeAs(GraphIndexSubject, "base", base)
	baseDesc := describe(t, base)
	child := Image(t, amd64, Layer(t, seed("index with subject child"), 300))
	b.writeAs(GraphIndexSubject, "", child)
	childDesc := describe(t, child)
	childDesc.Platform = &amd64
	b.manifest(GraphIndexSubject, types.OCIImageIndex, map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.OCIImageIndex,
		"artifactType":  testArtifactType,
		"subject":       baseDesc,
		"manifests":     []v1.Descriptor{childDesc},
	})

	// Manifest as a layer: inner is a source of its own, innerChild a child
	// of an index, and outer carries both manifests' bytes as layers.
	inner := Image(t, amd64, Layer(t, seed("inner"), 500))
	innerChild := Image(t, arm64, Layer(t, seed("inner child"), 500))
	layers := make([]v1.Descriptor, 0, 3)
	for _, m := range []v1.Image{inner, innerChild} {
		d := describe(t, m)
		raw, err := m.RawManifest()
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, b.blob(GraphOuter, raw, types.OCILayer))
		if layers[len(layers)-1].Digest != d.Digest {
			t.Fatal("manifest bytes pushed as a blob changed digest")
		}
	}
	layers = append(layers, b.blob(GraphOuter, []byte("outer data\n"), testDataType))
	b.manifest(GraphOuter, types.OCIManifestSchema1, map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.OCIManifestSchema1,
		"artifactType":  testArtifactType,
		"config":        b.blob(GraphOuter, []byte("{}"), EmptyConfigType),
		"layers":        layers,
	})
	b.write(GraphInner, inner)
	b.writeIndex(GraphInnerIndex, index(types.OCIImageIndex, platformed(innerChild, arm64)))

	// Subject of a blob media type, pointing at a blob of the repository.
	target := b.blob(GraphOddSubject, []byte("a blob that is a subject\n"), "application/octet-stream")
	b.manifest(GraphOddSubject, types.OCIManifestSchema1, map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.OCIManifestSchema1,
		"artifactType":  testArtifactType,
		"config":        b.blob(GraphOddSubject, []byte("{}"), EmptyConfigType),
		"layers":        []v1.Descriptor{b.blob(GraphOddSubject, []byte("note\n"), testDataType)},
		"subject":       target,
	})

	// Referrers: signatures and SBOMs.
	b.referrer(GraphImage, "", SignatureType)
	b.referrer(GraphImage, "", SBOMType)
	b.referrer(GraphMulti, "", SignatureType)
	b.referrer(GraphMulti, childDigest(t, multi, 1).String(), SBOMType)
	b.referrer(GraphDockerImage, "", SignatureType)
	return b.g
}

type graphBuilder struct {
	t testing.TB
	g *Graph
}

func (b *graphBuilder) repo(path string) name.Repository {
	return parse(b.t, b.g.Ref(path)).Context()
}

func (b *graphBuilder) tagged(path string) name.Reference { return parse(b.t, b.g.Ref(path)) }

// blob pushes data to the repository of path and returns its descriptor.
func (b *graphBuilder) blob(path string, data []byte, mt types.MediaType) v1.Descriptor {
	b.t.Helper()
	l := static.NewLayer(data, mt)
	if err := remote.WriteLayer(b.repo(path), l, options(b.t)...); err != nil {
		b.t.Fatalf("pushing blob to %s: %v", path, err)
	}
	return descriptor(b.t, l)
}

// manifest pushes the JSON of m to path's tag and records its digest.
func (b *graphBuilder) manifest(path string, mt types.MediaType, m any) {
	b.t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		b.t.Fatal(err)
	}
	if err := remote.Put(b.tagged(path), rawManifest{raw, mt}, options(b.t)...); err != nil {
		b.t.Fatalf("pushing %s: %v", path, err)
	}
	b.g.Digests[path] = digestOf(raw)
}

func (b *graphBuilder) write(path string, img v1.Image) {
	b.t.Helper()
	b.writeAs(path, strings.SplitN(path, ":", 2)[1], img)
	b.g.Digests[path] = describe(b.t, img).Digest
}

// writeAs pushes img to path's repository under tag, or by digest when tag
// is empty.
func (b *graphBuilder) writeAs(path, tag string, img v1.Image) {
	b.t.Helper()
	var ref name.Reference = b.repo(path).Tag(tag)
	if tag == "" {
		ref = b.repo(path).Digest(describe(b.t, img).Digest.String())
	}
	if err := remote.Write(ref, img, options(b.t)...); err != nil {
		b.t.Fatalf("pushing %s: %v", path, err)
	}
}

func (b *graphBuilder) writeIndex(path string, idx v1.ImageIndex) {
	b.t.Helper()
	if err := remote.WriteIndex(b.tagged(path), idx, options(b.t)...); err != nil {
		b.t.Fatalf("pushing %s: %v", path, err)
	}
	d, err := idx.Digest()
	if err != nil {
		b.t.Fatal(err)
	}
	b.g.Digests[path] = d
}

// referrer pushes an artifact of artifactType about the manifest at path
// (or about subject, a digest in path's repository, when given).
func (b *graphBuilder) referrer(path, subject, artifactType string) {
	b.t.Helper()
	ref := b.g.Ref(path)
	if subject != "" {
		ref = b.repo(path).Digest(subject).String()
	}
	d := PushReferrer(b.t, ref, artifactType)
	s := b.g.Digests[path]
	if subject != "" {
		s, _ = v1.NewHash(subject)
	}
	b.g.Referrers[s] = append(b.g.Referrers[s], d)
}

func dockerLayer(t testing.TB, text string) v1.Layer {
	t.Helper()
	l, err := random.Layer(300, types.DockerLayer, random.WithSource(rand.NewSource(seed(text))))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// dockerImage is a Docker v2 schema 2 image for platform.
func dockerImage(t testing.TB, platform v1.Platform, layers ...v1.Layer) v1.Image {
	t.Helper()
	return image(t, types.DockerManifestSchema2, types.DockerConfigJSON, platform, layers...)
}

func platformed(img v1.Image, p v1.Platform) mutate.IndexAddendum {
	return mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}}
}

func index(mt types.MediaType, adds ...mutate.IndexAddendum) v1.ImageIndex {
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, mt), adds...)
}

// describe is the descriptor of a manifest.
func describe(t testing.TB, m interface {
	RawManifest() ([]byte, error)
	MediaType() (types.MediaType, error)
}) v1.Descriptor {
	t.Helper()
	raw, err := m.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	mt, err := m.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	return v1.Descriptor{MediaType: mt, Digest: digestOf(raw), Size: int64(len(raw))}
}

func childDigest(t testing.TB, idx v1.ImageIndex, i int) v1.Hash {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	return im.Manifests[i].Digest
}

func digestOf(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// IsManifestType reports whether mt is a manifest or index media type, which
// a registry serves from /manifests/ rather than /blobs/.
func IsManifestType(mt types.MediaType) bool {
	switch mt {
	case types.OCIManifestSchema1, types.OCIImageIndex, types.DockerManifestSchema2, types.DockerManifestList,
		types.DockerManifestSchema1, types.DockerManifestSchema1Signed:
		return true
	}
	return false
}

// Walked is what Walk found of a graph in a registry.
type Walked struct {
	Root      v1.Descriptor
	Manifests map[v1.Hash]bool // reached as a manifest and served whole
	Blobs     map[v1.Hash]bool // reached as a blob and served whole
	// Problems lists each node that is absent or whose bytes do not match
	// their descriptor, one line each, sorted.
	Problems []string
}

// Complete reports whether every node was served.
func (w *Walked) Complete() bool { return len(w.Problems) == 0 }

// Walk reads the whole graph under ref (a tag or digest) with an independent
// client: every manifest is fetched by digest from /manifests/ and every blob
// from /blobs/, and each is checked against its descriptor's digest and size.
// The same digest reached both as a manifest and as a blob is fetched both
// ways. With referrers, the referrers of every manifest (referrers API, or
// the sha256-<hex> tag) are walked too. A node that cannot be read is a
// problem, not a fatal error, so that a test can report every one of them.
func Walk(t testing.TB, ref string, referrers bool) *Walked {
	t.Helper()
	r := parse(t, ref)
	w := &Walked{Manifests: map[v1.Hash]bool{}, Blobs: map[v1.Hash]bool{}}
	root, err := remote.Get(r, options(t)...)
	if err != nil {
		w.Problems = append(w.Problems, fmt.Sprintf("%s: %v", ref, err))
		return w
	}
	w.Root = root.Descriptor
	wk := walker{t: t, repo: r.Context(), w: w, referrers: referrers, seen: map[string]bool{}}
	wk.manifest(root.Descriptor, "root "+ref)
	sort.Strings(w.Problems)
	return w
}

type walker struct {
	t         testing.TB
	repo      name.Repository
	w         *Walked
	referrers bool
	seen      map[string]bool // "m"/"b" + digest: per (digest, role)
}

func (k *walker) problem(format string, args ...any) {
	k.w.Problems = append(k.w.Problems, fmt.Sprintf(format, args...))
}

func (k *walker) node(d v1.Descriptor, via string) {
	if IsManifestType(d.MediaType) {
		k.manifest(d, via)
	} else {
		k.blob(d, via)
	}
}

func (k *walker) blob(d v1.Descriptor, via string) {
	if k.seen["b"+d.Digest.String()] {
		return
	}
	k.seen["b"+d.Digest.String()] = true
	data, err := k.readBlob(d.Digest)
	if err != nil {
		k.problem("blob %s (%s, %s): %v", d.Digest, d.MediaType, via, err)
		return
	}
	if got := digestOf(data); got != d.Digest || int64(len(data)) != d.Size {
		k.problem("blob %s (%s, %s): served %d bytes of digest %s, want %d", d.Digest, d.MediaType, via, len(data), got, d.Size)
		return
	}
	k.w.Blobs[d.Digest] = true
}

func (k *walker) readBlob(d v1.Hash) ([]byte, error) {
	l, err := remote.Layer(k.repo.Digest(d.String()), options(k.t)...)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// manifestJSON holds the fields of every manifest and index kind that name
// children.
type manifestJSON struct {
	MediaType   types.MediaType   `json:"mediaType"`
	Config      *v1.Descriptor    `json:"config"`
	Layers      []v1.Descriptor   `json:"layers"`
	Manifests   []v1.Descriptor   `json:"manifests"`
	Subject     *v1.Descriptor    `json:"subject"`
	Annotations map[string]string `json:"annotations"`
}

// ExtraManifestsKey holds the nested indexes a gather index with index
// fallback moved out of its manifests.
const ExtraManifestsKey = "vnd.act3-ace.data.extra-manifests"

func (k *walker) manifest(d v1.Descriptor, via string) {
	if k.seen["m"+d.Digest.String()] {
		return
	}
	k.seen["m"+d.Digest.String()] = true
	got, err := remote.Get(k.repo.Digest(d.Digest.String()), options(k.t)...)
	if err != nil {
		k.problem("manifest %s (%s, %s): %v", d.Digest, d.MediaType, via, err)
		return
	}
	if digestOf(got.Manifest) != d.Digest || int64(len(got.Manifest)) != d.Size {
		k.problem("manifest %s (%s, %s): served %d bytes of digest %s, want %d", d.Digest, d.MediaType, via, len(got.Manifest), digestOf(got.Manifest), d.Size)
		return
	}
	k.w.Manifests[d.Digest] = true
	var m manifestJSON
	if err := json.Unmarshal(got.Manifest, &m); err != nil {
		k.problem("manifest %s (%s): %v", d.Digest, via, err)
		return
	}
	here := "in " + d.Digest.String()
	if m.Subject != nil {
		k.node(*m.Subject, "subject "+here)
	}
	if m.Config != nil {
		k.blob(*m.Config, "config "+here)
	}
	for _, l := range m.Layers {
		k.blob(l, "layer "+here)
	}
	children := slices.Clone(m.Manifests)
	if extra := m.Annotations[ExtraManifestsKey]; extra != "" {
		var more []v1.Descriptor
		if err := json.Unmarshal([]byte(extra), &more); err != nil {
			k.problem("manifest %s: %s: %v", d.Digest, ExtraManifestsKey, err)
		}
		children = append(children, more...)
	}
	for _, c := range children {
		k.node(c, "child "+here)
	}
	if k.referrers {
		idx, err := remote.Referrers(k.repo.Digest(d.Digest.String()), options(k.t)...)
		if err != nil {
			k.problem("referrers of %s: %v", d.Digest, err)
			return
		}
		im, err := idx.IndexManifest()
		if err != nil {
			k.problem("referrers of %s: %v", d.Digest, err)
			return
		}
		for _, r := range im.Manifests {
			k.manifest(r, "referrer of "+d.Digest.String())
		}
	}
}
