package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"ferry/backend/registrytest"
	"ferry/backend/store"
)

func waitState(t *testing.T, a *App, id, want string) store.RunDetail {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	snap, err := a.sess.Jobs.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	run, _ := a.GetRun(id)
	if snap.State != want {
		log, _ := a.RunLog(id)
		t.Fatalf("%s run %s: state %s (%s), want %s; log %+v", run.Kind, id, snap.State, snap.Error, want, log)
	}
	return run
}

// The whole air-gap workflow from the window: gather, serialize to a file,
// deserialize on the "high side" registry, scatter by the editor's rules.
func TestTransferWorkflowFromTheWindow(t *testing.T) {
	low, high := registrytest.Start(t), registrytest.Start(t)
	registrytest.PushImage(t, low.Ref("team/web:1"))
	registrytest.PushIndex(t, low.Ref("team/multi:2"))
	a := newTestApp(t, t.TempDir())
	tarPath := filepath.Join(t.TempDir(), "sync-1.tar")

	id, err := a.StartTransfer(TransferRequest{Kind: "gather", SourcesText: low.Ref("team/web:1") + "\n" + low.Ref("team/multi:2") + "\n", Image: low.Ref("transfer/sync:1")})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, a, id, store.StatusSucceeded)

	plan, err := a.PlanTransfer(TransferRequest{Kind: "serialize", Image: low.Ref("transfer/sync:1"), Path: tarPath})
	if err != nil || plan.Images != 2 || plan.BytesDedup == 0 || plan.FreeBytes <= 0 {
		t.Errorf("plan = %+v, %v", plan, err)
	}
	id, err = a.StartTransfer(TransferRequest{Kind: "serialize", Image: low.Ref("transfer/sync:1"), Path: tarPath})
	if err != nil {
		t.Fatal(err)
	}
	ser := waitState(t, a, id, store.StatusSucceeded)
	if ser.BlobsConfirmed == 0 || ser.LastOffset == 0 {
		t.Errorf("serialize recorded no checkpoints: %+v", ser)
	}
	id, err = a.StartTransfer(TransferRequest{Kind: "verify", Path: tarPath})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, a, id, store.StatusSucceeded)

	// The deserialize plan counts the images of the medium from its gather index.
	plan, err = a.PlanTransfer(TransferRequest{Kind: "deserialize", Path: tarPath, Image: high.Ref("transfer/sync:1")})
	if err != nil || plan.Images != 2 || plan.BytesTotal == 0 || len(plan.Warnings) != 0 {
		t.Errorf("deserialize plan = %+v, %v", plan, err)
	}
	// Unarchive's plan counts its destinations over the medium's gather index.
	plan, err = a.PlanTransfer(TransferRequest{Kind: "unarchive", Path: tarPath, MapperKind: "nest", MapperRules: high.Ref("final")})
	if err != nil || plan.Images != 2 || plan.Mapping == nil || plan.Mapping.Destinations != 2 || plan.Destination != "destinations from the mapping rules" {
		t.Errorf("unarchive plan = %+v (mapping %+v), %v", plan, plan.Mapping, err)
	}
	junk := filepath.Join(t.TempDir(), "junk.tar")
	os.WriteFile(junk, []byte(strings.Repeat("not a tar stream\n", 64)), 0o600)
	if plan, err = a.PlanTransfer(TransferRequest{Kind: "deserialize", Path: junk, Image: high.Ref("x:1")}); err != nil || plan.Images != 0 || len(plan.Warnings) != 1 || !strings.Contains(plan.Warnings[0], "images: unknown until it runs") {
		t.Errorf("plan of a file that is no medium = %+v, %v", plan, err)
	}
	id, err = a.StartTransfer(TransferRequest{Kind: "deserialize", Path: tarPath, Image: high.Ref("transfer/sync:1")})
	if err != nil {
		t.Fatal(err)
	}
	// Its progress had the size of the file as its total (the end-of-archive
	// blocks after the last entry are not reported as read).
	tarInfo, _ := os.Stat(tarPath)
	if des := waitState(t, a, id, store.StatusSucceeded); des.BytesTotal != tarInfo.Size() || des.BytesDone == 0 || des.BytesDone > des.BytesTotal {
		t.Errorf("deserialize progress %d of %d, want a total of the file's %d", des.BytesDone, des.BytesTotal, tarInfo.Size())
	}

	// The scatter plan counts destinations from the gather index, whatever the Sources page holds.
	plan, err = a.PlanTransfer(TransferRequest{Kind: "scatter", Image: high.Ref("transfer/sync:1"), SourcesText: low.Ref("other/x:1") + "\n", MapperKind: "nest", MapperRules: high.Ref("final")})
	if err != nil || plan.Images != 2 || plan.Mapping == nil || plan.Mapping.Sources != 2 || plan.Mapping.Destinations != 2 || plan.Mapping.Errors != 0 {
		t.Errorf("scatter plan = %+v (mapping %+v), %v", plan, plan.Mapping, err)
	}
	if plan, err = a.PlanTransfer(TransferRequest{Kind: "scatter", Image: high.Ref("transfer/sync:1"), MapperKind: "go-template", MapperRules: "{{ .Nope"}); err != nil || plan.Mapping != nil {
		t.Errorf("rules that do not compile: plan mapping %+v, %v", plan.Mapping, err)
	}
	id, err = a.StartTransfer(TransferRequest{Kind: "scatter", Image: high.Ref("transfer/sync:1"), MapperKind: "nest", MapperRules: high.Ref("final")})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, a, id, store.StatusSucceeded)
	// The scatter's story is the whole transfer: gather, serialize, the
	// medium's sync id, deserialize and scatter, oldest first.
	story, err := a.TransferStory(id)
	var kinds []string
	for _, r := range story.Runs {
		if r.Kind != "verify" { // verify read the same medium: part of the story, not a step
			kinds = append(kinds, r.Kind)
		}
	}
	if err != nil || strings.Join(kinds, " ") != "gather serialize deserialize scatter" || len(story.SyncIDs) != 1 {
		t.Errorf("story = %v, sync ids %v, %v", kinds, story.SyncIDs, err)
	}
	// nest writes a source's host:port as host_port.
	nested := strings.Replace(low.Host(), ":", "_", 1)
	for _, p := range []string{"final/" + nested + "/team/web:1", "final/" + nested + "/team/multi:2"} {
		ref, _ := name.ParseReference(high.Ref(p))
		if _, err := remote.Head(ref); err != nil {
			t.Errorf("%s not delivered: %v", ref, err)
		}
	}
}

