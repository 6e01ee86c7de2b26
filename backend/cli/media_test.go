package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"ferry/backend/ops"
	"ferry/backend/registrytest"
	"ferry/backend/store"
)

// runCtx is run with a context the test controls.
func runCtx(t *testing.T, ctx context.Context, home string, args ...string) (string, string, error) {
	t.Helper()
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("ACE_DT_CONFIG", "")
	t.Setenv("FERRY_DB", "")
	var out, errb bytes.Buffer
	root := NewRoot(Options{Stdout: &out, Stderr: &errb})
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), errb.String(), err
}

// gatherForMedia gathers two images (one with a 3 MB layer) into reg.
func gatherForMedia(t *testing.T, reg *registrytest.Registry, home string) string {
	t.Helper()
	registrytest.PushImage(t, reg.Ref("app/big:1"), registrytest.Layer(t, 7, 3<<20))
	registrytest.PushIndex(t, reg.Ref("app/multi:2"))
	list := writeFile(t, home, "sources.list", reg.Ref("app/big:1")+"\n"+reg.Ref("app/multi:2")+"\n")
	idx := reg.Ref("transfer/sync:45")
	if _, errOut, err := run(t, home, "mirror", "gather", list, idx); err != nil {
		t.Fatalf("gather: %v\n%s", err, errOut)
	}
	return idx
}

func TestMediaVerbsRoundTrip(t *testing.T) {
	low, high := registrytest.Start(t), registrytest.Start(t)
	home := t.TempDir()
	idx := gatherForMedia(t, low, home)
	tarPath := filepath.Join(home, "sync-45.tar")
	out, errOut, err := run(t, home, "mirror", "serialize", idx, tarPath, "-b", "64KiB", "-m", "1Mi", "--compression", "zstd", "--checkpoint", filepath.Join(home, "ledger.jsonl"))
	if err != nil || !strings.Contains(out, "Serialized") {
		t.Fatalf("serialize: %v\n%s%s", err, out, errOut)
	}
	if _, _, err := run(t, home, "mirror", "serialize", idx, tarPath); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("an existing DEST was not refused: %v", err)
	}
	if out, _, err := run(t, home, "mirror", "verify", tarPath); err != nil || !strings.Contains(out, "OK") || !strings.Contains(out, "stream digest: verified") {
		t.Errorf("verify: %v\n%s", err, out)
	}
	dest := high.Ref("landing/sync:45")
	if out, errOut, err := run(t, home, "mirror", "deserialize", tarPath, dest, "--strict"); err != nil || !strings.Contains(out, "Deserialized") {
		t.Fatalf("deserialize: %v\n%s%s", err, out, errOut)
	}
	if registrytest.HeadDigest(t, dest) != registrytest.HeadDigest(t, idx) {
		t.Error("the gather index is not tagged on the far side")
	}
	kinds := map[string]string{}
	for _, r := range history(t, home) {
		kinds[r.Kind] = r.Status
	}
	for _, k := range []string{"serialize", "verify", "deserialize"} {
		if kinds[k] != store.StatusSucceeded {
			t.Errorf("history: %s = %q", k, kinds[k])
		}
	}
}

func TestSerializeResumeByRunID(t *testing.T) {
	low, high := registrytest.Start(t), registrytest.Start(t)
	home := t.TempDir()
	idx := gatherForMedia(t, low, home)

	// The first medium is a pipe whose reader stops the job part way and
	// keeps every byte that crossed it.
	fifo := filepath.Join(home, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	part1 := filepath.Join(home, "part1.tar")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		r, err := os.Open(fifo)
		if err != nil {
			done <- err
			return
		}
		defer r.Close()
		w, err := os.Create(part1)
		if err != nil {
			done <- err
			return
		}
		defer w.Close()
		if _, err := io.CopyN(w, r, 1<<20); err != nil {
			done <- err
			return
		}
		cancel()
		_, err = io.Copy(w, r) // what the writer still sent before stopping
		done <- err
	}()
	_, _, err := runCtx(t, ctx, home, "mirror", "serialize", idx, fifo, "-b", "16Ki", "-m", "64Ki", "--hwm", "1")
	if err == nil {
		t.Fatal("the interrupted serialize succeeded")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var runID string
	for _, r := range history(t, home) {
		if r.Kind == "serialize" {
			runID = r.ID
		}
	}
	part2 := filepath.Join(home, "part2.tar")
	out, errOut, err := run(t, home, "mirror", "serialize", "--resume", runID, part2)
	if err != nil {
		t.Fatalf("resume: %v\n%s%s", err, out, errOut)
	}
	if !strings.Contains(out, "skipped 1 blobs") && !strings.Contains(out, "skipped 2 blobs") {
		t.Errorf("the resumed run did not skip what the first delivered: %s", out)
	}
	dest := high.Ref("landing/sync:45")
	if _, _, err := run(t, home, "mirror", "deserialize", part1, dest); err == nil || !strings.Contains(err.Error(), "incomplete") {
		t.Errorf("first part: %v, want incomplete", err)
	}
	if out, _, err := run(t, home, "mirror", "deserialize", part2, dest); err != nil {
		t.Fatalf("second part: %v\n%s", err, out)
	}
	if registrytest.HeadDigest(t, dest) != registrytest.HeadDigest(t, idx) {
		t.Error("the transfer is not complete after both parts")
	}
	for _, r := range history(t, home) {
		if r.Kind == "serialize" && r.ID != runID && r.ResumedFrom != runID {
			t.Errorf("resumed run %s does not record it continues %s", r.ID, runID)
		}
	}
}

func TestPartName(t *testing.T) {
	for in, want := range map[string]string{"/x/sync-45.tar": "/x/sync-45.part3.tar", "/x/sync.part2.tar.zst": "/x/sync.part3.tar.zst", "/x/blob": "/x/blob.part3"} {
		if got := ops.PartName(in, 3); got != want {
			t.Errorf("ops.PartName(%s) = %s, want %s", in, got, want)
		}
	}
	if got := ops.PartName("-", 2); got != "-" {
		t.Errorf("stdout part = %s", got)
	}
}
