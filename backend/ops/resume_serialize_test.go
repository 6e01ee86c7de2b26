package ops

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"ferry/backend/config"
	"ferry/backend/jobs"
	"ferry/backend/mirror"
	"ferry/backend/registrytest"
	"ferry/backend/sources"
	"ferry/backend/store"
)

func TestPartNameReplacesOnlyAPartNumber(t *testing.T) {
	dir := t.TempDir()
	for in, want := range map[string]string{
		"sync-45.tar":           "sync-45.part2.tar",
		"sync-45.part2.tar":     "sync-45.part2.tar",
		"sync-45.part17.tar.gz": "sync-45.part2.tar.gz",
		"db.partition.tar":      "db.partition.part2.tar",
		"a.part.tar":            "a.part.part2.tar",
		"a.parts3x.tar.zst":     "a.parts3x.part2.tar.zst",
		"noext":                 "noext.part2",
	} {
		if got := PartName(filepath.Join(dir, in), 2); got != filepath.Join(dir, want) {
			t.Errorf("PartName(%s) = %s, want %s", in, filepath.Base(got), want)
		}
	}
	if got := PartName("-", 2); got != "-" {
		t.Errorf("standard output became %s", got)
	}
}

// storedRun records a finished run as the job manager would.
func storedRun(t *testing.T, st *store.Store, id, kind, status string, opts any, items []store.Item, blobs []store.Blob) {
	t.Helper()
	b, err := json.Marshal(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateRun(store.Run{ID: id, Kind: kind, Options: string(b)}); err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if err := st.AddItem(id, it); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.RecordBlobs(id, blobs); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(id, status, "stopped"); err != nil {
		t.Fatal(err)
	}
}

func TestResumePinsTheGatherIndexByDigestAndDropsForce(t *testing.T) {
	st := newManager(t).Store()
	dir := t.TempDir()
	root := "sha256:" + strings.Repeat("1", 64)
	layer := "sha256:" + strings.Repeat("2", 64)

	// serialize: repository:tag becomes repository@digest; the stream keeps the tag.
	storedRun(t, st, "s1", "serialize", store.StatusFailed,
		mirror.SerializeOptions{Source: "reg.example/transfer/gather:sync-45", Dest: filepath.Join(dir, "sync-45.tar"), Force: true, Referrers: true},
		[]store.Item{{Source: "reg.example/transfer/gather:sync-45", Digest: root, Status: mirror.ItemPlanned}},
		[]store.Blob{{Digest: root, MediaType: "application/vnd.oci.image.index.v1+json", Volume: 1, Offset: 2048, Confirmed: true},
			{Digest: layer, Volume: 1, Offset: 9000, Confirmed: true}})
	o, err := ResumeSerialize(st, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if o.Source != "reg.example/transfer/gather@"+root || o.Tag != "sync-45" || o.SourceLayout != "" {
		t.Errorf("source %q tag %q layout %q", o.Source, o.Tag, o.SourceLayout)
	}
	if o.Force || !o.Referrers || o.Resume != "s1" || o.Dest != filepath.Join(dir, "sync-45.part2.tar") || len(o.Delivered) != 2 {
		t.Errorf("resumed options = %+v", o)
	}

	// A resume of that resume keeps the digest and counts the parts.
	o.Force = true
	storedRun(t, st, "s2", "serialize", store.StatusCancelled, o,
		[]store.Item{{Source: o.Source, Digest: root, Status: mirror.ItemPlanned}}, nil)
	o2, err := ResumeSerialize(st, "s2")
	if err != nil {
		t.Fatal(err)
	}
	if o2.Source != o.Source || o2.Tag != "sync-45" || o2.Force || o2.Dest != filepath.Join(dir, "sync-45.part3.tar") {
		t.Errorf("second resume: source %q tag %q force %v dest %s", o2.Source, o2.Tag, o2.Force, o2.Dest)
	}

	// archive: the store's digest, not its tag "latest" (which a later
	// archive moves).
	storeDir := filepath.Join(dir, "store")
	storedRun(t, st, "a1", "archive", store.StatusFailed,
		mirror.ArchiveOptions{StoreDir: storeDir, Reference: "latest", Serialize: mirror.SerializeOptions{Dest: filepath.Join(dir, "db.partition.tar"), Force: true}},
		[]store.Item{{Source: "app:1", Digest: "sha256:" + strings.Repeat("3", 64), Status: mirror.ItemDone},
			{Source: root, Digest: root, Status: mirror.ItemPlanned}}, nil)
	oa, err := ResumeSerialize(st, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if oa.Source != root || oa.SourceLayout != storeDir || oa.Tag != "latest" || oa.Force || oa.Dest != filepath.Join(dir, "db.partition.part2.tar") {
		t.Errorf("archive resume: %+v", oa)
	}

	// A run recorded without the planned item resumes by its reference.
	storedRun(t, st, "old", "serialize", store.StatusFailed,
		mirror.SerializeOptions{Source: "reg.example/transfer/gather:sync-45", Dest: filepath.Join(dir, "x.tar")}, nil,
		[]store.Blob{{Digest: root, MediaType: "application/vnd.oci.image.index.v1+json", Volume: 1, Offset: 2048}})
	if oo, err := ResumeSerialize(st, "old"); err != nil || oo.Source != "reg.example/transfer/gather:sync-45" {
		t.Errorf("run without the planned item: %q, %v", oo.Source, err)
	}
}

// gatherTo gathers refs into index (repository:tag) and returns its digest.
func gatherTo(t *testing.T, env mirror.Env, index string, refs ...string) string {
	t.Helper()
	var srcs []sources.Source
	for i, r := range refs {
		srcs = append(srcs, sources.Source{Line: i + 1, Ref: r})
	}
	res, err := mirror.Gather(context.Background(), env, mirror.GatherOptions{Sources: srcs, Dest: index})
	if err != nil {
		t.Fatal(err)
	}
	return res.Index.Digest.String()
}

// A serialize interrupted, then resumed after its tag moved on, sends the
// rest of what it was sending; once that index is gone, resume refuses.
func TestResumeSendsWhatTheRunWasSendingAfterTheTagMoved(t *testing.T) {
	m := newManager(t)
	cfg := config.Default()
	env := jobs.MirrorEnv(cfg, nil)
	host := registrytest.InProcess(t)
	registrytest.PushImage(t, host+"/app/one:1", registrytest.Layer(t, 61, 40_000), registrytest.Layer(t, 62, 30_000))
	registrytest.PushImage(t, host+"/app/two:1", registrytest.Layer(t, 63, 20_000))
	index := host + "/transfer/gather:sync-1"
	sent := gatherTo(t, env, index, host+"/app/one:1", host+"/app/two:1")

	dir := t.TempDir()
	o := mirror.SerializeOptions{Source: index, Dest: filepath.Join(dir, "sync-1.tar"), BlockSize: 512, BufferSize: 8192, HWM: 1, Force: true}
	id, err := m.Start(jobs.Spec{Kind: "serialize", Options: o, Run: func(ctx context.Context, j *jobs.Job) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		jenv := jobs.MirrorEnv(cfg, j)
		record := jenv.Checkpoint
		var confirmed atomic.Int32
		jenv.Checkpoint = func(c mirror.Checkpoint) {
			record(c)
			if c.Confirmed && confirmed.Add(1) == 3 {
				cancel()
			}
		}
		_, err := mirror.Serialize(ctx, jenv, o)
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	if snap, err := m.Wait(context.Background(), id); err != nil || snap.State != store.StatusCancelled {
		t.Fatalf("first run: %q, %v", snap.State, err)
	}

	// The tag moves on to another transfer.
	moved := gatherTo(t, env, index, host+"/app/two:1")
	if moved == sent {
		t.Fatal("the tag did not move")
	}
	ro, err := ResumeSerialize(m.Store(), id)
	if err != nil {
		t.Fatal(err)
	}
	if ro.Force {
		t.Error("the resume would overwrite an existing part")
	}
	if !strings.HasSuffix(ro.Source, "@"+sent) {
		t.Errorf("resumes from %s, want the digest sent, %s", ro.Source, sent)
	}
	if err := os.WriteFile(ro.Dest, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := mirror.Serialize(context.Background(), env, ro); err == nil {
		t.Fatal("the resume overwrote an existing part")
	}
	os.Remove(ro.Dest)
	if _, err := mirror.Serialize(context.Background(), env, ro); err != nil {
		t.Fatal(err)
	}
	target := registrytest.InProcess(t) + "/landing/x:sync-1"
	if _, err := mirror.Deserialize(context.Background(), env, mirror.DeserializeOptions{Source: o.Dest, Dest: target}); !mirror.IsIncomplete(err) {
		t.Fatalf("first part: %v, want incomplete", err)
	}
	res, err := mirror.Deserialize(context.Background(), env, mirror.DeserializeOptions{Source: ro.Dest, Dest: target})
	if err != nil || !res.Complete || res.Root.Digest.String() != sent {
		t.Fatalf("second part: complete %v, root %s, %v; want %s", res.Complete, res.Root.Digest, err, sent)
	}
	if res.Tag != "sync-1" {
		t.Errorf("the stream names its root %q, want sync-1", res.Tag)
	}

	// Once that gather index is gone, a resume says so.
	h, _ := v1.NewHash(sent)
	ref, err := name.ParseReference(host+"/transfer/gather@"+h.String(), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Delete(ref); err != nil {
		t.Fatal(err)
	}
	ro.Dest = filepath.Join(dir, "again.tar")
	_, err = mirror.Serialize(context.Background(), env, ro)
	if err == nil || !strings.Contains(err.Error(), "resuming run "+id) || !strings.Contains(err.Error(), "cannot be read") {
		t.Errorf("resume of a deleted gather index: %v", err)
	}
	if _, statErr := os.Stat(ro.Dest); !errors.Is(statErr, os.ErrNotExist) {
		t.Error("a refused resume left a file behind")
	}
}
