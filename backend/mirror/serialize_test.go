package mirror

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/archive"
	"ferry/backend/medium"
	"ferry/backend/progress"
	"ferry/backend/registrytest"
	"ferry/backend/sources"
)

// mediaFixture is a registry holding two images (one with a referrer) and a
// two-platform index, gathered into a gather index tagged sync-1.
type mediaFixture struct {
	host   string
	index  string // the gather index, repo:tag
	one    string
	graph  *Graph // the gather index's graph, with referrers
	root   v1.Descriptor
	digest map[string]bool // every digest of the graph
}

func newMediaFixture(t *testing.T, host string, referrers bool) *mediaFixture {
	t.Helper()
	f := &mediaFixture{host: host, index: host + "/transfer/gather:sync-1", one: host + "/app/one:1", digest: map[string]bool{}}
	registrytest.PushImage(t, f.one, registrytest.Layer(t, 1, 3000), registrytest.Layer(t, 2, 200_000))
	registrytest.PushImage(t, host+"/app/two:2", registrytest.Layer(t, 1, 3000), registrytest.Layer(t, 3, 5000))
	registrytest.PushIndex(t, host+"/app/multi:3")
	registrytest.PushReferrer(t, f.one, "application/vnd.ferry.test.signature")
	srcs := []sources.Source{{Line: 1, Ref: f.one}, {Line: 2, Ref: host + "/app/two:2"}, {Line: 3, Ref: host + "/app/multi:3"}}
	if _, err := Gather(context.Background(), testEnv(), GatherOptions{Sources: srcs, Dest: f.index, Referrers: referrers}); err != nil {
		t.Fatalf("gather: %v", err)
	}
	repo := testEnv().Open(mustRef(t, f.index).Context())
	root, raw, err := repo.Resolve(context.Background(), "sync-1")
	if err != nil {
		t.Fatal(err)
	}
	f.root = root
	f.graph = NewGraph()
	if err := f.graph.Add(context.Background(), repo, root, raw, WalkOptions{Referrers: referrers}); err != nil {
		t.Fatal(err)
	}
	for _, n := range f.graph.Nodes {
		f.digest[n.Desc.Digest.String()] = true
	}
	return f
}

// entry is one entry read back from a stream.
type readEntry struct {
	name  string
	kind  archive.Kind
	end   int64
	index *v1.IndexManifest
}

func readStream(t *testing.T, path string) ([]readEntry, *archive.Reader) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	ar, err := archive.NewReader(f, archive.Strict(true))
	if err != nil {
		t.Fatal(err)
	}
	var out []readEntry
	for {
		e, err := ar.Next()
		if errors.Is(err, io.EOF) {
			return out, ar
		}
		if err != nil {
			t.Fatalf("reading %s back: %v", path, err)
		}
		if _, err := io.Copy(io.Discard, ar); err != nil {
			t.Fatalf("reading %s back: %v", e.Name, err)
		}
		out = append(out, readEntry{name: e.Name, kind: e.Kind, end: e.End, index: e.Index})
	}
}

