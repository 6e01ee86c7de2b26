package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	ferryreg "ferry/backend/registry"
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
		{Line: 6, Ref: host + "/app/one:1"}, // duplicate: dropped
	}
	o := GatherOptions{Sources: srcs, Dest: host + "/transfer/gather:sync-1", Annotations: map[string]string{"purpose": "test"}}
	res, err := Gather(ctx, testEnv(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Images != 2 {
		t.Errorf("images = %d, want 2 (duplicate removed)", res.Images)
	}
	gref, _ := name.ParseReference(o.Dest)
	desc, err := remote.Get(gref)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		MediaType    string            `json:"mediaType"`
		ArtifactType string            `json:"artifactType"`
		Manifests    []v1.Descriptor   `json:"manifests"`
		Annotations  map[string]string `json:"annotations"`
	}
	json.Unmarshal(desc.Manifest, &got)
	if got.MediaType != string(types.OCIImageIndex) || got.ArtifactType != ArtifactTypeGather {
		t.Errorf("index types = %q %q", got.MediaType, got.ArtifactType)
	}
	if len(got.Manifests) != 2 || got.Manifests[0].Annotations[AnnotationSource] != host+"/app/multi:2" {
		t.Fatalf("entries not sorted by source: %+v", got.Manifests)
	}
	one := got.Manifests[1]
	if one.Annotations[AnnotationLabels] != `{"component":"core","module":"test"}` || one.Annotations[AnnotationRefName] != host+"/app/one:1" {
		t.Errorf("entry annotations = %v", one.Annotations)
	}
	if _, ok := got.Manifests[0].Annotations[AnnotationLabels]; ok {
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
	im, _ := idx.IndexManifest()
	for _, m := range im.Manifests {
		child, _ := idx.Image(m.Digest)
		cls, _ := child.Layers()
		for _, l := range cls {
			s, _ := l.Size()
			want += s
		}
		want += cfgSize(child)
	}
	if got.Annotations[AnnotationSizeTotal] != strconv.FormatInt(want, 10) || got.Annotations[AnnotationSizeDedup] != strconv.FormatInt(want, 10) {
		t.Errorf("sizes total=%s dedup=%s, want %d", got.Annotations[AnnotationSizeTotal], got.Annotations[AnnotationSizeDedup], want)
	}
	if got.Annotations["purpose"] != "test" || got.Annotations[AnnotationVersion] != "test" {
		t.Errorf("index annotations = %v", got.Annotations)
	}
	// Every image is in the destination repository by digest.
	for _, m := range got.Manifests {
		if _, err := remote.Get(gref.Context().Digest(m.Digest.String())); err != nil {
			t.Errorf("%s missing from destination: %v", m.Digest, err)
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

func TestGatherPlatformFilterAndIndexFallback(t *testing.T) {
	host := inProcessRegistry(t)
	amd, _ := random.Image(100, 1)
	arm, _ := random.Image(100, 1)
	idx := mutate.AppendManifests(mutate.IndexMediaType(emptyIndex(), types.OCIImageIndex),
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
	)
	ref, _ := name.ParseReference(host + "/multi:1")
	remote.WriteIndex(ref, idx)
	origRaw, _ := idx.RawManifest()

	_, err := Gather(context.Background(), testEnv(), GatherOptions{
		Sources: []sources.Source{{Ref: host + "/multi:1"}}, Dest: host + "/g:p", Platforms: []string{"linux/arm64"}})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := remote.Get(mustRef(t, host+"/g:p"))
	var gi v1.IndexManifest
	json.Unmarshal(g.Manifest, &gi)
	e := gi.Manifests[0]
	if e.Annotations[AnnotationSourceIndex] != string(origRaw) {
		t.Error("filtered entry lacks the original index in source-index")
	}
	filtered, err := remote.Get(mustRef(t, host+"/g@"+e.Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	var fi v1.IndexManifest
	json.Unmarshal(filtered.Manifest, &fi)
	if len(fi.Manifests) != 1 || fi.Manifests[0].Platform.Architecture != "arm64" {
		t.Errorf("filtered index = %+v", fi.Manifests)
	}

	// Index fallback moves index entries into the annotation.
	_, err = Gather(context.Background(), testEnv(), GatherOptions{
		Sources: []sources.Source{{Ref: host + "/multi:1"}}, Dest: host + "/g:fb", IndexFallback: true})
	if err != nil {
		t.Fatal(err)
	}
	fb, _ := remote.Get(mustRef(t, host+"/g:fb"))
	var fbi v1.IndexManifest
	json.Unmarshal(fb.Manifest, &fbi)
	extra, err := ExtraManifests(fbi.Annotations)
	if len(fbi.Manifests) != 0 || err != nil || len(extra) != 1 || extra[0].Annotations[AnnotationSource] != host+"/multi:1" {
		t.Errorf("fallback index: manifests %d, extra %+v (%v)", len(fbi.Manifests), extra, err)
	}

	if _, err := Gather(context.Background(), testEnv(), GatherOptions{
		Sources: []sources.Source{{Ref: host + "/multi:1"}}, Dest: host + "/g:x", Platforms: []string{"windows/amd64"}}); err == nil ||
		!strings.Contains(err.Error(), "no manifest for platform windows/amd64") {
		t.Errorf("unmatched platform: %v", err)
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
