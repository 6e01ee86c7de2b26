package store

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "ferry.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestOpenMigratesFromEmpty(t *testing.T) {
	s, path := openTemp(t)
	var v int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != SchemaVersion() || v < 1 {
		t.Fatalf("user_version = %d, want %d", v, SchemaVersion())
	}
	var mode string
	s.db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	var fk int
	s.db.QueryRow("PRAGMA foreign_keys").Scan(&fk)
	if fk != 1 {
		t.Errorf("foreign keys are off")
	}
	s.Close()
	// Opening again applies nothing and keeps the data.
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
}

func TestNewerSchemaRefused(t *testing.T) {
	s, path := openTemp(t)
	if _, err := s.db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion()+1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(path)
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open of a newer schema: err = %v, want ErrNewerSchema", err)
	}
	if !strings.Contains(err.Error(), "newer Ferry") {
		t.Errorf("message does not tell what to do: %v", err)
	}
}

func TestCorruptDatabaseExplained(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ferry.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("this is not sqlite\n", 300)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path)
	if err == nil || !strings.Contains(err.Error(), "damaged or is not a Ferry database") {
		t.Fatalf("err = %v", err)
	}
}

func TestInterruptedRunRecovered(t *testing.T) {
	s, path := openTemp(t)
	if err := s.CreateRun(Run{ID: "dead", Kind: "serialize"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRun(Run{ID: "alive", Kind: "gather"}); err != nil {
		t.Fatal(err)
	}
	// Pretend "dead" belonged to a process that is gone: start and reap one.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`UPDATE runs SET pid=? WHERE id='dead'`, cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	dead, _ := s2.GetRun("dead")
	alive, _ := s2.GetRun("alive")
	if dead.Status != StatusInterrupted || dead.FinishedAt.IsZero() {
		t.Errorf("dead run: status %q finished %v, want interrupted", dead.Status, dead.FinishedAt)
	}
	if alive.Status != StatusRunning {
		t.Errorf("run of a live process: status %q, want running", alive.Status)
	}
}

func TestRunLifecycleAndFilters(t *testing.T) {
	s, _ := openTemp(t)
	for i, kind := range []string{"gather", "serialize", "scatter"} {
		id := fmt.Sprintf("r%d", i)
		if err := s.CreateRun(Run{ID: id, Kind: kind, Args: "ferry mirror " + kind}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	s.AddItem("r2", Item{Source: "reg.example/app:1", Destination: "high.example/app:1", Digest: "sha256:abc", Status: "done", Bytes: 10})
	s.UpdateProgress("r1", 50, 100, 1, 2, 0)
	s.FinishRun("r0", StatusSucceeded, "")
	s.FinishRun("r1", StatusFailed, "boom")

	all, err := s.ListRuns(RunFilter{})
	if err != nil || len(all) != 3 || all[0].ID != "r2" {
		t.Fatalf("ListRuns = %v, %v; want newest first", ids(all), err)
	}
	got, _ := s.ListRuns(RunFilter{Status: StatusFailed})
	if len(got) != 1 || got[0].ID != "r1" || got[0].Error != "boom" || got[0].BytesDone != 50 {
		t.Errorf("status filter: %+v", got)
	}
	got, _ = s.ListRuns(RunFilter{Text: "high.example/app"})
	if len(got) != 1 || got[0].ID != "r2" {
		t.Errorf("text filter by destination: %v", ids(got))
	}
	got, _ = s.ListRuns(RunFilter{Text: "sha256:ab"})
	if len(got) != 1 || got[0].ID != "r2" {
		t.Errorf("text filter by digest: %v", ids(got))
	}
	got, _ = s.ListRuns(RunFilter{Text: "100%"})
	if len(got) != 0 {
		t.Errorf("%% must be literal in text search: %v", ids(got))
	}
	got, _ = s.ListRuns(RunFilter{Kind: "gather"})
	if len(got) != 1 || got[0].ID != "r0" {
		t.Errorf("kind filter: %v", ids(got))
	}
	if _, err := s.GetRun("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetRun unknown: %v", err)
	}
}

func ids(rs []Run) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestBlobsCheckpointsAndDetail(t *testing.T) {
	s, _ := openTemp(t)
	s.CreateRun(Run{ID: "ser", Kind: "serialize"})
	err := s.RecordBlobs("ser", []Blob{
		{Digest: "sha256:a", Size: 10, Offset: 1536},
		{Digest: "sha256:b", Size: 20, Offset: 3072},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Confirmation arrives later and updates the same rows.
	s.RecordBlobs("ser", []Blob{{Digest: "sha256:a", Size: 10, Offset: 1536, Confirmed: true}})
	s.AddMedium("ser", Medium{Label: "out.tar", Device: "/tmp/out.tar", SyncID: "x", Volume: 1, Last: true})
	d, err := s.GetRunDetail("ser")
	if err != nil {
		t.Fatal(err)
	}
	if d.BlobsConfirmed != 1 || d.BytesConfirmed != 10 || d.LastOffset != 1536 {
		t.Errorf("checkpoint summary = %d blobs %d bytes offset %d", d.BlobsConfirmed, d.BytesConfirmed, d.LastOffset)
	}
	if len(d.Media) != 1 || !d.Media[0].Last {
		t.Errorf("media = %+v", d.Media)
	}
	blobs, _ := s.Blobs("ser")
	if len(blobs) != 2 || !blobs[0].Confirmed || blobs[1].Confirmed {
		t.Errorf("blobs = %+v", blobs)
	}
}

func TestLogAndDocumentsAndPreferences(t *testing.T) {
	s, _ := openTemp(t)
	s.CreateRun(Run{ID: "r", Kind: "demo"})
	s.AppendLog("r", []LogLine{{Time: time.Now(), Level: "info", Message: "one"}})
	s.AppendLog("r", []LogLine{{Time: time.Now(), Level: "warning", Message: "two"}})
	lines, _ := s.Log("r")
	if len(lines) != 2 || lines[0].Message != "one" || lines[1].Level != "warning" {
		t.Errorf("log = %+v", lines)
	}
	v1, _ := s.SaveDocument(Document{Kind: "sources", Name: "weekly", Content: "a"})
	v2, _ := s.SaveDocument(Document{Kind: "sources", Name: "weekly", Content: "b"})
	if v1 != 1 || v2 != 2 {
		t.Errorf("versions %d %d", v1, v2)
	}
	d, _ := s.GetDocument("sources", "weekly", 0)
	old, _ := s.GetDocument("sources", "weekly", 1)
	if d.Content != "b" || old.Content != "a" {
		t.Errorf("newest %q, v1 %q", d.Content, old.Content)
	}
	docs, _ := s.Documents("sources")
	if len(docs) != 1 || docs[0].Version != 2 {
		t.Errorf("documents = %+v", docs)
	}
	if _, ok, _ := s.Preference("theme"); ok {
		t.Error("unset preference reported as set")
	}
	s.SetPreference("theme", "dark")
	s.SetPreference("theme", "light")
	if v, ok, _ := s.Preference("theme"); !ok || v != "light" {
		t.Errorf("preference = %q %v", v, ok)
	}
}

// TestConcurrentWriters runs this test binary as a second process writing to
// the same database while this process writes too, as the GUI and a CLI do.
func TestConcurrentWriters(t *testing.T) {
	if path := os.Getenv("FERRY_STORE_WRITER"); path != "" {
		writeMany(t, path, "child")
		return
	}
	s, path := openTemp(t)
	s.Close()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestConcurrentWriters$")
	cmd.Env = append(os.Environ(), "FERRY_STORE_WRITER="+path)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); writeMany(t, path, "parent") }()
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("second process failed: %v\n%s", err, out.String())
	}
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for _, who := range []string{"parent", "child"} {
		lines, err := s2.Log(who + "-run")
		if err != nil || len(lines) != 200 {
			t.Errorf("%s wrote %d log lines (err %v), want 200", who, len(lines), err)
		}
	}
}

func writeMany(t *testing.T, path, who string) {
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id := who + "-run"
	if err := s.CreateRun(Run{ID: id, Kind: "demo"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		if err := s.AppendLog(id, []LogLine{{Time: time.Now(), Level: "info", Message: fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateProgress(id, int64(i), 200, i, 200, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.FinishRun(id, StatusSucceeded, ""); err != nil {
		t.Fatal(err)
	}
}
