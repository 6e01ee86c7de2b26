package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"ferry/backend/progress"
	ferryreg "ferry/backend/registry"
	"ferry/backend/registrytest"
	"ferry/backend/sources"
)

func inProcessRegistry(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

func testEnv() Env {
	client := ferryreg.New(nil)
	return Env{Open: func(r name.Repository) Repo { return NewRemoteRepo(client, r) }, Version: "test"}
}

func pushImage(t *testing.T, ref string, img v1.Image) v1.Hash {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return d
}

func TestGatherIndexShapeSizesAndDeterminism(t *testing.T) {
	host := inProcessRegistry(t)
	ctx := context.Background()
	img, _ := random.Image(1000, 2)
	idx, _ := random.Index(500, 1, 2)
	pushImage(t, host+"/app/one:1", img)
	idxRef, _ := name.ParseReference(host + "/app/multi:2")
	if err := remote.WriteIndex(idxRef, idx); err != nil {
		t.Fatal(err)
	}
	srcs := []sources.Source{
		{Line: 3, Ref: host + "/app/one:1", Labels: map[string]string{"module": "test", "component": "core"}},
		{Line: 5, Ref: host + "/app/multi:2"},
		{Line: 6, Ref: host + "/app/one:1", Labels: map[string]string{"module": "other"}}, // listed twice: an entry per line
	}
	o := GatherOptions{Sources: srcs, Dest: host + "/transfer/gather:sync-1", Annotations: map[string]string{"purpose": "test"}}
	res, err := Gather(ctx, testEnv(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Images != 3 {
		t.Errorf("images = %d, want 3 (one per line)", res.Images)
	}
	if res.Stats.Manifests != 4 || res.Stats.Blobs != 7 { // the image, the index and its two images
		t.Errorf("the image listed twice was not copied once: %+v", res.Stats)
	}
	gref, _ := name.ParseReference(o.Dest)
	desc, err := remote.Get(gref)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		MediaType    string                       `json:"mediaType"`
		ArtifactType string                       `json:"artifactType"`
		Manifests    []map[string]json.RawMessage `json:"manifests"`
		Annotations  map[string]string            `json:"annotations"`
	}
	json.Unmarshal(desc.Manifest, &got)
	if got.MediaType != string(types.OCIImageIndex) || got.ArtifactType != ArtifactTypeGather {
		t.Errorf("index types = %q %q", got.MediaType, got.ArtifactType)
	}
	ann := func(i int) map[string]string {
		var a map[string]string
		json.Unmarshal(got.Manifests[i]["annotations"], &a)
		return a
	}
	if len(got.Manifests) != 3 || ann(0)[AnnotationSource] != host+"/app/multi:2" {
		t.Fatalf("entries not sorted by source: %s", desc.Manifest)
	}
	// An entry is what resolving the source gave (media type, digest,
	// size) and Ferry's annotations, nothing more: no artifactType.
	for i, m := range got.Manifests {
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if strings.Join(keys, " ") != "annotations digest mediaType size" {
			t.Errorf("entry %d has fields %v", i, keys)
		}
	}
	one, twice := ann(1), ann(2)
	if one[AnnotationLabels] != `{"component":"core","module":"test"}` || one[AnnotationRefName] != host+"/app/one:1" {
		t.Errorf("entry annotations = %v", one)
	}
	if twice[AnnotationLabels] != `{"module":"other"}` {
		t.Errorf("the second line of one reference lost its labels: %v", twice)
	}
	if _, ok := ann(0)[AnnotationLabels]; ok {
		t.Error("labels annotation on a source without labels")
	}
	// Sizes: every layer of the image and of both index children; each
	// child has its own random layer, so total == dedup here.
	var want int64
	ls, _ := img.Layers()
	for _, l := range ls {
		s, _ := l.Size()
		want += s
	}
	cfgSize := func(i v1.Image) int64 { m, _ := i.Manifest(); return m.Config.Size }
	want += cfgSize(img)
	dedupWant := want
	want *= 2 // the image is listed twice
	im, _ := idx.IndexManifest()
	for _, m := range im.Manifests {
		child, _ := idx.Image(m.Digest)
		cls, _ := child.Layers()
		for _, l := range cls {
			s, _ := l.Size()
			want += s
		}
		want += cfgSize(child)
		dedupWant += cfgSize(child)
		for _, l := range cls {
			s, _ := l.Size()
			dedupWant += s
		}
	}
	if got.Annotations[AnnotationSizeTotal] != strconv.FormatInt(want, 10) || got.Annotations[AnnotationSizeDedup] != strconv.FormatInt(dedupWant, 10) {
		t.Errorf("sizes total=%s dedup=%s, want %d and %d", got.Annotations[AnnotationSizeTotal], got.Annotations[AnnotationSizeDedup], want, dedupWant)
	}
	if got.Annotations["purpose"] != "test" || got.Annotations[AnnotationVersion] != "test" {
		t.Errorf("index annotations = %v", got.Annotations)
	}
	// Every image is in the destination repository by digest.
	for _, m := range got.Manifests {
		var d string
		json.Unmarshal(m["digest"], &d)
		if _, err := remote.Get(gref.Context().Digest(d)); err != nil {
			t.Errorf("%s missing from destination: %v", d, err)
		}
	}
	// A second run gives the same bytes.
	if _, err := Gather(ctx, testEnv(), o); err != nil {
		t.Fatal(err)
	}
	again, _ := remote.Get(gref)
	if !bytes.Equal(again.Manifest, desc.Manifest) {
		t.Error("second gather produced a different index")
	}
}

func TestGatherSharedLayersCountedOnceInDedup(t *testing.T) {
	host := inProcessRegistry(t)
	base, _ := random.Image(2000, 1)
	extra1, _ := random.Layer(300, types.OCILayer)
	extra2, _ := random.Layer(400, types.OCILayer)
	a, _ := mutate.AppendLayers(base, extra1)
	b, _ := mutate.AppendLayers(base, extra2)
	pushImage(t, host+"/a:1", a)
	pushImage(t, host+"/b:1", b)
	res, err := Gather(context.Background(), testEnv(), GatherOptions{
		Sources: []sources.Source{{Ref: host + "/a:1"}, {Ref: host + "/b:1"}}, Dest: host + "/g:1"})
	if err != nil {
		t.Fatal(err)
	}
	shared := base.(interface{ Layers() ([]v1.Layer, error) })
	ls, _ := shared.Layers()
	sharedSize, _ := ls[0].Size()
	if res.SizeTotal-res.SizeDedup != sharedSize {
		t.Errorf("total %d - dedup %d = %d, want the shared layer's %d", res.SizeTotal, res.SizeDedup, res.SizeTotal-res.SizeDedup, sharedSize)
	}
}

func TestGatherReportsEveryUnresolvableSource(t *testing.T) {
	host := inProcessRegistry(t)
	img, _ := random.Image(10, 1)
	pushImage(t, host+"/ok:1", img)
	var items []Item
	env := testEnv()
	env.Item = func(it Item) { items = append(items, it) }
	_, err := Gather(context.Background(), env, GatherOptions{
		Sources: []sources.Source{{Line: 1, Ref: host + "/ok:1"}, {Line: 2, Ref: host + "/missing:1"}, {Line: 4, Ref: host + "/gone:2"}},
		Dest:    host + "/g:1"})
	if err == nil || !strings.Contains(err.Error(), "2 of 3 sources") || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "line 4") {
		t.Fatalf("err = %v", err)
	}
	if _, err := remote.Get(mustRef(t, host+"/g:1")); err == nil {
		t.Error("a gather index was pushed although sources failed")
	}
	if len(items) != 2 || items[0].Status != ItemFailed {
		t.Errorf("items = %+v", items)
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func emptyIndex() v1.ImageIndex { return empty.Index }

// referenceTool is the reference binary, or the test is skipped.
func referenceTool(t *testing.T) string { return registrytest.ReferenceTool(t) }

// rawManifestOf lets remote.Put push exact manifest bytes.
type rawManifestOf struct {
	raw []byte
	mt  types.MediaType
}

func (m rawManifestOf) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifestOf) MediaType() (types.MediaType, error) { return m.mt, nil }

// putManifest pushes raw under ref (a tag or a repository, then by digest)
// and returns its descriptor.
func putManifest(t *testing.T, ref string, mt types.MediaType, raw []byte) v1.Descriptor {
	t.Helper()
	h, size, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	r := byDigestOr(t, ref, h)
	if err := remote.Put(r, rawManifestOf{raw, mt}, remote.WithAuth(authn.Anonymous)); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return v1.Descriptor{MediaType: mt, Digest: h, Size: size}
}

func writeImage(t *testing.T, ref string, img v1.Image) v1.Descriptor {
	t.Helper()
	d, err := partialDescriptor(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(byDigestOr(t, ref, d.Digest), img, remote.WithAuth(authn.Anonymous)); err != nil {
		t.Fatal(err)
	}
	return d
}

// byDigestOr parses ref; a ref ending in "@" means the repository by digest h.
func byDigestOr(t *testing.T, ref string, h v1.Hash) name.Reference {
	t.Helper()
	if repo, ok := strings.CutSuffix(ref, "@"); ok {
		return mustRef(t, repo+"@"+h.String())
	}
	return mustRef(t, ref)
}

func partialDescriptor(m interface {
	Digest() (v1.Hash, error)
	Size() (int64, error)
	MediaType() (types.MediaType, error)
}) (v1.Descriptor, error) {
	d, err := m.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	s, err := m.Size()
	if err != nil {
		return v1.Descriptor{}, err
	}
	mt, err := m.MediaType()
	return v1.Descriptor{MediaType: mt, Digest: d, Size: s}, err
}

func dockerImage(t *testing.T, p v1.Platform, layers ...v1.Layer) v1.Image {
	t.Helper()
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.DockerManifestSchema2), types.DockerConfigJSON)
	img, err := mutate.AppendLayers(img, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func dockerLayer(t *testing.T, seed, size int64) v1.Layer {
	t.Helper()
	l := registrytest.Layer(t, seed, size)
	return mutateLayerType(t, l, types.DockerLayer)
}

// mutateLayerType gives a layer another media type (same bytes).
func mutateLayerType(t *testing.T, l v1.Layer, mt types.MediaType) v1.Layer {
	t.Helper()
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(rc); err != nil {
		t.Fatal(err)
	}
	return static.NewLayer(b.Bytes(), mt)
}

// gatherFixture is a set of sources of every shape gather handles.
type gatherFixture struct {
	host  string
	lines map[string]string // name -> sources.list line
}

var (
	amd64   = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64v8 = v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
)

func buildGatherFixture(t *testing.T, host string) *gatherFixture {
	t.Helper()
	f := &gatherFixture{host: host, lines: map[string]string{}}
	base := registrytest.Layer(t, 1, 2048)
	ref := func(p string) string { return host + "/" + p }

	// Single OCI images sharing a base layer.
	writeImage(t, ref("src/app:1"), registrytest.Image(t, amd64, base, registrytest.Layer(t, 2, 700)))
	f.lines["app"] = ref("src/app:1") + ",component=core,module=test"
	f.lines["app-relabelled"] = ref("src/app:1") + ",module=other"
	writeImage(t, ref("src/app-arm:1"), registrytest.Image(t, arm64v8, base, registrytest.Layer(t, 3, 600)))
	f.lines["app-arm"] = ref("src/app-arm:1")

	// A multi-platform OCI index, written by hand so its child descriptors
	// carry annotations, a variant and an os.version.
	ia := writeImage(t, ref("src/multi@"), registrytest.Image(t, amd64, base, registrytest.Layer(t, 4, 500)))
	ib := writeImage(t, ref("src/multi@"), registrytest.Image(t, arm64v8, registrytest.Layer(t, 5, 400)))
	iw := writeImage(t, ref("src/multi@"), registrytest.Image(t, v1.Platform{OS: "windows", Architecture: "amd64", OSVersion: "10.0.17763"}, registrytest.Layer(t, 6, 300)))
	multi := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[`+
		`{"mediaType":%q,"digest":%q,"size":%d,"annotations":{"org.opencontainers.image.ref.name":"amd"},"platform":{"architecture":"amd64","os":"linux"}},`+
		`{"mediaType":%q,"digest":%q,"size":%d,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},`+
		`{"mediaType":%q,"digest":%q,"size":%d,"platform":{"architecture":"amd64","os":"windows","os.version":"10.0.17763"}}],`+
		`"annotations":{"purpose":"fixture & <test>"}}`,
		ia.MediaType, ia.Digest, ia.Size, ib.MediaType, ib.Digest, ib.Size, iw.MediaType, iw.Digest, iw.Size)
	putManifest(t, ref("src/multi:1"), types.OCIImageIndex, []byte(multi))
	f.lines["multi"] = ref("src/multi:1") + ",component=base"

	// Docker v2: a single image and a manifest list.
	writeImage(t, ref("src/docker:1"), dockerImage(t, amd64, dockerLayer(t, 7, 800)))
	f.lines["docker"] = ref("src/docker:1")
	writeImage(t, ref("src/docker-arm:1"), dockerImage(t, arm64v8, dockerLayer(t, 8, 800)))
	f.lines["docker-arm"] = ref("src/docker-arm:1")
	da := dockerImage(t, amd64, dockerLayer(t, 9, 300))
	db := dockerImage(t, arm64v8, dockerLayer(t, 10, 300))
	list := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.DockerManifestList),
		mutate.IndexAddendum{Add: da, Descriptor: v1.Descriptor{Platform: &amd64}},
		mutate.IndexAddendum{Add: db, Descriptor: v1.Descriptor{Platform: &arm64v8}})
	if err := remote.WriteIndex(mustRef(t, ref("src/dockerlist:1")), list, remote.WithAuth(authn.Anonymous)); err != nil {
		t.Fatal(err)
	}
	f.lines["dockerlist"] = ref("src/dockerlist:1")

	// An artifact whose config is not an image config.
	cfg := static.NewLayer([]byte(`{"kind":"chart"}`), "application/vnd.ferry.test.config.v1+json")
	blob := static.NewLayer([]byte("chart bytes"), "application/vnd.ferry.test.chart.v1.tar")
	for _, l := range []v1.Layer{cfg, blob} {
		if err := remote.WriteLayer(mustRef(t, ref("src/artifact:1")).Context(), l, remote.WithAuth(authn.Anonymous)); err != nil {
			t.Fatal(err)
		}
	}
	cd, _ := partialDescriptor(cfg)
	bd, _ := partialDescriptor(blob)
	art := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.ferry.test.chart","config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[{"mediaType":%q,"digest":%q,"size":%d}]}`,
		cd.MediaType, cd.Digest, cd.Size, bd.MediaType, bd.Digest, bd.Size)
	putManifest(t, ref("src/artifact:1"), types.OCIManifestSchema1, []byte(art))
	f.lines["artifact"] = ref("src/artifact:1")

	// Referrers of app: a signature and an SBOM.
	sig := registrytest.PushReferrer(t, ref("src/app:1"), "application/vnd.dev.cosign.artifact.sig.v1+json")
	registrytest.PushReferrer(t, ref("src/app:1"), "application/spdx+json")
	// The signature as a source of its own, by digest: its subject's blobs count.
	f.lines["sig"] = ref("src/app@" + sig.Digest.String())

	// An index of indexes.
	na := writeImage(t, ref("src/nested@"), registrytest.Image(t, amd64, registrytest.Layer(t, 11, 200)))
	inner := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":%q,"digest":%q,"size":%d,"platform":{"architecture":"amd64","os":"linux"}}]}`,
		na.MediaType, na.Digest, na.Size)
	innerDesc := putManifest(t, ref("src/nested@"), types.OCIImageIndex, []byte(inner))
	outer := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":%q,"digest":%q,"size":%d}]}`,
		innerDesc.MediaType, innerDesc.Digest, innerDesc.Size)
	putManifest(t, ref("src/nested:1"), types.OCIImageIndex, []byte(outer))
	f.lines["nested"] = ref("src/nested:1")

	// An index whose child index's descriptor names a platform: picked
	// whole by -p, as the reference does.
	pa := writeImage(t, ref("src/pnested@"), registrytest.Image(t, arm64v8, registrytest.Layer(t, 12, 200)))
	pinner := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":%q,"digest":%q,"size":%d,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}`,
		pa.MediaType, pa.Digest, pa.Size)
	pinnerDesc := putManifest(t, ref("src/pnested@"), types.OCIImageIndex, []byte(pinner))
	pouter := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":%q,"digest":%q,"size":%d,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}`,
		pinnerDesc.MediaType, pinnerDesc.Digest, pinnerDesc.Size)
	putManifest(t, ref("src/pnested:1"), types.OCIImageIndex, []byte(pouter))
	f.lines["pnested"] = ref("src/pnested:1")
	return f
}

