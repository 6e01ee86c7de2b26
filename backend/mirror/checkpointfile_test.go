package mirror

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"ferry/backend/archive"
	"ferry/backend/medium"
	"ferry/backend/registrytest"
)

func readLedgerFile(t *testing.T, path string) []archive.LedgerEntry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, err := archive.ReadLedger(f)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// offsets maps each digest of a ledger to its offset, failing on a repeat.
func offsets(t *testing.T, entries []archive.LedgerEntry) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, e := range entries {
		d := e.Descriptor.Digest.String()
		if _, dup := out[d]; dup {
			t.Errorf("%s is listed twice", d)
		}
		out[d] = e.Offset
	}
	return out
}

// Deserialize's --checkpoint ledger is the ledger serialize wrote for the
// same medium: every blob, at the same offset, so the far side's ledger
// can be given to serialize --existing-from-checkpoint.
func TestDeserializeWritesTheCheckpointLedger(t *testing.T) {
	f := newMediaFixture(t, registrytest.InProcess(t), true)
	dir := t.TempDir()
	sent := filepath.Join(dir, "sent.jsonl")
	data := serializeFixture(t, f, SerializeOptions{Referrers: true, CheckpointFile: sent})
	src := writeTemp(t, data)
	want := offsets(t, readLedgerFile(t, sent))

	got := filepath.Join(dir, "received.jsonl")
	repo := registrytest.InProcess(t) + "/high/transfer"
	res, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: src, Dest: repo + ":sync-1", CheckpointFile: got})
	if err != nil || !res.Complete {
		t.Fatalf("complete=%v err=%v", res.Complete, err)
	}
	have := offsets(t, readLedgerFile(t, got))
	if len(have) != len(want) || len(have) == 0 {
		t.Errorf("received ledger lists %d blobs, the sent one %d", len(have), len(want))
	}
	for d, off := range want {
		if have[d] != off {
			t.Errorf("%s: received at offset %d, sent ending at %d", d, have[d], off)
		}
	}

	// An existing ledger is not replaced without Force.
	_, err = Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: src, Dest: repo + ":sync-1", CheckpointFile: got})
	if !errors.Is(err, medium.ErrExists) || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second run over the ledger: %v", err)
	}
	if _, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: src, Dest: repo + ":sync-1", CheckpointFile: got, Force: true}); err != nil {
		t.Errorf("with Force: %v", err)
	}
	if again := offsets(t, readLedgerFile(t, got)); len(again) != len(want) {
		t.Errorf("replaced ledger lists %d blobs, want %d", len(again), len(want))
	}

	// A dry run receives nothing, so it has nothing to record.
	_, err = Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: src, Dest: repo + ":sync-1", DryRun: true, CheckpointFile: filepath.Join(dir, "dry.jsonl")})
	if err == nil || !strings.Contains(err.Error(), "dry run") {
		t.Errorf("dry run with a checkpoint: %v", err)
	}
}

// A medium cut short leaves a ledger of what arrived; the resumed run
// keeps those lines and adds the rest, each blob once.
func TestResumedDeserializeContinuesItsLedger(t *testing.T) {
	f := newMediaFixture(t, registrytest.InProcess(t), true)
	data := serializeFixture(t, f, SerializeOptions{Referrers: true})
	ledger := filepath.Join(t.TempDir(), "received.jsonl")
	repo := registrytest.InProcess(t) + "/high/transfer"
	o := DeserializeOptions{Source: writeTemp(t, data[:len(data)/2]), Dest: repo + ":sync-1", CheckpointFile: ledger}
	var ie *IncompleteError
	if _, err := Deserialize(context.Background(), testEnv(), o); !errors.As(err, &ie) {
		t.Fatalf("cut medium: %v", err)
	}
	first := readLedgerFile(t, ledger)
	if len(first) == 0 {
		t.Fatal("nothing recorded from half a medium")
	}
	for _, e := range first {
		if e.Offset > int64(len(data)/2) {
			t.Errorf("%s recorded at %d, past the cut at %d", e.Descriptor.Digest, e.Offset, len(data)/2)
		}
	}

	o.Source, o.ContinueCheckpoint = writeTemp(t, data), true
	res, err := Deserialize(context.Background(), testEnv(), o)
	if err != nil || !res.Complete {
		t.Fatalf("resumed: complete=%v err=%v", res.Complete, err)
	}
	all := readLedgerFile(t, ledger)
	for i, e := range first {
		if all[i].Descriptor.Digest != e.Descriptor.Digest || all[i].Offset != e.Offset {
			t.Errorf("line %d changed on resume: %v, was %v", i+1, all[i].Descriptor.Digest, e.Descriptor.Digest)
		}
	}
	got := offsets(t, all)
	sent := 0
	for d := range f.digest {
		if _, ok := got[d]; !ok {
			t.Errorf("%s delivered but not in the ledger", d)
		}
		sent++
	}
	if len(got) != sent {
		t.Errorf("ledger lists %d blobs, the transfer has %d", len(got), sent)
	}
}

// Log lines give sizes in binary units, as the forms take them, never a
// raw byte count.
func TestSerializeLogsSizesInBinaryUnits(t *testing.T) {
	f := newMediaFixture(t, registrytest.InProcess(t), true)
	var mu sync.Mutex
	var lines []string
	env := testEnv()
	env.Logf = func(format string, args ...any) {
		mu.Lock()
		lines = append(lines, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	if _, err := Serialize(context.Background(), env, SerializeOptions{Source: f.index, Dest: filepath.Join(t.TempDir(), "s.tar"), Referrers: true}); err != nil {
		t.Fatal(err)
	}
	raw := regexp.MustCompile(`\b\d{4,} bytes\b`)
	found := false
	for _, l := range lines {
		if raw.MatchString(l) {
			t.Errorf("raw byte count in %q", l)
		}
		if strings.HasPrefix(l, "serialized ") {
			found = regexp.MustCompile(`, \d+(\.\d)? (B|KiB|MiB) on the medium`).MatchString(l)
		}
	}
	if !found {
		t.Errorf("no serialized line with its size in binary units: %q", lines)
	}
}
