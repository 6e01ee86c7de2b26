package ops

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/archive"
	"ferry/backend/config"
	"ferry/backend/jobs"
	"ferry/backend/mirror"
	"ferry/backend/registrytest"
	"ferry/backend/store"
)

// A deserialize asked for a checkpoint ledger writes it; the run resumed
// from history reads the medium again and completes the same ledger.
func TestResumedDeserializeCompletesItsCheckpointLedger(t *testing.T) {
	m := newManager(t)
	cfg := config.Default()
	env := jobs.MirrorEnv(cfg, nil)
	host := registrytest.InProcess(t)
	registrytest.PushImage(t, host+"/app/one:1", registrytest.Layer(t, 71, 40_000), registrytest.Layer(t, 72, 30_000))
	index := host + "/transfer/gather:sync-1"
	gatherTo(t, env, index, host+"/app/one:1")
	dir := t.TempDir()
	medium := filepath.Join(dir, "sync-1.tar")
	if _, err := mirror.Serialize(context.Background(), env, mirror.SerializeOptions{Source: index, Dest: medium}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(medium)
	if err != nil {
		t.Fatal(err)
	}
	// The medium is read while it is still half written, then in full.
	if err := os.WriteFile(medium, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	ledger := filepath.Join(dir, "received.jsonl")
	rt := Runtime{Config: cfg, Store: m.Store(), DataDir: filepath.Join(dir, "data")}
	run := func(req Request) string {
		t.Helper()
		spec, err := Build(req, rt)
		if err != nil {
			t.Fatal(err)
		}
		id, err := m.Start(spec)
		if err != nil {
			t.Fatal(err)
		}
		m.Wait(context.Background(), id)
		return id
	}
	first := run(Request{Kind: Deserialize, Path: medium, Image: registrytest.InProcess(t) + "/high/transfer:sync-1", Checkpoint: ledger})
	if r, _ := m.Store().GetRun(first); r.Status != store.StatusFailed {
		t.Fatalf("half a medium: %s", r.Status)
	}
	before := ledgerDigests(t, ledger)
	if len(before) == 0 {
		t.Fatal("no ledger lines from half a medium")
	}

	if err := os.WriteFile(medium, data, 0o644); err != nil {
		t.Fatal(err)
	}
	second := run(Request{Kind: Resume, Run: first})
	if r, _ := m.Store().GetRun(second); r.Status != store.StatusSucceeded || r.ResumedFrom != first {
		t.Fatalf("resumed run: %+v", r)
	}
	after := ledgerDigests(t, ledger)
	for d := range before {
		if _, ok := after[d]; !ok {
			t.Errorf("%s lost on resume", d)
		}
	}
	if len(after) <= len(before) {
		t.Errorf("the resumed run added nothing: %d blobs, %d before", len(after), len(before))
	}
	// Each blob once: the mirror package's test reads the lines themselves.
	if b, _ := os.ReadFile(ledger); bytes.Count(b, []byte("\n")) != len(after) {
		t.Errorf("%d lines for %d blobs", bytes.Count(b, []byte("\n")), len(after))
	}
}

// ledgerDigests is every blob a ledger lists, by digest.
func ledgerDigests(t *testing.T, path string) map[v1.Hash]v1.Descriptor {
	t.Helper()
	d, err := archive.Checkpoint{Path: path, Offset: math.MaxInt64}.Delivered()
	if err != nil {
		t.Fatal(err)
	}
	return d
}