// sourcesFile writes the named fixture lines to a sources.list.
func (f *gatherFixture) sourcesFile(t *testing.T, names ...string) (string, []sources.Source) {
	t.Helper()
	text := "# gather fixture\n"
	for _, n := range names {
		l, ok := f.lines[n]
		if !ok {
			t.Fatalf("no fixture source %q", n)
		}
		text += l + "\n"
	}
	p := filepath.Join(t.TempDir(), "sources.list")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	srcs, _ := sources.Check(text)
	return p, srcs
}

// referenceGather runs `ace-dt mirror gather` and returns the gather index
// bytes it tagged (or its output, on failure).
func referenceGather(t *testing.T, acedt, host, sourcesFile, dest string, flags ...string) ([]byte, error) {
	t.Helper()
	home := t.TempDir()
	cfg := filepath.Join(home, "ace-dt.yaml")
	conf := fmt.Sprintf(`apiVersion: config.dt.act3-ace.io/v1alpha1
kind: Configuration
concurrentHTTP: 1
registryConfig:
  registries:
    %s:
      endpoints:
        - http://%s
`, host, host)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"mirror", "gather", sourcesFile, dest}, flags...)
	cmd := exec.Command(acedt, args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "ACE_DT_CONFIG="+cfg, "ACE_DT_CACHE_PATH="+filepath.Join(home, "cache"),
		"XDG_CONFIG_HOME="+home, "XDG_CACHE_HOME="+home, "DOCKER_CONFIG="+home)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("ace-dt %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	d, err := remote.Get(mustRef(t, dest), remote.WithAuth(authn.Anonymous))
	if err != nil {
		return nil, err
	}
	return d.Manifest, nil
}

