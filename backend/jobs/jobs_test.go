package jobs

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"ferry/backend/progress"
	"ferry/backend/store"
)

func newManager(t *testing.T) *Manager {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	log, _ := test.NewNullLogger()
	m := NewManager(st, log)
	m.ProgressInterval = 0
	t.Cleanup(func() { m.Shutdown(5 * time.Second); st.Close() })
	return m
}

type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) listen(e Event) { r.mu.Lock(); r.events = append(r.events, e); r.mu.Unlock() }
func (r *recorder) states(id string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		if e.JobID == id && e.Type == EventState {
			out = append(out, e.State)
		}
	}
	return out
}

func TestSucceededJobRecorded(t *testing.T) {
	m := newManager(t)
	rec := &recorder{}
	m.Subscribe(rec.listen)
	id, err := m.Start(Spec{Kind: "demo", Args: "ferry demo", Options: map[string]int{"steps": 3}, Run: func(ctx context.Context, j *Job) error {
		for i := 1; i <= 3; i++ {
			j.Progress(progress.Event{Phase: "step", ItemsDone: i, ItemsTotal: 3, BytesDone: int64(i * 10), BytesTotal: 30})
		}
		j.Item(store.Item{Source: "a", Status: "done"})
		j.Blobs(store.Blob{Digest: "sha256:x", Size: 1, Offset: 512, Confirmed: true})
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := m.Wait(context.Background(), id)
	if err != nil || snap.State != store.StatusSucceeded {
		t.Fatalf("state %q err %v", snap.State, err)
	}
	run, err := m.Store().GetRunDetail(id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != store.StatusSucceeded || run.ItemsDone != 3 || run.BytesDone != 30 || run.Options != `{"steps":3}` || run.Args != "ferry demo" {
		t.Errorf("recorded run = %+v", run.Run)
	}
	if len(run.Items) != 1 || run.BlobsConfirmed != 1 {
		t.Errorf("items %d, confirmed blobs %d", len(run.Items), run.BlobsConfirmed)
	}
	if got := rec.states(id); len(got) != 2 || got[0] != "running" || got[1] != "succeeded" {
		t.Errorf("state events = %v", got)
	}
}

func TestCancelledJob(t *testing.T) {
	m := newManager(t)
	started := make(chan struct{})
	id, _ := m.Start(Spec{Kind: "demo", Run: func(ctx context.Context, j *Job) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}})
	<-started
	if err := m.Cancel(id); err != nil {
		t.Fatal(err)
	}
	snap, _ := m.Wait(context.Background(), id)
	if snap.State != store.StatusCancelled {
		t.Fatalf("state = %q, want cancelled", snap.State)
	}
	run, _ := m.Store().GetRun(id)
	if run.Status != store.StatusCancelled {
		t.Errorf("recorded status = %q", run.Status)
	}
	lines, _ := m.Store().Log(id)
	if len(lines) == 0 || lines[len(lines)-1].Message != "cancelled" {
		t.Errorf("log = %+v", lines)
	}
	if err := m.Cancel(id); err != nil {
		t.Errorf("cancelling a finished job: %v", err)
	}
	if err := m.Cancel("no-such-job"); err == nil {
		t.Error("cancelling an unknown job succeeded")
	}
}

func TestFailedAndPanickingJobs(t *testing.T) {
	m := newManager(t)
	failID, _ := m.Start(Spec{Kind: "gather", Run: func(ctx context.Context, j *Job) error {
		j.Item(store.Item{Source: "a", Status: "failed", Error: "404"})
		return errors.New("1 of 2 images failed")
	}})
	panicID, _ := m.Start(Spec{Kind: "gather", Run: func(ctx context.Context, j *Job) error {
		var mm map[string]int
		mm["x"] = 1
		return nil
	}})
	for id, want := range map[string]string{failID: "1 of 2 images failed", panicID: "internal error"} {
		snap, _ := m.Wait(context.Background(), id)
		run, _ := m.Store().GetRun(id)
		if snap.State != store.StatusFailed || run.Status != store.StatusFailed {
			t.Errorf("%s: state %q / %q, want failed", id, snap.State, run.Status)
		}
		if len(run.Error) < len(want) || run.Error[:len(want)] != want {
			t.Errorf("%s: error %q, want prefix %q", id, run.Error, want)
		}
	}
	run, _ := m.Store().GetRun(failID)
	if run.Failures != 1 {
		t.Errorf("failures = %d, want 1", run.Failures)
	}
}

func TestShutdownCancelsRunningJobs(t *testing.T) {
	m := newManager(t)
	id, _ := m.Start(Spec{Kind: "demo", Run: func(ctx context.Context, j *Job) error {
		<-ctx.Done()
		return ctx.Err()
	}})
	m.Shutdown(5 * time.Second)
	run, _ := m.Store().GetRun(id)
	if run.Status != store.StatusCancelled {
		t.Errorf("status after shutdown = %q", run.Status)
	}
}

func TestFinishedJobsArePrunedButRunningOnesKept(t *testing.T) {
	m := newManager(t)
	release := make(chan struct{})
	running, _ := m.Start(Spec{Kind: "demo", Run: func(ctx context.Context, j *Job) error { <-release; return nil }})
	for i := 0; i < keepFinished+10; i++ {
		id, _ := m.Start(Spec{Kind: "demo", Run: func(ctx context.Context, j *Job) error { return nil }})
		m.Wait(context.Background(), id)
	}
	m.Start(Spec{Kind: "demo", Run: func(ctx context.Context, j *Job) error { return nil }})
	active := m.Active()
	if len(active) > keepFinished+2 {
		t.Errorf("%d jobs kept in memory, want at most %d", len(active), keepFinished+2)
	}
	found := false
	for _, s := range active {
		found = found || s.ID == running
	}
	if !found {
		t.Error("a running job was pruned")
	}
	close(release)
	if runs, _ := m.Store().ListRuns(store.RunFilter{Limit: 1000}); len(runs) != keepFinished+12 {
		t.Errorf("history has %d runs, want every run", len(runs))
	}
}

// Debug and trace lines reach the job's history only when the log level
// asks for them: at trace a line per blob would otherwise fill it.
func TestJobLogKeepsOnlyEnabledLevels(t *testing.T) {
	for _, level := range []logrus.Level{logrus.InfoLevel, logrus.DebugLevel} {
		m := newManager(t)
		m.log.SetLevel(level)
		id, err := m.Start(Spec{Kind: "demo", Run: func(ctx context.Context, j *Job) error {
			j.Logf(logrus.InfoLevel, "info line")
			j.Logf(logrus.DebugLevel, "debug line")
			j.Logf(logrus.TraceLevel, "trace line")
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		m.Wait(context.Background(), id)
		lines, _ := m.Store().Log(id)
		var got []string
		for _, l := range lines {
			got = append(got, l.Message)
		}
		want := "info line,succeeded"
		if level == logrus.DebugLevel {
			want = "info line,debug line,succeeded"
		}
		if strings.Join(got, ",") != want {
			t.Errorf("at %s the job log holds %q, want %q", level, got, want)
		}
	}
}
