package mirror

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ferry/backend/registrytest"
	"ferry/backend/sources"
)

// TestBatchRoundTrip: a batch writes numbered archives and a tracker; the
// second batch of an updated list sends only the changed artifact, without
// the blobs of the archive of the same name; batch-deserialize reads every
// archive into one repository, tagged by name, and only new ones next time.
func TestBatchRoundTrip(t *testing.T) {
	low, high := inProcessRegistry(t), inProcessRegistry(t)
	ctx := context.Background()
	shared := registrytest.Layer(t, 7, 40_000)
	registrytest.PushImage(t, low+"/app/a:1", shared)
	registrytest.PushImage(t, low+"/app/a:2", shared, registrytest.Layer(t, 8, 3000))
	registrytest.PushImage(t, low+"/app/b:1", registrytest.Layer(t, 9, 2000))
	gather := func(tag string, refs ...string) string {
		var srcs []sources.Source
		for i, r := range refs {
			srcs = append(srcs, sources.Source{Line: i + 1, Ref: low + "/" + r})
		}
		dest := low + "/gather/" + tag
		if _, err := Gather(ctx, testEnv(), GatherOptions{Sources: srcs, Dest: dest}); err != nil {
			t.Fatal(err)
		}
		return dest
	}
	opsV1, opsV2, tools := gather("ops:v1", "app/a:1"), gather("ops:v2", "app/a:2"), gather("tools:v1", "app/b:1")
	dir := filepath.Join(t.TempDir(), "sync", "data")
	list := filepath.Join(t.TempDir(), "batch.csv")
	write := func(text string) {
		if err := os.WriteFile(list, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var vols []int
	env := testEnv()
	env.Checkpoint = func(c Checkpoint) { vols = append(vols, c.Volume) }
	write("name, artifact\ntools, " + tools + "\nops, " + opsV1 + "\n")
	res, err := BatchSerialize(ctx, env, BatchSerializeOptions{BatchList: list, SyncDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Archives) != 2 || filepath.Base(res.Archives[0].File) != "000001-tools.tar" || filepath.Base(res.Archives[1].File) != "000002-ops.tar" {
		t.Fatalf("first batch: %+v", res.Archives)
	}
	if vols[0] != 1 || vols[len(vols)-1] != 2 {
		t.Errorf("checkpoints recorded volumes %v, want the archives' numbers in the run (1 then 2)", vols)
	}
	// The updated list: ops moves to v2, tools stays; a name given twice keeps its last row.
	write("name, artifact\ntools, " + tools + "\nops, " + opsV1 + "\nops, " + opsV2 + "\n")
	res, err = BatchSerialize(ctx, testEnv(), BatchSerializeOptions{BatchList: list, SyncDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Archives) != 2 || !res.Archives[0].Skipped || res.Archives[1].Skipped || filepath.Base(res.Archives[1].File) != "000003-ops.tar" {
		t.Fatalf("second batch: %+v", res.Archives)
	}
	if got := res.Archives[1]; len(got.Existing) != 1 || got.Result.SkippedBytes < 40_000 {
		t.Errorf("000003-ops.tar: existing %v, skipped %d bytes; want the shared 40 kB layer left out", got.Existing, got.Result.SkippedBytes)
	}
	tracker, err := os.ReadFile(filepath.Join(dir, DefaultTrackerFile))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(tracker)), "\n"); len(lines) != 4 || lines[0] != "sync_name,artifact,digest" || !strings.HasPrefix(lines[3], "000003-ops.tar,"+opsV2+",sha256:") {
		t.Errorf("tracker:\n%s", tracker)
	}

	dest := high + "/sync"
	dres, err := BatchDeserialize(ctx, testEnv(), BatchDeserializeOptions{SyncDir: dir, Dest: dest})
	if err != nil {
		t.Fatal(err)
	}
	if len(dres.Archives) != 3 || !dres.Archives[2].Result.Complete || dres.Archives[2].Dest != dest+":ops" {
		t.Fatalf("batch-deserialize: %+v", dres.Archives)
	}
	root, _, err := testEnv().Open(mustRef(t, dest+":ops").Context()).Resolve(ctx, "ops")
	if err != nil || root.Digest.String() != res.Archives[1].Digest {
		t.Errorf("%s:ops is %v (%v), want %s", dest, root.Digest, err, res.Archives[1].Digest)
	}
	dres, err = BatchDeserialize(ctx, testEnv(), BatchDeserializeOptions{SyncDir: dir, Dest: dest})
	if err != nil || len(dres.Archives) != 3 || !dres.Archives[0].Skipped || !dres.Archives[2].Skipped {
		t.Errorf("a second batch-deserialize reads again: %+v, %v", dres.Archives, err)
	}
	syncs, _ := os.ReadFile(filepath.Join(dir, DefaultSyncFile))
	if lines := strings.Split(strings.TrimSpace(string(syncs)), "\n"); len(lines) != 4 || lines[0] != "filename,artifact,timestamp" || !strings.HasPrefix(lines[1], "000001-tools.tar,"+dest+":tools,") {
		t.Errorf("sync file:\n%s", syncs)
	}
}

func TestBatchListErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ text, want string }{
		{"name, artifact\n", "lists no artifact"},
		{"tools\n", "want two columns"},
		{"bad/name, reg.example/t:1\n", "usable as a tag"},
		{"tools, not a ref\n", "row 1"},
	} {
		p := filepath.Join(dir, "b.csv")
		os.WriteFile(p, []byte(tc.text), 0o644)
		if _, err := ReadBatchList(p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v; want %q", tc.text, err, tc.want)
		}
	}
	_, err := BatchDeserialize(context.Background(), testEnv(), BatchDeserializeOptions{SyncDir: dir, Dest: "reg.example/sync:tag"})
	if err == nil || !strings.Contains(err.Error(), "without a tag") {
		t.Errorf("a destination with a tag: %v", err)
	}
}