var versionValue = regexp.MustCompile(`("` + regexp.QuoteMeta(AnnotationVersion) + `":)"[^"]*"`)

// withoutVersion blanks the version annotation's value, the one part of a
// gather index that names the tool that wrote it.
func withoutVersion(raw []byte) []byte {
	return versionValue.ReplaceAll(raw, []byte(`$1"-"`))
}

// normalised is a gather index with what differs between runs made fixed:
// the version value and the registry's address.
func normalised(raw []byte, host string) []byte {
	return bytes.ReplaceAll(withoutVersion(raw), []byte(host), []byte("registry.test"))
}

// gatherCases are the command lines compared with the reference. golden is
// the sha256 of the reference's index for the fixture, normalised, so that
// Ferry is held to it where the reference tool is not installed.
var gatherCases = []struct {
	name   string
	lines  []string
	flags  []string
	o      GatherOptions
	golden string
}{
	{"plain", allFixtureLines, nil, GatherOptions{}, "cae1f51cab433e90f14d27ba1331b8d6a5f024c6068bffa7cbcd796869abb5c3"},
	{"annotations", allFixtureLines, []string{"-a", "purpose=test", "-a", "team=ops"},
		GatherOptions{Annotations: map[string]string{"purpose": "test", "team": "ops"}}, "d709559b4233ed7025c19f29f45c4e007976a4209d8d7935c26b7f5553cc4d9a"},
	{"index-fallback", allFixtureLines, []string{"--index-fallback"}, GatherOptions{IndexFallback: true}, "c043a75ab4146ec99a596e27bc2e6aecf999d4652dff64d98143185c4b1d88ea"},
	{"referrers", allFixtureLines, []string{"-r"}, GatherOptions{Referrers: true}, "cae1f51cab433e90f14d27ba1331b8d6a5f024c6068bffa7cbcd796869abb5c3"},
	{"duplicates", []string{"app", "multi", "app", "app-relabelled"}, nil, GatherOptions{}, "2884b64c4025e36b04f8cc6b20ec7e231854503111a690d8e69dd50cc544195e"},
	// The reference crashes on an index of indexes with -p, and keeps a
	// Docker image of another platform: those are left to TestGatherPlatformFilter.
	{"platform", []string{"app", "app-arm", "multi", "docker", "dockerlist", "artifact", "sig"}, []string{"-p", "linux/amd64"},
		GatherOptions{Platforms: []string{"linux/amd64"}}, "55bdcb0358dda8f1676d298edc3bc4d811c64ac75a90f27b8dbedc78f825b31c"},
	{"platforms", []string{"app", "multi", "dockerlist", "artifact"}, []string{"-p", "linux/arm64", "-p", "windows/amd64:10.0.17763"},
		GatherOptions{Platforms: []string{"linux/arm64", "windows/amd64:10.0.17763"}}, "2fdbd3c94ecbd70ac9028705560309ff2222e24ce97e349d4d6699a77c9ce67b"},
	{"platform-fallback", []string{"multi", "pnested"}, []string{"-p", "linux/arm64/v8", "--index-fallback"},
		GatherOptions{Platforms: []string{"linux/arm64/v8"}, IndexFallback: true}, "7415263b7c351e2762f8d0bc67424dc6e58c26772d9f42f28289118fd8de2bc8"},
}