// An interrupted serialize resumes from History without any offsets, and
// both media together complete the transfer.
func TestResumeInterruptedSerialize(t *testing.T) {
	low, high := registrytest.Start(t), registrytest.Start(t)
	for i, n := range []string{"a", "b", "c", "d"} {
		registrytest.PushImage(t, low.Ref("team/"+n+":1"), registrytest.Layer(t, int64(i+1), 1<<20), registrytest.Layer(t, int64(i+10), 1<<20))
	}
	a := newTestApp(t, t.TempDir())
	id, _ := a.StartTransfer(TransferRequest{Kind: "gather", Image: low.Ref("t/s:1"),
		SourcesText: low.Ref("team/a:1") + "\n" + low.Ref("team/b:1") + "\n" + low.Ref("team/c:1") + "\n" + low.Ref("team/d:1") + "\n"})
	waitState(t, a, id, store.StatusSucceeded)

	dir := t.TempDir()
	fifo := filepath.Join(dir, "part1.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	part1 := filepath.Join(dir, "part1.tar")
	id, err := a.StartTransfer(TransferRequest{Kind: "serialize", Image: low.Ref("t/s:1"), Path: fifo, BlockSize: "64Ki", BufferSize: "256Ki"})
	if err != nil {
		t.Fatal(err)
	}
	// The "drive" takes 3 MiB, then the operator cancels.
	f, err := os.Open(fifo)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := os.Create(part1)
	io.CopyN(out, f, 3<<20)
	a.CancelJob(id)
	// Whatever the writer got accepted is on the medium: keep reading to EOF.
	done := make(chan struct{})
	go func() { io.Copy(out, f); close(done) }()
	waitState(t, a, id, store.StatusCancelled)
	<-done
	f.Close()
	out.Close()
	first, _ := a.GetRun(id)
	if first.BlobsConfirmed == 0 {
		t.Fatal("no blobs confirmed before the cancel")
	}

	// The resumed run writes to the same pipe, like a tape drive loaded
	// with the next cartridge.
	part2 := filepath.Join(dir, "part2.tar")
	rid, err := a.ResumeRun(id)
	if err != nil {
		t.Fatal(err)
	}
	f2, err := os.Open(fifo)
	if err != nil {
		t.Fatal(err)
	}
	out2, _ := os.Create(part2)
	io.Copy(out2, f2)
	f2.Close()
	out2.Close()
	second := waitState(t, a, rid, store.StatusSucceeded)
	if second.ResumedFrom != id {
		t.Errorf("resumed run does not name its origin: %+v", second.Run)
	}
	if _, err := a.ResumeRun(id); err == nil || !strings.Contains(err.Error(), "already continues this one") {
		t.Errorf("resuming a run already resumed: %v", err)
	}
	for i, p := range []string{part1, part2} {
		want := store.StatusFailed // the first part alone is incomplete
		if i == 1 {
			want = store.StatusSucceeded
		}
		id, err := a.StartTransfer(TransferRequest{Kind: "deserialize", Path: p, Image: high.Ref("t/s:1")})
		if err != nil {
			t.Fatal(err)
		}
		waitState(t, a, id, want)
	}
	ref, _ := name.ParseReference(high.Ref("t/s:1"))
	if _, err := remote.Head(ref); err != nil {
		t.Errorf("transfer incomplete after both parts: %v", err)
	}
}

// Serialize and archive started from the window honour the volume size the
// Transfer page sends (once dropped on the way: one unsplit file).
func TestWindowSerializeAndArchiveHonourVolumeSize(t *testing.T) {
	host := registrytest.InProcess(t)
	for i, n := range []string{"a", "b", "c"} {
		registrytest.PushImage(t, host+"/team/"+n+":1", registrytest.Layer(t, int64(i+20), 300_000))
	}
	srcs := host + "/team/a:1\n" + host + "/team/b:1\n" + host + "/team/c:1\n"
	a := newTestApp(t, t.TempDir())
	id, err := a.StartTransfer(TransferRequest{Kind: "gather", Image: host + "/t/v:1", SourcesText: srcs})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, a, id, store.StatusSucceeded)
	dir := t.TempDir()
	for _, req := range []TransferRequest{
		{Kind: "serialize", Image: host + "/t/v:1", Path: filepath.Join(dir, "ser.tar"), VolumeSize: "512Ki", BlockSize: "64Ki", BufferSize: "256Ki"},
		{Kind: "archive", SourcesText: srcs, Path: filepath.Join(dir, "arc.tar"), VolumeSize: "512Ki", BlockSize: "64Ki", BufferSize: "256Ki"},
	} {
		id, err := a.StartTransfer(req)
		if err != nil {
			t.Fatal(err)
		}
		run := waitState(t, a, id, store.StatusSucceeded)
		if len(run.Media) < 2 {
			t.Errorf("%s with a 512Ki volume size wrote %d volumes: %+v", req.Kind, len(run.Media), run.Media)
		}
		for _, m := range run.Media {
			fi, err := os.Stat(m.Device)
			if err != nil {
				t.Errorf("%s volume %+v: %v", req.Kind, m, err)
			} else if fi.Size() > 512<<10 {
				t.Errorf("%s volume %s: %d bytes, more than the volume size", req.Kind, m.Device, fi.Size())
			}
		}
		if !strings.Contains(run.Args, "--volume-size=512Ki") {
			t.Errorf("%s: history's command line %q has no volume size", req.Kind, run.Args)
		}
	}
}