// A numbered file the tracker does not list is never overwritten: the
// next archive takes the number after it.
func TestBatchNumbersAfterStrayArchives(t *testing.T) {
	host := inProcessRegistry(t)
	ctx := context.Background()
	registrytest.PushImage(t, host+"/app/a:1")
	if _, err := Gather(ctx, testEnv(), GatherOptions{Sources: []sources.Source{{Line: 1, Ref: host + "/app/a:1"}}, Dest: host + "/gather/a:1"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "000007-old.tar"), []byte("not ours"), 0o644)
	list := filepath.Join(dir, "b.csv")
	os.WriteFile(list, []byte("a, "+host+"/gather/a:1\nb, "+host+"/gather/missing:1\n"), 0o644)
	res, err := BatchSerialize(ctx, testEnv(), BatchSerializeOptions{BatchList: list, SyncDir: dir})
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("an artifact that does not exist: %v", err)
	}
	if len(res.Archives) != 1 || filepath.Base(res.Archives[0].File) != "000008-a.tar" {
		t.Fatalf("archives %+v; want 000008-a.tar after the stray 000007", res.Archives)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "000007-old.tar")); string(b) != "not ours" {
		t.Error("the stray archive was overwritten")
	}
	rows, err := readTracker(filepath.Join(dir, DefaultTrackerFile))
	if err != nil || len(rows) != 1 || rows[0].file != "000008-a.tar" {
		t.Errorf("the tracker after a failed batch: %+v, %v; want the archive finished before the failure", rows, err)
	}
}

// A batch list saved by a Windows editor (byte order mark, CRLF) reads as
// any other.
func TestBatchListFromWindows(t *testing.T) {
	p := filepath.Join(t.TempDir(), "b.csv")
	os.WriteFile(p, []byte("\ufeffname, artifact\r\n# tools first\r\ntools, reg.example/dev-tools:v3.3.1\r\n\r\nops, reg.example/ops/devops:v0.5.7\r\n"), 0o644)
	got, err := ReadBatchList(p)
	if err != nil || len(got) != 2 || got[0] != (BatchEntry{"tools", "reg.example/dev-tools:v3.3.1"}) || got[1].Name != "ops" {
		t.Errorf("ReadBatchList = %+v, %v", got, err)
	}
}