func TestSerializeStreamStructureAndLedger(t *testing.T) {
	f := newMediaFixture(t, registrytest.InProcess(t), true)
	dir := t.TempDir()
	dest, ledgerPath := filepath.Join(dir, "sync-1.tar"), filepath.Join(dir, "ledger.jsonl")
	var mu sync.Mutex
	confirmed := map[string]int64{}
	env := testEnv()
	env.Checkpoint = func(c Checkpoint) {
		if c.Confirmed {
			mu.Lock()
			confirmed[c.Digest] = c.Offset
			mu.Unlock()
		}
	}
	res, err := Serialize(context.Background(), env, SerializeOptions{Source: f.index, Dest: dest, CheckpointFile: ledgerPath, Referrers: true, BlockSize: 4096, BufferSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	entries, ar := readStream(t, dest)
	if !ar.Complete() {
		t.Error("no end-of-archive marker")
	}
	if entries[0].name != "oci-layout" || entries[1].name != "index.json" || entries[2].name != "blobs" || entries[3].name != "blobs/sha256" {
		t.Fatalf("stream starts with %v", names(entries[:4]))
	}
	first := entries[1].index
	if len(first.Manifests) != 1 || first.Manifests[0].Digest != f.root.Digest || first.Manifests[0].Annotations[archive.AnnotationRefName] != "sync-1" {
		t.Errorf("first index.json root = %+v", first.Manifests)
	}
	for k, want := range map[string]string{archive.AnnotationSerializationVersion: "2", archive.AnnotationVolumeNumber: "1", archive.AnnotationVolumeLast: "true", archive.AnnotationSyncID: res.SyncID} {
		if got := first.Annotations[k]; got != want || want == "" {
			t.Errorf("first index.json %s = %q, want %q", k, got, want)
		}
	}
	// Blobs in the graph's pre-order, each once.
	var want, got []string
	for _, n := range f.graph.Nodes {
		want = append(want, "blobs/sha256/"+n.Desc.Digest.Hex)
	}
	last := entries[len(entries)-1]
	for _, e := range entries[4 : len(entries)-1] {
		got = append(got, e.name)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("blob order:\n got %v\nwant %v", got, want)
	}
	// The final index.json lists every manifest, root first, referrer included.
	if last.name != "index.json" {
		t.Fatalf("last entry = %s", last.name)
	}
	var manifests []string
	for _, n := range f.graph.Manifests() {
		manifests = append(manifests, n.Desc.Digest.String())
	}
	var listed []string
	for _, d := range last.index.Manifests {
		listed = append(listed, d.Digest.String())
	}
	if strings.Join(listed, " ") != strings.Join(manifests, " ") || len(manifests) < 6 {
		t.Errorf("final index.json lists %v, want %v", listed, manifests)
	}
	if last.index.Annotations[archive.AnnotationStreamSHA256] == "" || last.index.Annotations[archive.AnnotationSyncID] != res.SyncID {
		t.Errorf("final index.json annotations = %v", last.index.Annotations)
	}
	// Ledger: one line per blob, in order, offset = the entry's end; the same
	// offsets were reported confirmed through env.Checkpoint.
	lf, err := os.Open(ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	lines, err := archive.ReadLedger(lf)
	if err != nil {
		t.Fatal(err)
	}
	blobs := entries[4 : len(entries)-1]
	if len(lines) != len(blobs) || res.Blobs != len(blobs) {
		t.Fatalf("%d ledger lines, %d blobs, result says %d", len(lines), len(blobs), res.Blobs)
	}
	for i, l := range lines {
		if "blobs/sha256/"+l.Descriptor.Digest.Hex != blobs[i].name || l.Offset != blobs[i].end {
			t.Errorf("ledger line %d: %s at %d, stream has %s ending at %d", i+1, l.Descriptor.Digest, l.Offset, blobs[i].name, blobs[i].end)
		}
		if confirmed[l.Descriptor.Digest.String()] != l.Offset {
			t.Errorf("checkpoint for %s confirmed at %d, ledger says %d", l.Descriptor.Digest, confirmed[l.Descriptor.Digest.String()], l.Offset)
		}
	}
}

func names(es []readEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.name)
	}
	return out
}

func TestSerializeRefusesExistingDestWithoutForce(t *testing.T) {
	f := newMediaFixture(t, registrytest.InProcess(t), false)
	dest := filepath.Join(t.TempDir(), "out.tar")
	os.WriteFile(dest, []byte("precious"), 0o644)
	_, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: f.index, Dest: dest})
	if !errors.Is(err, medium.ErrExists) {
		t.Fatalf("err = %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "precious" {
		t.Fatal("the existing file was changed")
	}
	if _, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: f.index, Dest: dest, Force: true}); err != nil {
		t.Fatal(err)
	}
	entries, _ := readStream(t, dest)
	if entries[0].name != "oci-layout" {
		t.Error("--force did not replace the file from its start")
	}
}

