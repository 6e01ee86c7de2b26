package mirror

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"ferry/backend/registrytest"
	"ferry/backend/sources"
)

func TestParsePlatforms(t *testing.T) {
	got, err := parsePlatforms([]string{"linux/amd64", "linux/arm64/v8,windows/amd64:10.0.17763"})
	want := []ocispec.Platform{
		{OS: "linux", Architecture: "amd64"},
		{OS: "linux", Architecture: "arm64", Variant: "v8"},
		{OS: "windows", Architecture: "amd64", OSVersion: "10.0.17763"},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("parsePlatforms = %+v, %v", got, err)
	}
	if got, err := parsePlatforms([]string{"linux/amd64", "all"}); got != nil || err != nil {
		t.Errorf(`"all" = %+v, %v; want no filtering`, got, err)
	}
	for _, bad := range []string{"linux", "linux/", "/amd64", "linux/arm/v7/x", "al"} {
		if _, err := parsePlatforms([]string{bad}); err == nil || !strings.Contains(err.Error(), "os/arch[/variant]") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func TestPlatformMatches(t *testing.T) {
	got := &ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8", OSFeatures: []string{"a", "b"}}
	for _, c := range []struct {
		want ocispec.Platform
		ok   bool
	}{
		{ocispec.Platform{OS: "linux", Architecture: "arm64"}, true}, // no variant wanted: any
		{ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, true},
		{ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v7"}, false},
		{ocispec.Platform{OS: "linux", Architecture: "amd64"}, false},
		{ocispec.Platform{OS: "linux", Architecture: "arm64", OSVersion: "1"}, false},
		{ocispec.Platform{OS: "linux", Architecture: "arm64", OSFeatures: []string{"b"}}, true},
		{ocispec.Platform{OS: "linux", Architecture: "arm64", OSFeatures: []string{"c"}}, false},
	} {
		if platformMatches(got, []ocispec.Platform{c.want}) != c.ok {
			t.Errorf("%+v matches %+v: want %v", got, c.want, c.ok)
		}
	}
	if platformMatches(nil, []ocispec.Platform{{OS: "linux", Architecture: "amd64"}}) {
		t.Error("a descriptor without a platform matched")
	}
}

// gatherEntryOf is a gather index entry as the tests read it.
type gatherEntryOf struct {
	Digest      string            `json:"digest"`
	Platform    *ocispec.Platform `json:"platform"`
	Annotations map[string]string `json:"annotations"`
}

func TestGatherPlatformFilter(t *testing.T) {
	reg := registrytest.Start(t)
	f := buildGatherFixture(t, reg.Host())
	_, srcs := f.sourcesFile(t, "app", "app-arm", "multi", "docker-arm", "dockerlist", "artifact", "sig", "nested")
	rec := &recorder{}
	dest := reg.Ref("ferry/gather:p")
	res, err := Gather(context.Background(), rec.env(), GatherOptions{Sources: srcs, Dest: dest, Platforms: []string{"linux/amd64"}})
	if err != nil {
		t.Fatal(err)
	}

	// Each image of another platform is left out with a warning naming it,
	// in the result and on the run's items.
	if len(res.Warnings) != 1 ||
		!strings.Contains(res.Warnings[0], reg.Ref("src/app-arm:1")+" (line 3) left out: nothing for platform linux/amd64 (the image is linux/arm64/v8)") {
		t.Errorf("warnings = %q", res.Warnings)
	}
	// The plan shown before the run gives the same warnings.
	planned, err := PlatformWarnings(context.Background(), testEnv(), srcs, []string{"linux/amd64"})
	if err != nil || !reflect.DeepEqual(planned, res.Warnings) {
		t.Errorf("planned warnings %q (%v), gather's %q", planned, err, res.Warnings)
	}
	skipped := rec.with(ItemSkipped)
	if len(skipped) != 1 || skipped[0].Source != reg.Ref("src/app-arm:1") || skipped[0].Error != res.Warnings[0] {
		t.Errorf("skipped items = %+v", skipped)
	}

	raw := manifestBytes(t, dest)
	var idx struct{ Manifests []gatherEntryOf }
	if err := json.Unmarshal(raw, &idx); err != nil {
		t.Fatal(err)
	}
	bySource := map[string]gatherEntryOf{}
	for _, e := range idx.Manifests {
		bySource[strings.TrimPrefix(e.Annotations[AnnotationSource], reg.Host()+"/src/")] = e
		if _, err := remote.Get(mustRef(t, reg.Ref("ferry/gather@"+e.Digest)), remote.WithAuth(authn.Anonymous)); err != nil {
			t.Errorf("%s not gathered: %v", e.Digest, err)
		}
	}
	var keys []string
	for k := range bySource {
		keys = append(keys, k)
	}
	if len(idx.Manifests) != 7 || len(bySource) != 7 {
		t.Fatalf("entries for %v, want app, artifact, docker-arm, dockerlist, multi, nested and the signature", keys)
	}

	// An index gives its matching child, with the child's platform and the
	// source's own index bytes; the child's own annotations are replaced.
	for _, name := range []string{"multi:1", "dockerlist:1"} {
		e := bySource[name]
		if e.Platform == nil || e.Platform.OS != "linux" || e.Platform.Architecture != "amd64" {
			t.Errorf("%s: platform %+v", name, e.Platform)
		}
		if e.Annotations[AnnotationSourceIndex] != string(manifestBytes(t, reg.Ref("src/"+name))) {
			t.Errorf("%s: source-index is not the source's index", name)
		}
		if e.Annotations[AnnotationRefName] != reg.Ref("src/"+name) {
			t.Errorf("%s: annotations %v", name, e.Annotations)
		}
	}
	// An index of indexes is searched: its inner index's amd64 image.
	nested := bySource["nested:1"]
	if nested.Platform == nil || nested.Platform.Architecture != "amd64" ||
		nested.Annotations[AnnotationSourceIndex] != string(manifestBytes(t, reg.Ref("src/nested:1"))) {
		t.Errorf("nested entry = %+v", nested)
	}
	var inner struct{ Manifests []gatherEntryOf }
	json.Unmarshal(manifestBytes(t, reg.Ref("src/nested@"+innerIndexDigest(t, reg.Ref("src/nested:1")))), &inner)
	if len(inner.Manifests) != 1 || nested.Digest != inner.Manifests[0].Digest {
		t.Errorf("nested entry %s is not the inner index's image %+v", nested.Digest, inner.Manifests)
	}
	// A single image and an artifact keep the resolved descriptor.
	if bySource["app:1"].Platform != nil || bySource["artifact:1"].Digest == "" {
		t.Errorf("app %+v artifact %+v", bySource["app:1"], bySource["artifact:1"])
	}
}

// A Docker image of another platform is kept, as the reference keeps it
// (it filters only images with an OCI config): the gather index is the
// reference's byte for byte.
func TestGatherPlatformKeepsDockerImagesAsTheReferenceDoes(t *testing.T) {
	reg := registrytest.Start(t)
	f := buildGatherFixture(t, reg.Host())
	file, srcs := f.sourcesFile(t, "docker", "docker-arm")
	res, err := Gather(context.Background(), testEnv(), GatherOptions{Sources: srcs, Dest: reg.Ref("ferry/gather:d"), Platforms: []string{"linux/amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Images != 2 || len(res.Warnings) != 0 {
		t.Errorf("images %d, warnings %q", res.Images, res.Warnings)
	}
	acedt := referenceTool(t)
	raw, err := referenceGather(t, acedt, reg.Host(), file, reg.Ref("reference/gather:d"), "-p", "linux/amd64")
	if err != nil {
		t.Fatal(err)
	}
	var idx struct{ Manifests []gatherEntryOf }
	json.Unmarshal(raw, &idx)
	if len(idx.Manifests) != 2 {
		t.Errorf("the reference no longer keeps the Docker image of another platform: %s", raw)
	}
}

func TestGatherPlatformNothingMatches(t *testing.T) {
	reg := registrytest.Start(t)
	f := buildGatherFixture(t, reg.Host())
	_, srcs := f.sourcesFile(t, "app", "multi")
	dest := reg.Ref("ferry/gather:none")
	res, err := Gather(context.Background(), testEnv(), GatherOptions{Sources: srcs, Dest: dest, Platforms: []string{"windows/arm64"}})
	if err == nil || !strings.Contains(err.Error(), "no source has a manifest for platform windows/arm64; nothing was gathered") {
		t.Fatalf("err = %v", err)
	}
	if len(res.Warnings) != 2 || !strings.Contains(res.Warnings[1], "its index has linux/amd64, linux/arm64/v8, windows/amd64:10.0.17763") {
		t.Errorf("warnings = %q", res.Warnings)
	}
	if registrytest.HeadDigest(t, dest) != "" {
		t.Error("an empty gather index was tagged")
	}
}

func TestGatherIndexFallback(t *testing.T) {
	host := registrytest.InProcess(t)
	multi := host + "/multi:1"
	registrytest.PushIndex(t, multi)
	srcs := []sources.Source{{Line: 1, Ref: multi}}
	if _, err := Gather(context.Background(), testEnv(), GatherOptions{Sources: srcs, Dest: host + "/g:fb", IndexFallback: true}); err != nil {
		t.Fatal(err)
	}
	var fbi struct {
		Manifests   []gatherEntryOf   `json:"manifests"`
		Annotations map[string]string `json:"annotations"`
	}
	json.Unmarshal(manifestBytes(t, host+"/g:fb"), &fbi)
	extra, err := ExtraManifests(fbi.Annotations)
	if fbi.Manifests == nil || len(fbi.Manifests) != 0 || err != nil || len(extra) != 1 || extra[0].Annotations[AnnotationSource] != multi {
		t.Errorf("fallback index: manifests %v, extra %+v (%v)", fbi.Manifests, extra, err)
	}
}

// manifestBytes returns the manifest bytes at ref.
func manifestBytes(t *testing.T, ref string) []byte {
	t.Helper()
	d, err := remote.Get(mustRef(t, ref), remote.WithAuth(authn.Anonymous))
	if err != nil {
		t.Fatal(err)
	}
	return d.Manifest
}

func innerIndexDigest(t *testing.T, outer string) string {
	t.Helper()
	var idx struct{ Manifests []gatherEntryOf }
	json.Unmarshal(manifestBytes(t, outer), &idx)
	if len(idx.Manifests) != 1 {
		t.Fatalf("%s: %d manifests", outer, len(idx.Manifests))
	}
	return idx.Manifests[0].Digest
}
