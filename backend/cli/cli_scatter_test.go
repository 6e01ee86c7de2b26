package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ferry/backend/registrytest"
	"ferry/backend/store"
)

func runItems(t *testing.T, home, id string) []store.Item {
	t.Helper()
	st, err := store.Open(filepath.Join(home, "data", "ferry", "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	items, err := st.Items(id)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func TestScatterCheckThenScatterOnRealRegistry(t *testing.T) {
	reg := registrytest.Start(t)
	d1, _ := registrytest.PushImage(t, reg.Ref("app/web:1")).Digest()
	d2, _ := registrytest.PushIndex(t, reg.Ref("app/multi:2")).Digest()
	home := t.TempDir()
	list := writeFile(t, home, "sources.list", reg.Ref("app/web:1")+",component=core\n"+reg.Ref("app/multi:2")+"\n")
	if _, errOut, err := run(t, home, "mirror", "gather", list, reg.Ref("transfer/sync:45")); err != nil {
		t.Fatalf("gather: %v\n%s", err, errOut)
	}
	tmpl := writeFile(t, home, "dest.tmpl", `{{ $s := index .Annotations "vnd.act3-ace.manifest.source" }}`+
		reg.Host()+"/site-a/{{ Package $s }}\n"+reg.Host()+"/site-b/{{ Repository $s }}\n")

	out, errOut, err := run(t, home, "mirror", "scatter", "--check", reg.Ref("transfer/sync:45"), "go-template="+tmpl)
	if err != nil {
		t.Fatalf("check: %v\n%s", err, errOut)
	}
	for _, line := range []string{
		reg.Ref("app/web:1") + " -> " + reg.Ref("site-a/app/web:1"),
		reg.Ref("app/web:1") + " -> " + reg.Ref("site-b/app/web:latest"),
		reg.Ref("app/multi:2") + " -> " + reg.Ref("site-a/app/multi:2"),
		reg.Ref("app/multi:2") + " -> " + reg.Ref("site-b/app/multi:latest"),
		"nothing was pushed",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("--check output lacks %q:\n%s", line, out)
		}
	}
	if registrytest.HeadDigest(t, reg.Ref("site-a/app/web:1")) != "" {
		t.Fatal("--check pushed")
	}

	out, errOut, err = run(t, home, "mirror", "scatter", reg.Ref("transfer/sync:45"), "go-template="+tmpl)
	if err != nil {
		t.Fatalf("scatter: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "Scattered 2 of 2 images to 4 destinations") {
		t.Errorf("summary: %q", out)
	}
	for ref, want := range map[string]string{
		reg.Ref("site-a/app/web:1"): d1.String(), reg.Ref("site-b/app/web:latest"): d1.String(),
		reg.Ref("site-a/app/multi:2"): d2.String(), reg.Ref("site-b/app/multi:latest"): d2.String(),
	} {
		if got := registrytest.HeadDigest(t, ref); got != want {
			t.Errorf("%s = %q, want %s", ref, got, want)
		}
	}
	runs := history(t, home)
	if len(runs) != 3 || runs[0].Kind != "scatter" || runs[0].Status != store.StatusSucceeded {
		t.Fatalf("history = %+v", runs)
	}
	var done int
	for _, it := range runItems(t, home, runs[0].ID) {
		if it.Status == "done" {
			done++
		}
	}
	if done != 4 {
		t.Errorf("recorded %d done items, want 4", done)
	}
	var opts map[string]any
	if err := json.Unmarshal([]byte(runs[0].Options), &opts); err != nil || opts["mapping"] != "go-template="+tmpl {
		t.Errorf("recorded options = %s (%v)", runs[0].Options, err)
	}
}

func TestScatterSubsetContinueAndFailureExit(t *testing.T) {
	host := registrytest.InProcess(t)
	registrytest.PushImage(t, host+"/app/a:1")
	d2, _ := registrytest.PushImage(t, host+"/app/b:1").Digest()
	home := t.TempDir()
	list := writeFile(t, home, "sources.list", host+"/app/a:1\n"+host+"/app/b:1,tier=db\n")
	if _, errOut, err := run(t, home, "mirror", "gather", list, host+"/transfer/t:1"); err != nil {
		t.Fatalf("gather: %v\n%s", err, errOut)
	}
	subset := writeFile(t, home, "subset.list", host+"/app/b:1\n")
	if _, errOut, err := run(t, home, "mirror", "scatter", "--subset", subset, host+"/transfer/t:1", "nest="+host+"/sub"); err != nil {
		t.Fatalf("scatter --subset: %v\n%s", err, errOut)
	}
	if registrytest.HeadDigest(t, host+"/sub/"+strings.Replace(host, ":", "_", 1)+"/app/b:1") != d2.String() ||
		registrytest.HeadDigest(t, host+"/sub/"+strings.Replace(host, ":", "_", 1)+"/app/a:1") != "" {
		t.Error("--subset did not restrict the scatter to app/b")
	}

	// app/a goes to an unreachable registry; app/b to a good one.
	rules := writeFile(t, home, "rules.csv", host+"/app/a,127.0.0.1:1/x/a\n"+host+"/app/b,"+host+"/ok/b\n")
	// Without --continue the failure stops the run and the exit status says so.
	if _, _, err := run(t, home, "mirror", "scatter", host+"/transfer/t:1", "first-prefix="+rules); err == nil || !strings.Contains(err.Error(), "127.0.0.1:1/x/a:1") {
		t.Fatalf("scatter without --continue: err = %v", err)
	}
	// With --continue, as ace-dt's clone --continue: exit status 0 once
	// something was delivered, every failure printed as a warning.
	out, errOut, err := run(t, home, "mirror", "scatter", "--continue", host+"/transfer/t:1", "first-prefix="+rules)
	if err != nil || !strings.Contains(errOut, "warning: ") || !strings.Contains(errOut, "127.0.0.1:1/x/a:1") || !strings.Contains(errOut, "exit status 0 because of --continue") {
		t.Fatalf("scatter --continue: err = %v\nstderr: %s", err, errOut)
	}
	if !strings.Contains(out, "Scattered 1 of 2 images to 1 destinations") || !strings.Contains(out, "1 failed") {
		t.Errorf("summary: %q", out)
	}
	if registrytest.HeadDigest(t, host+"/ok/b:1") != d2.String() {
		t.Error("--continue did not deliver app/b")
	}
	if runs := history(t, home); runs[0].Status != store.StatusFailed {
		t.Errorf("a scatter with failures recorded as %s", runs[0].Status)
	}

	if _, _, err := run(t, home, "mirror", "scatter", host+"/transfer/t:1", "bogus=x"); err == nil || !strings.Contains(err.Error(), "unknown mapping type") {
		t.Errorf("bad mapper: %v", err)
	}
	if _, _, err := run(t, home, "mirror", "scatter", host+"/transfer/t:1", "first-prefix="+filepath.Join(home, "absent.csv")); err == nil || !strings.Contains(err.Error(), "absent.csv") {
		t.Errorf("missing rules file: %v", err)
	}
	if _, _, err := run(t, home, "mirror", "scatter", "-l", "tier in (db", host+"/transfer/t:1", "nest="+host+"/x"); err == nil || !strings.Contains(err.Error(), "selector") {
		t.Errorf("bad selector: %v", err)
	}
}

func TestCloneAndDiffVerbs(t *testing.T) {
	host := registrytest.InProcess(t)
	d1, _ := registrytest.PushImage(t, host+"/app/a:1").Digest()
	d2, _ := registrytest.PushImage(t, host+"/app/b:1").Digest()
	home := t.TempDir()
	list := writeFile(t, home, "sources.list", host+"/app/a:1,component=core\n"+host+"/app/b:1\n")
	out, errOut, err := run(t, home, "mirror", "clone", "-l", "component=core", list, "nest="+host+"/cl")
	if err != nil {
		t.Fatalf("clone: %v\n%s", err, errOut)
	}
	nest := host + "/cl/" + strings.Replace(host, ":", "_", 1)
	if registrytest.HeadDigest(t, nest+"/app/a:1") != d1.String() || registrytest.HeadDigest(t, nest+"/app/b:1") != "" {
		t.Errorf("clone -l: a=%q b=%q", registrytest.HeadDigest(t, nest+"/app/a:1"), registrytest.HeadDigest(t, nest+"/app/b:1"))
	}
	if !strings.Contains(out, "Cloned 1 of 1 images") {
		t.Errorf("summary: %q", out)
	}

	short := writeFile(t, home, "short.list", host+"/app/a:1\n")
	for tag, l := range map[string]string{"old": short, "new": list} {
		if _, errOut, err := run(t, home, "mirror", "gather", l, host+"/transfer/t:"+tag); err != nil {
			t.Fatalf("gather: %v\n%s", err, errOut)
		}
	}
	jsonFile := filepath.Join(home, "diff.json")
	out, errOut, err = run(t, home, "mirror", "diff", host+"/transfer/t:new", host+"/transfer/t:old", "-o", "table", "-o", "json="+jsonFile, "-o", "csv")
	if err != nil {
		t.Fatalf("diff: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "REFERENCE") || !strings.Contains(out, host+"/app/b:1") || strings.Contains(out, host+"/app/a:1") {
		t.Errorf("table/csv output:\n%s", out)
	}
	if !strings.Contains(out, "reference,digest\n"+host+"/app/b:1,"+d2.String()+"\n") {
		t.Errorf("csv output:\n%s", out)
	}
	b, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	if err := json.Unmarshal(b, &rows); err != nil || len(rows) != 1 || rows[0]["reference"] != host+"/app/b:1" || rows[0]["digest"] != d2.String() {
		t.Errorf("json output %s (%v)", b, err)
	}
	if _, _, err := run(t, home, "mirror", "diff", host+"/transfer/t:new", "-o", "yaml"); err == nil || !strings.Contains(err.Error(), "unknown output") {
		t.Errorf("bad -o: %v", err)
	}
}

func TestMappingPreviewVerb(t *testing.T) {
	home := t.TempDir()
	list := writeFile(t, home, "sources.list", "quay.io/ceph/ceph:v16.2.7,component=storage\nreg.example/app/web:1\nreg.example/app/api:2\n")
	rules := writeFile(t, home, "rules.csv", "quay.io/,reg.high.example/quay/\nreg.example/app/web,reg.high.example/web\n")
	out, _, err := run(t, home, "mapping", "preview", "--sources", list, "first-prefix="+rules)
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	for _, want := range []string{
		"quay.io/ceph/ceph:v16.2.7 -> reg.high.example/quay/ceph/ceph:v16.2.7",
		"reg.example/app/web:1 -> reg.high.example/web:1",
		"reg.example/app/api:2 -> (none)",
		"  warning: no rule matches",
		"3 sources, 2 destinations, 1 unmatched, 0 errors, 1 warnings",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("preview lacks %q:\n%s", want, out)
		}
	}

	// Two sources on one tag is an error: non-zero exit.
	bad := writeFile(t, home, "bad.csv", "reg.example/app/web:1,reg.high.example/same\nreg.example/app/api:2,reg.high.example/same\n")
	tmpl := writeFile(t, home, "t.tmpl", "reg.high.example/all:1\n")
	for _, mapper := range []string{"first-prefix=" + bad, "go-template=" + tmpl} {
		out, _, err = run(t, home, "mapping", "preview", "--sources", list, mapper)
		if err == nil || !strings.Contains(out, "error:") {
			t.Errorf("%s: collision not an error: %v\n%s", mapper, err, out)
		}
	}
	out, _, err = run(t, home, "mapping", "preview", "--sources", list, "-l", "component=storage", "nest=reg.high.example/m")
	if err != nil || !strings.Contains(out, "1 sources, 1 destinations") {
		t.Errorf("preview -l: %v\n%s", err, out)
	}
	if _, _, err := run(t, home, "mapping", "preview", "nest=reg.high.example/m"); err == nil || !strings.Contains(err.Error(), "--sources") {
		t.Errorf("no input: %v", err)
	}
}
