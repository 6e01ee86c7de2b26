package store

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// envFirstUse selects the helper mode of TestFirstUseHelperProcess: the
// database path it opens once the parent says go.
const envFirstUse = "FERRY_STORE_FIRST_USE"

// TestFirstUseHelperProcess is not a test by itself: run by
// TestConcurrentFirstUseProcesses as a child, it reports ready on fd 4,
// waits until fd 3 reaches EOF (the parent's start signal), then opens the
// database, records one run and closes it.
func TestFirstUseHelperProcess(t *testing.T) {
	path := os.Getenv(envFirstUse)
	if path == "" {
		t.Skip("helper process for TestConcurrentFirstUseProcesses")
	}
	start, ready := os.NewFile(3, "start"), os.NewFile(4, "ready")
	if _, err := ready.Write([]byte{'r'}); err != nil {
		t.Fatal(err)
	}
	ready.Close()
	if _, err := io.Copy(io.Discard, start); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRun(Run{ID: fmt.Sprintf("pid-%d", os.Getpid()), Kind: "demo"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentFirstUseProcesses starts ten processes that open one fresh
// database at the same moment, as two Ferry commands started together on a
// new data folder do; every one must succeed.
func TestConcurrentFirstUseProcesses(t *testing.T) {
	const n = 10
	path := filepath.Join(t.TempDir(), "data", "ferry.db")
	startR, startW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmds := make([]*exec.Cmd, n)
	outs := make([]*bytes.Buffer, n)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFirstUseHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), envFirstUse+"="+path)
		cmd.ExtraFiles = []*os.File{startR, readyW}
		outs[i] = &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	// Only the children hold these ends now: EOF on ready means they all
	// wrote (or died), EOF on start reaches them all when startW closes.
	startR.Close()
	readyW.Close()
	got, err := io.ReadAll(readyR)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Errorf("%d of %d processes reported ready", len(got), n)
	}
	startW.Close()
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, err := s.ListRuns(RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != n {
		t.Errorf("database holds %d runs, want %d", len(runs), n)
	}
}

// TestConcurrentFirstUseInProcess opens one fresh database from two
// goroutines at once, each with its own connections.
func TestConcurrentFirstUseInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ferry.db")
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s, err := Open(path)
			if err != nil {
				errs[i] = err
				return
			}
			errs[i] = s.CreateRun(Run{ID: fmt.Sprint("g", i), Kind: "demo"})
			if err := s.Close(); errs[i] == nil {
				errs[i] = err
			}
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if runs, _ := s.ListRuns(RunFilter{}); len(runs) != 2 {
		t.Errorf("database holds %d runs, want 2", len(runs))
	}
}
