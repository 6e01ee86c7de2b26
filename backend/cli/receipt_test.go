package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"ferry/backend/receipt"
)

func TestReceiptVerbs(t *testing.T) {
	high, low := t.TempDir(), t.TempDir()
	if _, _, err := run(t, high, "receipt", "site"); err == nil || !strings.Contains(err.Error(), "--site") {
		t.Fatalf("a first `receipt site` without --site should ask for it, got %v", err)
	}
	out, _, err := run(t, high, "receipt", "site", "--site", "high-a")
	if err != nil || !strings.Contains(out, "site high-a") {
		t.Fatalf("receipt site: %v\n%s", err, out)
	}
	site, err := receipt.OpenSite(filepath.Join(high, "data", "ferry", "site"), "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(high, "receipt.json")
	if _, err := site.Issue(receipt.Receipt{Registry: "high:5000", Repository: "staging", SyncID: "s1",
		Digests: []digest.Digest{digest.FromString("a")}}, path); err != nil {
		t.Fatal(err)
	}

	out, _, err = run(t, low, "receipt", "trust", site.PublicKeyPath())
	if err != nil || !strings.Contains(out, "site high-a is pinned to key "+receipt.KeyID(site.Public)) {
		t.Fatalf("receipt trust: %v\n%s", err, out)
	}
	out, _, err = run(t, low, "receipt", "import", path)
	if err != nil || !strings.Contains(out, "sync id s1") {
		t.Fatalf("receipt import: %v\n%s", err, out)
	}
	out, _, err = run(t, low, "receipt", "list")
	if err != nil || !strings.Contains(out, "high-a") || !strings.Contains(out, receipt.KeyID(site.Public)) {
		t.Fatalf("receipt list: %v\n%s", err, out)
	}
	out, _, err = run(t, low, "receipt", "list", "high-a")
	if err != nil || !strings.Contains(out, "s1") {
		t.Fatalf("receipt list high-a: %v\n%s", err, out)
	}

	data, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(data), "staging", "stagin2", 1)), 0o644)
	if _, _, err := run(t, low, "receipt", "import", path); err == nil || !strings.Contains(err.Error(), "changed after it was signed") {
		t.Fatalf("an edited receipt should be refused, got %v", err)
	}
	os.Remove(path + receipt.SignatureSuffix)
	if _, _, err := run(t, low, "receipt", "import", path); err == nil || !strings.Contains(err.Error(), "no signature") {
		t.Fatalf("a receipt without its signature should be refused, got %v", err)
	}
}
