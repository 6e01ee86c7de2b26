package mirror

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/registrytest"
	"ferry/backend/sources"
)

// assertDelivered checks that every digest of f's graph is in repo (a
// registry repository) and that tag resolves to the gather index.
func assertDelivered(t *testing.T, f *mediaFixture, repo, tag string) {
	t.Helper()
	r := testEnv().Open(mustRef(t, repo+":"+tag).Context())
	for _, n := range f.graph.Nodes {
		ok, err := r.Has(context.Background(), n.Desc)
		if err != nil || !ok {
			t.Errorf("%s (%s) missing from %s: %v", n.Desc.Digest, n.Desc.MediaType, repo, err)
		}
	}
	if got := registrytest.HeadDigest(t, repo+":"+tag); got != f.root.Digest.String() {
		t.Errorf("%s:%s resolves to %q, want the gather index %s", repo, tag, got, f.root.Digest)
	}
}

func TestRoundTripThroughRealRegistries(t *testing.T) {
	low, high := registrytest.Start(t), registrytest.Start(t)
	f := newMediaFixture(t, low.Host(), true)
	for _, comp := range []string{"none", "gzip", "zstd"} {
		t.Run(comp, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "sync.tar")
			if _, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: f.index, Dest: dest, Compression: comp, Referrers: true}); err != nil {
				t.Fatal(err)
			}
			repo := high.Ref("landing/" + comp)
			res, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: dest, Dest: repo + ":sync-45", Strict: true})
			if err != nil || !res.Complete {
				t.Fatalf("deserialize: complete=%v err=%v", res.Complete, err)
			}
			assertDelivered(t, f, repo, "sync-45")
			// A second read into the same repository sends nothing again.
			again, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: dest, Dest: repo + ":sync-45"})
			if err != nil || again.Pushed != 0 || again.Present == 0 {
				t.Errorf("rerun: pushed %d, present %d, err %v", again.Pushed, again.Present, err)
			}
		})
	}
}

func TestRoundTripWithExistingImage(t *testing.T) {
	low, high := registrytest.Start(t), registrytest.Start(t)
	f := newMediaFixture(t, low.Host(), false)
	// The far side already has app/one (as an earlier transfer delivered it).
	one := registrytest.PushImage(t, high.Ref("landing/x:old"), registrytest.Layer(t, 1, 3000), registrytest.Layer(t, 2, 200_000))
	registrytest.PushImage(t, f.one, registrytest.Layer(t, 1, 3000), registrytest.Layer(t, 2, 200_000))
	dest := filepath.Join(t.TempDir(), "sync.tar")
	res, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: f.index, Dest: dest, Existing: []string{f.one}})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := one.Manifest()
	data, _ := os.ReadFile(dest)
	for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		if strings.Contains(string(data), "blobs/sha256/"+d.Digest.Hex) {
			t.Errorf("existing blob %s is on the medium", d.Digest)
		}
	}
	if res.Skipped == 0 {
		t.Fatal("nothing skipped")
	}
	dres, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: dest, Dest: high.Ref("landing/x:sync-2")})
	if err != nil || !dres.Complete {
		t.Fatalf("deserialize: %v", err)
	}
	assertDelivered(t, f, high.Ref("landing/x"), "sync-2")
}

func TestArchiveAndUnarchiveWithoutStagingRegistries(t *testing.T) {
	low, high := registrytest.Start(t), registrytest.Start(t)
	f := newMediaFixture(t, low.Host(), false)
	dir := t.TempDir()
	dest := filepath.Join(dir, "archive.tar")
	srcs, err := readSourcesOf(f)
	if err != nil {
		t.Fatal(err)
	}
	ares, err := Archive(context.Background(), testEnv(), ArchiveOptions{Sources: srcs, StoreDir: filepath.Join(dir, "low-store"), Reference: "sync-7",
		Serialize: SerializeOptions{Dest: dest, Compression: "zstd"}})
	if err != nil {
		t.Fatal(err)
	}
	if ares.Serialize.Tag != "sync-7" || ares.Gather.Images != 3 {
		t.Errorf("archive result = %+v", ares)
	}
	ures, err := Unarchive(context.Background(), testEnv(), UnarchiveOptions{Source: dest, StoreDir: filepath.Join(dir, "high-store"),
		Mapping: "nest=" + high.Ref("mirror"), Mapper: mustMapper(t, "nest", high.Ref("mirror"))})
	if err != nil {
		t.Fatal(err)
	}
	if ures.Scatter.Destinations != 3 || ures.Deserialize.Tag != "sync-7" {
		t.Errorf("unarchive result: %d destinations, store tag %q", ures.Scatter.Destinations, ures.Deserialize.Tag)
	}
	for _, src := range []string{f.one, low.Ref("app/two:2"), low.Ref("app/multi:3")} {
		if registrytest.HeadDigest(t, high.Ref("mirror/"+nested(src))) == "" {
			t.Errorf("%s not delivered under %s", src, high.Ref("mirror"))
		}
	}
}

func readSourcesOf(f *mediaFixture) ([]sources.Source, error) {
	return []sources.Source{{Line: 1, Ref: f.one}, {Line: 2, Ref: f.host + "/app/two:2"}, {Line: 3, Ref: f.host + "/app/multi:3"}}, nil
}

// benchFixture gathers one image of five 10 MB random layers.
func benchFixture(b *testing.B) (index string, size int64) {
	b.Helper()
	host := registrytest.InProcess(b)
	var layers []v1.Layer
	for i := range 5 {
		l := registrytest.Layer(b, int64(100+i), 10<<20)
		s, _ := l.Size()
		size += s
		layers = append(layers, l)
	}
	registrytest.PushImage(b, host+"/bench/big:1", layers...)
	index = host + "/bench/gather:1"
	if _, err := Gather(context.Background(), testEnv(), GatherOptions{Sources: []sources.Source{{Line: 1, Ref: host + "/bench/big:1"}}, Dest: index}); err != nil {
		b.Fatal(err)
	}
	return index, size
}

func BenchmarkSerialize(b *testing.B) {
	index, size := benchFixture(b)
	dest := filepath.Join(b.TempDir(), "bench.tar")
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		if _, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: index, Dest: dest, Force: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeserialize(b *testing.B) {
	index, size := benchFixture(b)
	dest := filepath.Join(b.TempDir(), "bench.tar")
	if _, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: index, Dest: dest}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		target := registrytest.InProcess(b) + "/landing/bench:1" // empty: every blob is sent
		b.StartTimer()
		res, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: dest, Dest: target})
		if err != nil || !res.Complete {
			b.Fatal(err)
		}
	}
}