func TestSerializeCancelledKeepsOnlyAResumablePartial(t *testing.T) {
	f := newMediaFixture(t, registrytest.InProcess(t), false)
	for _, withCheckpoint := range []bool{true, false} {
		dest := filepath.Join(t.TempDir(), "out.tar")
		ctx, cancel := context.WithCancel(context.Background())
		env := testEnv()
		n := 0
		env.Progress = nil
		cancelAfter := func(c Checkpoint) {
			if c.Confirmed {
				if n++; n == 3 {
					cancel()
				}
			}
		}
		if withCheckpoint {
			env.Checkpoint = cancelAfter
		} else {
			// Cancel through progress instead, with no checkpoint at all.
			blobs := 0
			env.Progress = func(ev progress.Event) {
				if ev.ItemsDone > blobs {
					if blobs = ev.ItemsDone; blobs == 3 {
						cancel()
					}
				}
			}
		}
		_, err := Serialize(ctx, env, SerializeOptions{Source: f.index, Dest: dest, BlockSize: 512, BufferSize: 4096, HWM: 1})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("checkpoint=%v: err = %v, want cancelled", withCheckpoint, err)
		}
		_, statErr := os.Stat(dest)
		if !withCheckpoint {
			if statErr == nil {
				t.Error("a partial without any checkpoint was left behind")
			}
			continue
		}
		if statErr != nil {
			t.Fatalf("the partial with confirmed checkpoints was removed: %v", statErr)
		}
		res, err := deserializeFile(t, dest, true)
		if !IsIncomplete(err) || res.Complete {
			t.Errorf("the partial reads as complete: %v", err)
		}
	}
}

// deserializeFile dry-runs a medium.
func deserializeFile(t *testing.T, path string, dry bool) (DeserializeResult, error) {
	t.Helper()
	return Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: path, Dest: "example.invalid/x:t", DryRun: dry})
}

func TestSerializeSkipsExistingImageBlobs(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newMediaFixture(t, host, false)
	dest := filepath.Join(t.TempDir(), "out.tar")
	res, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: f.index, Dest: dest, Existing: []string{f.one}})
	if err != nil {
		t.Fatal(err)
	}
	img, _ := registrytest.PushImage(t, f.one, registrytest.Layer(t, 1, 3000), registrytest.Layer(t, 2, 200_000)).Manifest()
	data, _ := os.ReadFile(dest)
	for _, d := range append(img.Layers, img.Config) {
		if bytes.Contains(data, []byte("blobs/sha256/"+d.Digest.Hex)) {
			t.Errorf("blob %s of the existing image is in the stream", d.Digest)
		}
	}
	if res.Skipped != 4 {
		t.Errorf("skipped %d blobs, want 4 (the manifest, config and two layers, one shared)", res.Skipped)
	}
	// The far side has the existing image as a pushed manifest: its bytes
	// are not written again, but the final index.json still lists it.
	oneDigest := registrytest.HeadDigest(t, f.one)
	h, _ := v1.NewHash(oneDigest)
	if bytes.Contains(data, []byte("blobs/sha256/"+h.Hex)) {
		t.Errorf("the existing image's manifest %s is in the stream", oneDigest)
	}
	entries, _ := readStream(t, dest)
	final := entries[len(entries)-1]
	if final.index == nil || !listsDigest(final.index, h) {
		t.Errorf("the final index.json does not list the existing image's manifest %s", oneDigest)
	}
	if res.Manifests != len(final.index.Manifests) {
		t.Errorf("%d manifests reported, %d listed", res.Manifests, len(final.index.Manifests))
	}
}

func listsDigest(idx *v1.IndexManifest, h v1.Hash) bool {
	for _, d := range idx.Manifests {
		if d.Digest == h {
			return true
		}
	}
	return false
}

// Blobs delivered by an earlier, interrupted run are not written again,
// but manifests are: the partial medium may have carried a manifest whose
// children never arrived, so the far side never pushed it.
func TestSerializeRewritesDeliveredManifests(t *testing.T) {
	f := newMediaFixture(t, registrytest.InProcess(t), true)
	var all []v1.Hash
	manifests := map[v1.Hash]bool{}
	for _, n := range f.graph.Nodes {
		all = append(all, n.Desc.Digest)
		if n.IsManifest() {
			manifests[n.Desc.Digest] = true
		}
	}
	dest := filepath.Join(t.TempDir(), "part2.tar")
	res, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: f.index, Dest: dest, Referrers: true, Delivered: all})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(dest)
	for _, n := range f.graph.Nodes {
		in := bytes.Contains(data, []byte("blobs/sha256/"+n.Desc.Digest.Hex))
		if manifests[n.Desc.Digest] != in {
			t.Errorf("%s (%s): in the stream %v", n.Desc.Digest, n.Desc.MediaType, in)
		}
	}
	if res.Skipped != len(all)-len(manifests) || res.Manifests != len(manifests) {
		t.Errorf("skipped %d, %d manifests; want %d and %d", res.Skipped, res.Manifests, len(all)-len(manifests), len(manifests))
	}
}
