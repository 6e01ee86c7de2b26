package registrytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Layer returns a gzipped tar layer holding size bytes of pseudo-random
// content. The same seed and size give the same layer, digest included, on
// every run; pass one layer to several images to make them share it.
func Layer(t testing.TB, seed, size int64) v1.Layer {
	t.Helper()
	l, err := random.Layer(size, types.OCILayer, random.WithSource(rand.NewSource(seed)))
	if err != nil {
		t.Fatalf("random layer: %v", err)
	}
	return l
}

// Image returns an OCI image for platform made of layers.
func Image(t testing.TB, platform v1.Platform, layers ...v1.Layer) v1.Image {
	t.Helper()
	return image(t, types.OCIManifestSchema1, types.OCIConfigJSON, platform, layers...)
}

// image builds an image of the manifest and config media types given.
func image(t testing.TB, manifest, config types.MediaType, platform v1.Platform, layers ...v1.Layer) v1.Image {
	t.Helper()
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, manifest), config)
	img, err := mutate.AppendLayers(img, layers...)
	if err != nil {
		t.Fatalf("building image: %v", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("building image: %v", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = platform.OS, platform.Architecture, platform.Variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatalf("building image: %v", err)
	}
	return img
}

// seed derives a stable seed from text, so that helpers make the same data
// for the same names on every run.
func seed(text string) int64 {
	h := fnv.New64a()
	h.Write([]byte(text))
	return int64(h.Sum64() >> 1)
}

var linuxAMD64 = v1.Platform{OS: "linux", Architecture: "amd64"}

// PushImage pushes a linux/amd64 OCI image made of layers to ref and returns
// it. With no layers the image gets one 1 KiB layer seeded by ref, so
// different refs get different images and a ref the same image every run.
func PushImage(t testing.TB, ref string, layers ...v1.Layer) v1.Image {
	t.Helper()
	if len(layers) == 0 {
		layers = []v1.Layer{Layer(t, seed(ref), 1024)}
	}
	img := Image(t, linuxAMD64, layers...)
	r := parse(t, ref)
	if err := remote.Write(r, img, options(t)...); err != nil {
		t.Fatalf("pushing image %s: %v", ref, err)
	}
	return img
}

// PushIndex pushes an OCI image index with one small image per platform
// (linux/amd64 and linux/arm64 when none are given) to ref and returns it.
func PushIndex(t testing.TB, ref string, platforms ...v1.Platform) v1.ImageIndex {
	t.Helper()
	if len(platforms) == 0 {
		platforms = []v1.Platform{linuxAMD64, {OS: "linux", Architecture: "arm64"}}
	}
	adds := make([]mutate.IndexAddendum, len(platforms))
	for i, p := range platforms {
		img := Image(t, p, Layer(t, seed(ref+" "+p.String()), 512))
		adds[i] = mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}}
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	if err := remote.WriteIndex(parse(t, ref), idx, options(t)...); err != nil {
		t.Fatalf("pushing index %s: %v", ref, err)
	}
	return idx
}

// PushReferrer pushes an artifact of artifactType whose subject is the
// manifest at subject (a tag or digest reference), by digest into the
// subject's repository, and returns the artifact's descriptor. On registries
// without the referrers API the sha256-<hex> tag is updated too.
func PushReferrer(t testing.TB, subject, artifactType string) v1.Descriptor {
	t.Helper()
	subj := parse(t, subject)
	opts := options(t)
	sd, err := remote.Head(subj, opts...)
	if err != nil {
		t.Fatalf("resolving subject %s: %v", subject, err)
	}
	repo := subj.Context()

	// The config names the type too, for registries that derive artifactType from it.
	cfg := static.NewLayer([]byte("{}"), types.MediaType(artifactType))
	blob := static.NewLayer(fmt.Appendf(nil, "%s for %s", artifactType, sd.Digest), "application/vnd.ferry.test.blob")
	for _, l := range []v1.Layer{cfg, blob} {
		if err := remote.WriteLayer(repo, l, opts...); err != nil {
			t.Fatalf("pushing artifact blob to %s: %v", repo, err)
		}
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  artifactType,
		Config:        descriptor(t, cfg),
		Layers:        []v1.Descriptor{descriptor(t, blob)},
		Subject:       &v1.Descriptor{MediaType: sd.MediaType, Digest: sd.Digest, Size: sd.Size},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	h, size, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(repo.Digest(h.String()), rawManifest{raw, types.OCIManifestSchema1}, opts...); err != nil {
		t.Fatalf("pushing referrer of %s: %v", subject, err)
	}
	return v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: h, Size: size, ArtifactType: artifactType}
}

// rawManifest is a manifest given as bytes, pushed exactly as they are.
type rawManifest struct {
	raw       []byte
	mediaType types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mediaType, nil }

func descriptor(t testing.TB, l v1.Layer) v1.Descriptor {
	t.Helper()
	d, err := l.Digest()
	if err != nil {
		t.Fatal(err)
	}
	size, err := l.Size()
	if err != nil {
		t.Fatal(err)
	}
	mt, err := l.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	return v1.Descriptor{MediaType: mt, Digest: d, Size: size}
}

func parse(t testing.TB, ref string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatalf("reference %q: %v", ref, err)
	}
	return r
}

// options talk to test registries anonymously, whatever the user's docker
// config holds.
func options(t testing.TB) []remote.Option {
	return []remote.Option{remote.WithAuth(authn.Anonymous), remote.WithContext(ctx(t))}
}

// HeadDigest is the digest ref resolves to on its registry, or "" when it
// does not resolve (absent, or the registry does not answer).
func HeadDigest(t testing.TB, ref string) string {
	t.Helper()
	d, err := remote.Head(parse(t, ref), options(t)...)
	if err != nil {
		return ""
	}
	return d.Digest.String()
}
