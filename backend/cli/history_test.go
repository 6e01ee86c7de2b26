package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ferry/backend/registrytest"
)

// A batch through the CLI, then its history: listed, searched by
// reference, label and digest prefix (each showing the archive it went
// on), shown, exported as a signed printable report and verified.
func TestBatchThenHistoryAndSignedReport(t *testing.T) {
	reg := registrytest.Start(t)
	home := t.TempDir()
	web := reg.Ref("app/web:1")
	d, _ := registrytest.PushImage(t, web).Digest()
	list := writeFile(t, home, "sources.list", web+",component=core\n")
	if _, errOut, err := run(t, home, "mirror", "gather", list, reg.Ref("transfer/sync:45")); err != nil {
		t.Fatalf("gather: %v\n%s", err, errOut)
	}
	batch := writeFile(t, home, "batch.csv", "name, artifact\nweb, "+reg.Ref("transfer/sync:45")+"\n")
	syncDir := filepath.Join(home, "sync", "data")
	out, errOut, err := run(t, home, "mirror", "batch-serialize", batch, syncDir)
	if err != nil || !strings.Contains(out, "000001-web.tar") {
		t.Fatalf("batch-serialize: %v\n%s%s", err, out, errOut)
	}
	out, _, err = run(t, home, "mirror", "batch-serialize", batch, syncDir)
	if err != nil || !strings.Contains(out, "not sent again") {
		t.Errorf("a second batch-serialize of the same list: %v\n%s", err, out)
	}
	if out, errOut, err := run(t, home, "mirror", "batch-deserialize", syncDir, reg.Ref("high/sync")); err != nil || !strings.Contains(out, "000001-web.tar") {
		t.Fatalf("batch-deserialize: %v\n%s%s", err, out, errOut)
	}
	if got := registrytest.HeadDigest(t, reg.Ref("high/sync:web")); got == "" {
		t.Errorf("batch-deserialize did not tag %s", reg.Ref("high/sync:web"))
	}

	runs := history(t, home)
	var batchRun string
	for _, r := range runs {
		if r.Kind == "batch-serialize" { // newest first: the first batch is the last
			batchRun = r.ID
		}
	}
	out, _, err = run(t, home, "history", "list", "--kind", "batch-serialize")
	if err != nil || strings.Count(out, "batch-serialize") < 2 || !strings.Contains(out, batchRun) {
		t.Errorf("history list --kind batch-serialize: %v\n%s", err, out)
	}
	for _, q := range []string{web, "component=core", d.Hex[:12]} {
		out, _, err := run(t, home, "history", "search", q)
		if err != nil || !strings.Contains(out, "000001-web.tar, volume 1, ends at offset") || !strings.Contains(out, "gather") {
			t.Errorf("history search %s: %v\n%s", q, err, out)
		}
	}
	if out, _, err := run(t, home, "history", "search", "sha256:ab"); err == nil {
		t.Errorf("a two-digit digest prefix is searched: %s", out)
	}
	out, _, err = run(t, home, "history", "show", batchRun[:8])
	if err != nil || !strings.Contains(out, "000001-web.tar") || !strings.Contains(out, web) {
		t.Errorf("history show: %v\n%s", err, out)
	}

	report := filepath.Join(home, "report.html")
	if _, _, err := run(t, home, "history", "export", batchRun, "--format", "html", "--sign"); err == nil || !strings.Contains(err.Error(), "needs -o") {
		t.Errorf("--sign without -o: %v", err)
	}
	if out, errOut, err := run(t, home, "history", "export", batchRun, "--format", "html", "-o", report, "--sign", "--site", "high-a"); err != nil {
		t.Fatalf("export --sign: %v\n%s%s", err, out, errOut)
	}
	html, _ := os.ReadFile(report)
	if !strings.Contains(string(html), "000001-web.tar") || !strings.Contains(string(html), d.String()) {
		t.Errorf("the printable report lacks the archive or the image digest:\n%s", html)
	}
	if out, _, err := run(t, home, "report", "verify", report); err != nil || !strings.Contains(out, "good signature by this site (high-a)") {
		t.Errorf("report verify: %v\n%s", err, out)
	}
	os.WriteFile(report, append(html, []byte("<!-- edited -->")...), 0o644)
	if _, _, err := run(t, home, "report", "verify", report); err == nil || !strings.Contains(err.Error(), "changed after it was signed") {
		t.Errorf("a tampered report: %v", err)
	}
	js := filepath.Join(home, "report.json")
	if _, _, err := run(t, home, "history", "export", batchRun[:8], "-o", js, "--sign"); err != nil {
		t.Fatalf("export json --sign: %v", err)
	}
	if out, _, err := run(t, home, "report", "verify", js); err != nil || !strings.Contains(out, "good signature") {
		t.Errorf("report verify json: %v\n%s", err, out)
	}
}
