package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"ferry/backend/mirror"
	"ferry/backend/registrytest"
	"ferry/backend/store"
)

// run executes the CLI in-process with an isolated data and config home.
func run(t *testing.T, home string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	isolate(t, home)
	var out, errb bytes.Buffer
	root := NewRoot(Options{Stdout: &out, Stderr: &errb})
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

// isolate points the CLI's data and configuration at home.
func isolate(t *testing.T, home string) {
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("ACE_DT_CONFIG", "")
	t.Setenv("FERRY_DB", "")
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// gatherOne pushes one image and gathers it into index; it returns the sources list.
func gatherOne(t *testing.T, home, image, index string) string {
	t.Helper()
	registrytest.PushImage(t, image)
	list := writeFile(t, home, "sources.list", image+"\n")
	if _, errOut, err := run(t, home, "mirror", "gather", list, index); err != nil {
		t.Fatalf("gather: %v\n%s", err, errOut)
	}
	return list
}

func history(t *testing.T, home string) []store.Run {
	t.Helper()
	st, err := store.Open(filepath.Join(home, "data", "ferry", "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.ListRuns(store.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

func TestGatherAgainstRealRegistryIsRecorded(t *testing.T) {
	reg := registrytest.Start(t)
	registrytest.PushImage(t, reg.Ref("app/web:1"))
	registrytest.PushIndex(t, reg.Ref("app/multi:2"))
	home := t.TempDir()
	list := writeFile(t, home, "sources.list", "# images for sync 45\n"+reg.Ref("app/web:1")+",component=core\n\n"+reg.Ref("app/multi:2")+"\n")
	out, errOut, err := run(t, home, "mirror", "gather", list, reg.Ref("transfer/sync:45"))
	if err != nil {
		t.Fatalf("gather: %v\nstderr: %s", err, errOut)
	}
	if !strings.Contains(out, "Gathered 2 images") {
		t.Errorf("summary missing: %q", out)
	}
	if _, err := remote.Get(mustRef(t, reg.Ref("transfer/sync:45"))); err != nil {
		t.Errorf("gather index not tagged: %v", err)
	}
	runs := history(t, home)
	if len(runs) != 1 || runs[0].Kind != "gather" || runs[0].Status != store.StatusSucceeded || !strings.Contains(runs[0].Args, "gather") {
		t.Fatalf("history = %+v", runs)
	}
	if !strings.Contains(errOut, "[copy]") && !strings.Contains(errOut, "[resolve]") {
		t.Errorf("no plain progress lines on a non-terminal stderr: %q", errOut)
	}
}

// When progress and the result share one output (a terminal, or 2>&1), the
// result comes after the last progress line, not in the middle of it.
func TestResultFollowsProgress(t *testing.T) {
	host := registrytest.InProcess(t)
	registrytest.PushImage(t, host+"/app/web:1")
	home := t.TempDir()
	list := writeFile(t, home, "sources.list", host+"/app/web:1\n")
	isolate(t, home)
	var both bytes.Buffer
	root := NewRoot(Options{Stdout: &both, Stderr: &both})
	root.SetArgs([]string{"mirror", "gather", list, host + "/transfer/g:1"})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(both.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "Gathered 1 images") || strings.Count(both.String(), "Gathered") != 1 {
		t.Errorf("the result is not the last line:\n%s", both.String())
	}
	if !strings.HasPrefix(lines[len(lines)-2], "[") {
		t.Errorf("no progress line before the result:\n%s", both.String())
	}
}

func TestBadSourcesListReportsEveryLine(t *testing.T) {
	home := t.TempDir()
	list := writeFile(t, home, "sources.list", "reg.example/ok:1\nnginx:1.25\nreg.example/a:1,bad label=x\n\nreg.example/UPPER:1\n")
	_, _, err := run(t, home, "mirror", "gather", list, "reg.example/t:1")
	if err == nil {
		t.Fatal("gather of a bad sources list succeeded")
	}
	for _, want := range []string{"sources.list:2", "sources.list:3", "sources.list:5"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %s:\n%v", want, err)
		}
	}
	if runs := history(t, home); len(runs) != 0 {
		t.Errorf("a refused job was recorded: %+v", runs)
	}
}

func TestConfigUnknownKeyRefused(t *testing.T) {
	home := t.TempDir()
	cfg := writeFile(t, home, "ferry.yaml", "apiVersion: config.dt.act3-ace.io/v1alpha1\nkind: Configuration\nregistryConfig:\n  registrys: {}\n")
	_, _, err := run(t, home, "--config", cfg, "config")
	if err == nil || !strings.Contains(err.Error(), "ferry.yaml:4") || !strings.Contains(err.Error(), "registrys") {
		t.Fatalf("err = %v", err)
	}
	list := writeFile(t, home, "s.list", "reg.example/a:1\n")
	if _, _, err := run(t, home, "--config", cfg, "mirror", "gather", list, "reg.example/t:1"); err == nil {
		t.Error("gather started with a bad configuration")
	}
	out, _, err := run(t, home, "config", "--sample")
	if err != nil || !strings.Contains(out, "registryConfig") {
		t.Errorf("sample: %v %q", err, out)
	}
}

func TestUnreachableRegistryNamed(t *testing.T) {
	home := t.TempDir()
	list := writeFile(t, home, "s.list", "127.0.0.1:1/app/web:1\n")
	_, _, err := run(t, home, "mirror", "gather", list, "127.0.0.1:1/t:1")
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("err = %v", err)
	}
	runs := history(t, home)
	if len(runs) != 1 || runs[0].Status != store.StatusFailed {
		t.Errorf("history = %+v", runs)
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// With "-" as the medium the archive is standard output, so the result line
// goes to standard error: a reader of the stream gets the archive and
// nothing after it. The CLI runs in a child process to own its stdout.
func TestSerializeToStdoutKeepsTheStreamClean(t *testing.T) {
	if args := os.Getenv("FERRY_CLI_CHILD_ARGS"); args != "" {
		root := NewRoot(Options{Stdout: os.Stdout, Stderr: os.Stderr})
		root.SetArgs(strings.Split(args, "\n"))
		if err := root.ExecuteContext(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	host := registrytest.InProcess(t)
	home := t.TempDir()
	gatherOne(t, home, host+"/app/web:1", host+"/transfer/g:1")
	tarPath := filepath.Join(home, "stream.tar")
	stream, err := os.Create(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var stderr bytes.Buffer
	child := exec.Command(os.Args[0], "-test.run=^TestSerializeToStdoutKeepsTheStreamClean$")
	child.Env = append(os.Environ(), "FERRY_CLI_CHILD_ARGS="+strings.Join([]string{"mirror", "serialize", host + "/transfer/g:1", "-"}, "\n"))
	child.Stdout, child.Stderr = stream, &stderr
	if err := child.Run(); err != nil {
		t.Fatalf("serialize to -: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "Serialized "+host+"/transfer/g:1") {
		t.Errorf("no result line on standard error:\n%s", stderr.String())
	}
	if _, err := mirror.VerifyMedium(context.Background(), mirror.Env{}, mirror.VerifyOptions{Source: tarPath, Strict: true}); err != nil {
		t.Errorf("the stream is not exactly the archive: %v", err)
	}
	if data, _ := os.ReadFile(tarPath); bytes.Contains(data, []byte("Serialized")) {
		t.Error("the result line is in the archive stream")
	}
}