var allFixtureLines = []string{"app", "app-arm", "multi", "docker", "docker-arm", "dockerlist", "artifact", "sig", "nested"}

// TestGatherIndexMatchesReference gathers the same sources with the same
// flags as the reference tool and compares the index bytes; without the
// reference it holds Ferry to the digests the reference wrote.
func TestGatherIndexMatchesReference(t *testing.T) {
	reg := registrytest.Start(t)
	f := buildGatherFixture(t, reg.Host())
	for _, c := range gatherCases {
		t.Run(c.name, func(t *testing.T) {
			file, srcs := f.sourcesFile(t, c.lines...)
			o := c.o
			o.Sources, o.Dest = srcs, reg.Ref("ferry/gather:"+c.name)
			if _, err := Gather(context.Background(), testEnv(), o); err != nil {
				t.Fatal(err)
			}
			d, err := remote.Get(mustRef(t, o.Dest))
			if err != nil {
				t.Fatal(err)
			}
			got := normalised(d.Manifest, reg.Host())
			if h := sha256Of(got).Hex; h != c.golden {
				t.Errorf("Ferry's index digest %s, the reference wrote %s:\n%s", h, c.golden, got)
			}
			t.Run("ace-dt", func(t *testing.T) {
				acedt := referenceTool(t)
				refRaw, err := referenceGather(t, acedt, reg.Host(), file, reg.Ref("reference/gather:"+c.name), c.flags...)
				if err != nil {
					t.Fatal(err)
				}
				want := normalised(refRaw, reg.Host())
				if !bytes.Equal(got, want) {
					t.Errorf("gather index differs from the reference's\nferry:     %s\nreference: %s", got, want)
				}
				if h := sha256Of(want).Hex; h != c.golden {
					t.Errorf("the reference writes %s for this case; recorded: %s", h, c.golden)
				}
			})
		})
	}
}

// A tag written by someone else while a gather runs is not overwritten.
func TestGatherRefusesATagThatChangedMeanwhile(t *testing.T) {
	host := registrytest.InProcess(t)
	one := host + "/app/one:1"
	registrytest.PushImage(t, one, registrytest.Layer(t, 1, 3000))
	other := host + "/app/other:1"
	registrytest.PushImage(t, other, registrytest.Layer(t, 2, 3000))
	dest := host + "/transfer/gather:sync-1"
	env := testEnv()
	var once sync.Once
	var theirs v1.Hash
	env.Progress = func(e progress.Event) {
		if e.Phase == "copy" {
			// Another gather tags first, while this one copies.
			once.Do(func() { theirs, _ = registrytest.PushImage(t, dest, registrytest.Layer(t, 3, 100)).Digest() })
		}
	}
	_, err := Gather(context.Background(), env, GatherOptions{Sources: []sources.Source{{Line: 1, Ref: one}}, Dest: dest})
	if err == nil || !strings.Contains(err.Error(), "changed while this gather ran") {
		t.Fatalf("err = %v", err)
	}
	if got := registrytest.HeadDigest(t, dest); got != theirs.String() {
		t.Errorf("the tag holds %s, want the other writer's %s", got, theirs)
	}
}
