package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ferry/backend/mirror"
	"ferry/backend/registrytest"
	"ferry/backend/store"
)

func TestQuietAndDebugFile(t *testing.T) {
	host := registrytest.InProcess(t)
	registrytest.PushImage(t, host+"/app/a:1")
	home := t.TempDir()
	list := writeFile(t, home, "sources.list", host+"/app/a:1\n")
	events := filepath.Join(home, "ui-events.jsonl")
	out, errOut, err := run(t, home, "mirror", "gather", "-q", "--no-term", "--debug", events, list, host+"/transfer/t:1")
	if err != nil {
		t.Fatalf("gather: %v\n%s", err, errOut)
	}
	if out != "" || errOut != "" {
		t.Errorf("-q printed %q on stdout and %q on stderr", out, errOut)
	}
	b, err := os.ReadFile(events)
	if err != nil {
		t.Fatal(err)
	}
	var progress, final int
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e struct {
			Time     string          `json:"time"`
			Type     string          `json:"type"`
			Progress json.RawMessage `json:"progress"`
			State    string          `json:"state"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil || e.Time == "" {
			t.Fatalf("--debug line %q: %v", line, err)
		}
		if e.Progress != nil {
			progress++
		}
		if e.State == store.StatusSucceeded {
			final++
		}
	}
	if progress == 0 || final != 1 {
		t.Errorf("--debug file has %d progress events and %d final states:\n%s", progress, final, b)
	}
	if _, _, err := run(t, home, "mirror", "gather", "--debug", filepath.Join(home, "absent", "x.jsonl"), list, host+"/transfer/t:2"); err == nil || !strings.Contains(err.Error(), "--debug") {
		t.Errorf("an unwritable --debug file: %v", err)
	}
}

// clone --continue exits 0 when something was delivered, as the reference
// does, and still fails when nothing was.
func TestCloneContinueExitStatus(t *testing.T) {
	host := registrytest.InProcess(t)
	registrytest.PushImage(t, host+"/app/a:1")
	registrytest.PushImage(t, host+"/app/b:1")
	home := t.TempDir()
	list := writeFile(t, home, "sources.list", host+"/app/a:1\n"+host+"/app/b:1\n")
	rules := writeFile(t, home, "rules.csv", host+"/app/a,127.0.0.1:1/x/a\n"+host+"/app/b,"+host+"/ok/b\n")
	_, errOut, err := run(t, home, "mirror", "clone", "--continue", list, "first-prefix="+rules)
	if err != nil || !strings.Contains(errOut, "127.0.0.1:1/x/a:1") || !strings.Contains(errOut, "exit status 0 because of --continue") {
		t.Fatalf("partial clone --continue: %v\n%s", err, errOut)
	}
	if registrytest.HeadDigest(t, host+"/ok/b:1") == "" {
		t.Error("app/b was not delivered")
	}
	if runs := history(t, home); runs[0].Status != store.StatusFailed {
		t.Errorf("the partial clone is recorded as %s", runs[0].Status)
	}
	if _, _, err := run(t, home, "mirror", "clone", list, "first-prefix="+rules); err == nil {
		t.Error("clone without --continue succeeded with a failed destination")
	}
	nowhere := writeFile(t, home, "nowhere.csv", host+"/app,127.0.0.1:1/x\n")
	if _, _, err := run(t, home, "mirror", "clone", "--continue", list, "first-prefix="+nowhere); err == nil {
		t.Error("clone --continue that delivered nothing exited 0")
	}
}

func TestUnarchiveCheckAndReference(t *testing.T) {
	host := registrytest.InProcess(t)
	home := t.TempDir()
	gatherOne(t, home, host+"/app/a:1", host+"/transfer/t:1")
	tarPath := filepath.Join(home, "t.tar")
	if _, errOut, err := run(t, home, "mirror", "serialize", host+"/transfer/t:1", tarPath); err != nil {
		t.Fatalf("serialize: %v\n%s", err, errOut)
	}
	storeDir := filepath.Join(home, "store")
	out, errOut, err := run(t, home, "mirror", "unarchive", "--check", "--reference", "sync-1", "--store", storeDir, tarPath, "nest="+host+"/high")
	if err != nil || !strings.Contains(out, "Check only") {
		t.Fatalf("unarchive --check: %v\n%s%s", err, out, errOut)
	}
	nested := host + "/high/" + strings.Replace(host, ":", "_", 1) + "/app/a:1"
	if registrytest.HeadDigest(t, nested) != "" || !strings.Contains(out, nested) {
		t.Errorf("--check pushed %s, or did not list it:\n%s", nested, out)
	}
	l, err := mirror.OpenLayout(storeDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Resolve(t.Context(), "sync-1"); err != nil {
		t.Errorf("--reference sync-1 did not tag the gather index in the store: %v", err)
	}
}
