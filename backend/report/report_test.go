package report

import (
	"archive/tar"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ferry/backend/receipt"
	"ferry/backend/store"
	"ferry/backend/version"
)

// medium writes a tar like a Ferry medium: index.json first and last,
// the last one carrying the stream digest.
func medium(t *testing.T, path, sum string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for _, e := range []struct{ name, body string }{
		{"oci-layout", `{"imageLayoutVersion":"1.0.0"}`},
		{"index.json", `{"schemaVersion":2,"annotations":{"vnd.ferry.sync.id":"s"}}`},
		{"blobs/sha256/aa", strings.Repeat("x", 5000)},
		{"index.json", `{"schemaVersion":2,"annotations":{"vnd.ferry.stream.sha256":"` + sum + `"}}`},
	} {
		tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(e.body))
	}
	tw.Close()
	f.Close()
}

func TestPrintableReport(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tarPath := filepath.Join(dir, "sync-45.tar")
	medium(t, tarPath, "5e1f00d")
	st.CreateRun(store.Run{ID: "run-1", Kind: "serialize", Args: "ferry mirror serialize reg.example/t:1 " + tarPath})
	st.AddItem("run-1", store.Item{Source: "reg.example/app:1<script>", Destination: tarPath, Digest: "sha256:abc123", Status: "done"})
	st.AddMedium("run-1", store.Medium{Label: "sync-45.tar", Device: tarPath, SyncID: "sync-id-45", Volume: 1, Last: true, Bytes: 9000})
	st.AddMedium("run-1", store.Medium{Label: "tape", Device: filepath.Join(dir, "gone.tar"), Volume: 2})
	st.FinishRun("run-1", store.StatusSucceeded, "")

	tr, err := Collect(st, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	html, err := tr.HTML()
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	for _, want := range []string{"Ferry " + version.Version, tr.Origin.Operator, host, "sync-45.tar", "sync-id-45", "5e1f00d",
		"sha256:abc123", tarPath, "reg.example/app:1&lt;script&gt;", "the medium is not at hand here", "@media print"} {
		if want == "" || !strings.Contains(html, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(html, "<script>") {
		t.Error("the report does not escape what it shows")
	}
	if !strings.HasPrefix(tr.Name("html"), "ferry-serialize-") {
		t.Errorf("name %q", tr.Name("html"))
	}
}

func TestSignAndVerify(t *testing.T) {
	dir := t.TempDir()
	site, err := receipt.OpenSite(filepath.Join(dir, "site"), "high-a")
	if err != nil {
		t.Fatal(err)
	}
	other, err := receipt.OpenSite(filepath.Join(dir, "other"), "low-b")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "report.html")
	if err := Sign(site, path, []byte("<html>report</html>")); err != nil {
		t.Fatal(err)
	}
	keys := []Key{{Name: "site low-b", Public: other.Public}, {Name: "this site (high-a)", Public: site.Public}}
	if k, err := Verify(path, keys); err != nil || k.Name != "this site (high-a)" {
		t.Fatalf("a signed report: %v, %v", k, err)
	}
	if _, err := Verify(path, keys[:1]); !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), "--key") {
		t.Errorf("signed by a key not at hand: %v", err)
	}
	os.WriteFile(path, []byte("<html>report, edited</html>"), 0o644)
	if _, err := Verify(path, keys); !errors.Is(err, receipt.ErrBadSignature) || !strings.Contains(err.Error(), "changed after it was signed") {
		t.Errorf("a tampered report: %v", err)
	}
	os.Remove(path + receipt.SignatureSuffix)
	if _, err := Verify(path, keys); err == nil || !strings.Contains(err.Error(), "no signature") {
		t.Errorf("no signature: %v", err)
	}
}
