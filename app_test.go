package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"ferry/backend/mirror"
	"ferry/backend/registrytest"
	"ferry/backend/session"
	"ferry/backend/store"
)

func newTestApp(t testing.TB, dir string) *App {
	t.Helper()
	p := session.Paths{DataDir: dir, DB: filepath.Join(dir, "ferry.db"), Store: filepath.Join(dir, "store")}
	s, err := session.Open(session.Options{Paths: p, LogLevel: logrus.WarnLevel})
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	a := NewApp(s, func(name string, data any) { events = append(events, name) })
	t.Cleanup(a.shutdown)
	return a
}

func TestPreferencesPersistAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	a := newTestApp(t, dir)
	p, err := a.GetPreferences()
	if err != nil || p.Theme != "system" || p.Concurrency != 4 {
		t.Fatalf("defaults = %+v, %v", p, err)
	}
	p.Theme, p.Concurrency = "dark", 8
	if err := a.SavePreferences(p); err != nil {
		t.Fatal(err)
	}
	a.shutdown()
	b := newTestApp(t, dir)
	got, _ := b.GetPreferences()
	if got.Theme != "dark" || got.Concurrency != 8 {
		t.Errorf("after restart = %+v", got)
	}
	p.Theme = "purple"
	if err := b.SavePreferences(p); err == nil {
		t.Error("invalid theme accepted")
	}
}

func TestCheckSourcesFlagsLines(t *testing.T) {
	a := newTestApp(t, t.TempDir())
	res := a.CheckSources("reg.example/a:1\nnginx\n# comment\nreg.example/a:1\n")
	if len(res.Sources) != 2 {
		t.Errorf("sources = %+v", res.Sources)
	}
	lines := map[int]string{}
	for _, p := range res.Problems {
		lines[p.Line] = string(p.Severity)
	}
	if lines[2] != "error" || lines[4] != "warning" {
		t.Errorf("problems = %+v", res.Problems)
	}
}

func TestPreviewMappingShowsDestinationsAndRuleErrors(t *testing.T) {
	a := newTestApp(t, t.TempDir())
	resp, err := a.PreviewMapping(PreviewRequest{Kind: "go-template", Rules: "high.example/{{ Repository (index .Annotations \"vnd.act3-ace.manifest.source\") }}:{{ Tag (index .Annotations \"vnd.act3-ace.manifest.source\") }}\n",
		SourcesText: "quay.io/ceph/ceph:v16.2.7\nreg.example/other/ceph:v16.2.7\n"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Result.Rows) != 2 || resp.Result.Rows[0].Destinations[0] != "high.example/ceph/ceph:v16.2.7" {
		t.Fatalf("rows = %+v", resp.Result.Rows)
	}
	bad, err := a.PreviewMapping(PreviewRequest{Kind: "go-template", Rules: "ok\n{{ .Nope ", SourcesText: "quay.io/a:1"})
	if err != nil || len(bad.RuleProblems) == 0 || bad.RuleProblems[0].Line != 2 {
		t.Errorf("rule problems = %+v, %v", bad.RuleProblems, err)
	}
}

func TestWriteTextFileIsAtomicAndReadable(t *testing.T) {
	a := newTestApp(t, t.TempDir())
	path := filepath.Join(t.TempDir(), "sources.list")
	if err := a.WriteTextFile(path, "reg.example/a:1\n"); err != nil {
		t.Fatal(err)
	}
	got, err := a.ReadTextFile(path)
	if err != nil || got != "reg.example/a:1\n" {
		t.Errorf("read back %q, %v", got, err)
	}
	if err := a.WriteTextFile(filepath.Join(path, "x"), "y"); err == nil {
		t.Error("writing below a file succeeded")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if _, err := a.ChooseOpenFile("x"); err == nil || !strings.Contains(err.Error(), "type the path") {
		t.Errorf("dialogs outside the window: %v", err)
	}
}

// BenchmarkPreviewMapping1000 is the editor's round trip for 1,000 sources
// with a go-template rule (target: well under 100 ms).
func BenchmarkPreviewMapping1000(b *testing.B) {
	a := newTestApp(b, b.TempDir())
	var sb strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&sb, "reg%d.example/team%d/app%d:v%d,component=c%d\n", i%7, i%13, i, i%5, i%3)
	}
	req := PreviewRequest{Kind: "go-template", SourcesText: sb.String(),
		Rules: "high.example/{{ Registry (index .Annotations \"vnd.act3-ace.manifest.source\") }}/{{ Package (index .Annotations \"vnd.act3-ace.manifest.source\") | lower }}\n"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := a.PreviewMapping(req)
		if err != nil || resp.Result.Counts.Sources != 1000 {
			b.Fatal(err, resp.Result.Counts)
		}
	}
}

