package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"ferry/backend/mapping"
	"ferry/backend/registrytest"
	"ferry/backend/sources"
)

// putBlob uploads bytes as a blob of repo and returns their descriptor.
func putBlob(t *testing.T, repo string, mt types.MediaType, data []byte) v1.Descriptor {
	t.Helper()
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	l := static.NewLayer(data, mt)
	if err := remote.WriteLayer(r, l); err != nil {
		t.Fatalf("blob to %s: %v", repo, err)
	}
	h, size, _ := v1.SHA256(bytes.NewReader(data))
	return v1.Descriptor{MediaType: mt, Digest: h, Size: size}
}

// putJSON pushes a manifest (any JSON value) to ref and returns its
// descriptor and bytes.
func putJSON(t *testing.T, ref string, mt types.MediaType, m any) (v1.Descriptor, []byte) {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return putManifest(t, ref, mt, raw), raw
}

// dualRoleGraph pushes the shape whose walk once lost data: image A, image
// B whose second layer is A's manifest bytes, and an index I holding A.
// Sources in order b, i reach A's bytes as a blob first, then as a manifest;
// a, b the other way round.
type dualRoleGraph struct {
	a, b, i string // references
	aDesc   v1.Descriptor
	aChild  []v1.Descriptor // A's config and layer
}

func newDualRoleGraph(t *testing.T, host string) *dualRoleGraph {
	t.Helper()
	g := &dualRoleGraph{a: host + "/dual/a:1", b: host + "/dual/b:1", i: host + "/dual/i:1"}
	cfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	for _, repo := range []string{host + "/dual/a", host + "/dual/i"} {
		c := putBlob(t, repo, types.OCIConfigJSON, cfg)
		l := putBlob(t, repo, types.OCILayer, []byte("layer of A"))
		g.aChild = []v1.Descriptor{c, l}
		g.aDesc, _ = putJSON(t, repo+":1", types.OCIManifestSchema1, v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: c, Layers: []v1.Descriptor{l}})
	}
	_, aRaw := putJSON(t, g.a, types.OCIManifestSchema1, v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: g.aChild[0], Layers: []v1.Descriptor{g.aChild[1]}})
	bc := putBlob(t, host+"/dual/b", types.OCIConfigJSON, []byte(`{"architecture":"arm64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`))
	asLayer := putBlob(t, host+"/dual/b", types.OCILayer, aRaw)
	bl := putBlob(t, host+"/dual/b", types.OCILayer, []byte("layer of B"))
	putJSON(t, g.b, types.OCIManifestSchema1, v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: bc, Layers: []v1.Descriptor{asLayer, bl}})
	putJSON(t, g.i, types.OCIImageIndex, v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{g.aDesc}})
	return g
}

// assertWhole reads ref's whole graph with an independent client
// (registrytest.Walk, not Ferry's walk) and fails for every node that is not
// there in its role.
func assertWhole(t *testing.T, ref string) {
	t.Helper()
	for _, p := range registrytest.Walk(t, ref, false).Problems {
		t.Errorf("%s: %s", ref, p)
	}
}

func TestDualRoleDigestSurvivesEveryOperation(t *testing.T) {
	low := registrytest.Start(t)
	high := registrytest.Start(t)
	g := newDualRoleGraph(t, low.Host())
	ctx := context.Background()
	orders := map[string][]string{
		"blob first":     {g.b, g.i},
		"manifest first": {g.a, g.b},
	}
	for what, refsIn := range orders {
		t.Run(what, func(t *testing.T) {
			var srcs []sources.Source
			for i, r := range refsIn {
				srcs = append(srcs, sources.Source{Line: i + 1, Ref: r})
			}
			slug := map[string]string{"blob first": "bf", "manifest first": "mf"}[what]
			gathered := low.Ref("transfer/" + slug + ":sync-1")
			if _, err := Gather(ctx, testEnv(), GatherOptions{Sources: srcs, Dest: gathered}); err != nil {
				t.Fatalf("gather: %v", err)
			}
			assertWhole(t, gathered)

			file := filepath.Join(t.TempDir(), "medium.tar")
			if _, err := Serialize(ctx, testEnv(), SerializeOptions{Source: gathered, Dest: file}); err != nil {
				t.Fatalf("serialize: %v", err)
			}
			assertStreamHolds(t, file, g.aChild)
			if rep, err := VerifyMedium(ctx, testEnv(), VerifyOptions{Source: file}); err != nil {
				t.Fatalf("verify: %v (missing %v)", err, rep.Missing)
			}

			landed := high.Ref("staging/" + slug + ":sync-1")
			res, err := Deserialize(ctx, testEnv(), DeserializeOptions{Source: file, Dest: landed})
			if err != nil || !res.Complete {
				t.Fatalf("deserialize: complete=%v err=%v", res.Complete, err)
			}
			assertWhole(t, landed)

			if _, err := Scatter(ctx, testEnv(), ScatterOptions{Source: landed, Mapper: mustMapper(t, mapping.KindNest, high.Ref("scattered/"+slug))}); err != nil {
				t.Fatalf("scatter: %v", err)
			}
			for _, r := range refsIn {
				assertWhole(t, high.Ref("scattered/"+slug)+"/"+strings.Replace(r, ":", "_", 1)) // nest writes host:port as host_port
			}

			if _, err := Clone(ctx, testEnv(), CloneOptions{Sources: srcs, Mapper: mustMapper(t, mapping.KindNest, high.Ref("cloned/"+slug))}); err != nil {
				t.Fatalf("clone: %v", err)
			}
			for _, r := range refsIn {
				assertWhole(t, high.Ref("cloned/"+slug)+"/"+strings.Replace(r, ":", "_", 1)) // nest writes host:port as host_port
			}

			store := t.TempDir()
			archived := filepath.Join(t.TempDir(), "archive.tar")
			if _, err := Archive(ctx, testEnv(), ArchiveOptions{Sources: srcs, StoreDir: store, Serialize: SerializeOptions{Dest: archived}}); err != nil {
				t.Fatalf("archive: %v", err)
			}
			if _, err := Unarchive(ctx, testEnv(), UnarchiveOptions{Source: archived, StoreDir: t.TempDir(), Mapper: mustMapper(t, mapping.KindNest, high.Ref("unarchived/"+slug))}); err != nil {
				t.Fatalf("unarchive: %v", err)
			}
			for _, r := range refsIn {
				assertWhole(t, high.Ref("unarchived/"+slug)+"/"+strings.Replace(r, ":", "_", 1)) // nest writes host:port as host_port
			}
		})
	}
}

// assertStreamHolds fails unless the stream at path has an entry for each
// descriptor.
func assertStreamHolds(t *testing.T, path string, want []v1.Descriptor) {
	t.Helper()
	entries, _ := readStream(t, path)
	have := map[string]bool{}
	for _, e := range entries {
		have[e.name] = true
	}
	for _, d := range want {
		if n := fmt.Sprintf("blobs/%s/%s", d.Digest.Algorithm, d.Digest.Hex); !have[n] {
			t.Errorf("the stream lacks %s", n)
		}
	}
}