func TestConfigEditing(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("ACE_DT_CONFIG", "")
	a := newTestApp(t, t.TempDir())
	view, err := a.GetConfig()
	if err != nil || view.Exists || !strings.Contains(view.Text, "registryConfig") {
		t.Fatalf("first view = %+v, %v", view, err)
	}
	if p := a.ValidateConfig(view.Text); len(p) != 0 {
		t.Errorf("sample has problems: %+v", p)
	}
	bad := "apiVersion: config.dt.act3-ace.io/v1alpha1\nkind: Configuration\nregistryConfg: {}\n"
	p := a.ValidateConfig(bad)
	if len(p) != 1 || p[0].Line != 3 {
		t.Errorf("problems = %+v", p)
	}
	if err := a.SaveConfig(bad); err == nil {
		t.Error("invalid configuration saved")
	}
	if err := a.SaveConfig(view.Text); err != nil {
		t.Fatal(err)
	}
	again, _ := a.GetConfig()
	if !again.Exists || again.Path != view.Path {
		t.Errorf("after save = %+v", again)
	}
}

func TestRerunFailedScatterOnlyFailedImages(t *testing.T) {
	host := registrytest.InProcess(t)
	registrytest.PushImage(t, host+"/app/good:1")
	registrytest.PushImage(t, host+"/app/bad:1")
	a := newTestApp(t, t.TempDir())
	gid, err := a.StartTransfer(TransferRequest{Kind: "gather", SourcesText: host + "/app/good:1\n" + host + "/app/bad:1\n", Image: host + "/t/g:1"})
	if err != nil {
		t.Fatal(err)
	}
	if snap, _ := a.sess.Jobs.Wait(context.Background(), gid); snap.State != store.StatusSucceeded {
		t.Fatalf("gather: %+v", snap)
	}
	// good lands on the registry; bad is sent to a closed port and fails.
	rules := "{{ $s := index .Annotations \"vnd.act3-ace.manifest.source\" }}{{ if contains \"bad\" $s }}127.0.0.1:1/x:1{{ else }}" + host + "/final/good:1{{ end }}\n"
	sid, err := a.StartTransfer(TransferRequest{Kind: "scatter", Image: host + "/t/g:1", MapperKind: "go-template", MapperRules: rules, Continue: true})
	if err != nil {
		t.Fatal(err)
	}
	if snap, _ := a.sess.Jobs.Wait(context.Background(), sid); snap.State != store.StatusFailed {
		t.Fatalf("scatter with one unreachable destination: %+v", snap)
	}
	run, _ := a.GetRun(sid)
	if !strings.Contains(run.Args, "go-template=") || strings.Contains(run.Args, "(rules") {
		t.Errorf("command line does not name the kept rules file: %q", run.Args)
	}
	rid, err := a.RerunFailed(sid)
	if err != nil {
		t.Fatal(err)
	}
	a.sess.Jobs.Wait(context.Background(), rid)
	rerun, _ := a.GetRun(rid)
	if rerun.ResumedFrom != sid || !strings.Contains(rerun.Options, `"subset":["`+host+`/app/bad:1"]`) {
		t.Errorf("re-run = %+v", rerun.Run)
	}
	for _, it := range rerun.Items {
		if it.Source != host+"/app/bad:1" {
			t.Errorf("re-run touched %s", it.Source)
		}
	}
	if _, err := a.RerunFailed(gid); err == nil || !strings.Contains(err.Error(), "no image failed") {
		t.Errorf("re-run of a run without failures: %v", err)
	}
	// Once re-run, the scatter offers nothing more: the re-run is where to act.
	if act, err := a.RunActions(sid); err != nil || act.ContinuedBy != rid || act.Rerun.Available || act.Resume.Available {
		t.Errorf("actions after a re-run = %+v, %v", act, err)
	}
	if _, err := a.RerunFailed(sid); err == nil || !strings.Contains(err.Error(), "already continues this one") {
		t.Errorf("second re-run of the same run: %v", err)
	}
}

func TestNextMediumPromptAndAnswers(t *testing.T) {
	dir := t.TempDir()
	p := session.Paths{DataDir: dir, DB: filepath.Join(dir, "ferry.db")}
	s, err := session.Open(session.Options{Paths: p, LogLevel: logrus.WarnLevel})
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan any, 4)
	a := NewApp(s, func(name string, data any) {
		if name == "job:medium" {
			events <- data
		}
	})
	defer a.shutdown()
	req := mirror.MediumRequest{Device: "/dev/nst0", SyncID: "s1", Volume: 2, Write: true, Message: "Insert volume 2"}
	result := make(chan error, 1)
	go func() { result <- a.media.Ask(context.Background(), "job-1", req) }()
	prompt := (<-events).(MediumPrompt)
	if prompt.JobID != "job-1" || prompt.Volume != 2 || !prompt.Write {
		t.Errorf("prompt = %+v", prompt)
	}
	if pending := a.PendingMedia(); len(pending) != 1 || pending[0].Device != "/dev/nst0" {
		t.Errorf("pending = %+v", pending)
	}
	if err := a.AnswerMedium("job-2", true); err == nil {
		t.Error("answer for a job that is not waiting accepted")
	}
	if err := a.AnswerMedium("job-1", true); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err != nil {
		t.Errorf("loaded medium: %v", err)
	}
	go func() { result <- a.media.Ask(context.Background(), "job-1", req) }()
	<-events
	a.AnswerMedium("job-1", false)
	if err := <-result; !errors.Is(err, mirror.ErrMediumCancelled) {
		t.Errorf("declined medium: %v", err)
	}
	if len(a.PendingMedia()) != 0 {
		t.Error("prompt left pending after the answer")
	}
}
