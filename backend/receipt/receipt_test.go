package receipt

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

func digests(words ...string) []digest.Digest {
	var out []digest.Digest
	for _, w := range words {
		out = append(out, digest.FromString(w))
	}
	return out
}

func issue(t *testing.T, site *Site, dir string, ds []digest.Digest) (string, Receipt) {
	t.Helper()
	path := filepath.Join(dir, "receipt.json")
	r, err := site.Issue(Receipt{Registry: "high:5000", Repository: "staging", SyncID: "sync-1", Digests: ds}, path)
	if err != nil {
		t.Fatal(err)
	}
	return path, r
}

func importFile(t *testing.T, b *Book, path string) (Receipt, error) {
	t.Helper()
	data, sig, err := ReadSigned(path)
	if err != nil {
		t.Fatal(err)
	}
	return b.Import(data, sig)
}

func TestSiteKeepsItsNameAndKey(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenSite(dir, ""); err == nil || !strings.Contains(err.Error(), "--site") {
		t.Fatalf("a first use without a name should ask for --site, got %v", err)
	}
	first, err := OpenSite(dir, "high-a")
	if err != nil {
		t.Fatal(err)
	}
	again, err := OpenSite(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if again.Name != "high-a" || !again.Public.Equal(first.Public) {
		t.Fatalf("reopened site is %s %s, want high-a %s", again.Name, KeyID(again.Public), KeyID(first.Public))
	}
	if _, err := OpenSite(dir, "high-b"); err == nil || !strings.Contains(err.Error(), `"high-a"`) {
		t.Fatalf("renaming the site should be refused naming the old name, got %v", err)
	}
	info, err := os.Stat(filepath.Join(dir, "site.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("site.key should be 0600: %v %v", info.Mode(), err)
	}
	if _, err := OpenSite(t.TempDir(), "../etc"); err == nil {
		t.Fatal("a site name with a path in it was accepted")
	}
}

func TestImportPinsTheFirstKeyAndRefusesAnother(t *testing.T) {
	tmp := t.TempDir()
	site, err := OpenSite(filepath.Join(tmp, "site"), "high-a")
	if err != nil {
		t.Fatal(err)
	}
	path, issued := issue(t, site, tmp, digests("b", "a", "b"))
	if len(issued.Digests) != 2 || !issued.Has(digest.FromString("a")) {
		t.Fatalf("digests not sorted and unique: %v", issued.Digests)
	}
	book := OpenBook(filepath.Join(tmp, "book"))
	got, err := importFile(t, book, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := importFile(t, book, path); err != nil {
		t.Fatalf("importing the same receipt twice: %v", err)
	}
	all, err := book.Receipts("high-a")
	if err != nil || len(all) != 1 || all[0].SyncID != got.SyncID {
		t.Fatalf("book holds %v, %v", all, err)
	}

	// Another machine calling itself high-a: its receipt is refused.
	impostor, err := OpenSite(filepath.Join(tmp, "impostor"), "high-a")
	if err != nil {
		t.Fatal(err)
	}
	otherDir := filepath.Join(tmp, "other")
	os.Mkdir(otherDir, 0o755)
	otherPath, _ := issue(t, impostor, otherDir, digests("c"))
	_, err = importFile(t, book, otherPath)
	if err == nil || !strings.Contains(err.Error(), "pinned to key "+KeyID(site.Public)) {
		t.Fatalf("a receipt signed by another key should be refused naming the pinned key, got %v", err)
	}

	// A receipt of another site does not apply to high-a.
	other, _ := OpenSite(filepath.Join(tmp, "b"), "high-b")
	bPath, _ := issue(t, other, otherDir, digests("d"))
	if _, err := importFile(t, book, bPath); err != nil {
		t.Fatal(err)
	}
	latest, ok, err := book.Latest("high-a")
	if err != nil || !ok || latest.Has(digest.FromString("d")) {
		t.Fatalf("high-a's latest receipt should not list high-b's digests: %v %v", latest, err)
	}
	sites, err := book.Sites()
	if err != nil || len(sites) != 2 || sites[0].Site != "high-a" || sites[0].Receipts != 1 {
		t.Fatalf("sites: %+v %v", sites, err)
	}
}

func TestEditedReceiptIsRefused(t *testing.T) {
	tmp := t.TempDir()
	site, _ := OpenSite(filepath.Join(tmp, "site"), "high-a")
	path, _ := issue(t, site, tmp, digests("a"))
	data, sig, _ := ReadSigned(path)
	edited := bytes.Replace(data, []byte(`"staging"`), []byte(`"stagin2"`), 1)
	_, err := OpenBook(filepath.Join(tmp, "book")).Import(edited, sig)
	if err == nil || !strings.Contains(err.Error(), "changed after it was signed") {
		t.Fatalf("an edited receipt should be refused as changed, got %v", err)
	}
	if _, err := OpenBook(filepath.Join(tmp, "book")).Import([]byte(`{"format":"x"}`), sig); err == nil || !strings.Contains(err.Error(), "not a Ferry receipt") {
		t.Fatalf("a foreign document: %v", err)
	}
	// A receipt kept in the book and edited there is not believed either.
	book := OpenBook(filepath.Join(tmp, "book2"))
	if _, err := book.Import(data, sig); err != nil {
		t.Fatal(err)
	}
	kept, _ := filepath.Glob(filepath.Join(tmp, "book2", "high-a", "*.json"))
	os.WriteFile(kept[0], edited, 0o644)
	if _, _, err := book.Latest("high-a"); err == nil {
		t.Fatal("an edited receipt in the book was believed")
	}
}

func TestTrustBeforeFirstReceipt(t *testing.T) {
	tmp := t.TempDir()
	site, _ := OpenSite(filepath.Join(tmp, "site"), "high-a")
	keyFile, err := os.ReadFile(site.PublicKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	book := OpenBook(filepath.Join(tmp, "book"))
	name, _, err := book.Trust(keyFile, "")
	if err != nil || name != "high-a" {
		t.Fatalf("trust: %s %v", name, err)
	}
	impostor, _ := OpenSite(filepath.Join(tmp, "impostor"), "high-a")
	path, _ := issue(t, impostor, tmp, digests("a"))
	if _, err := importFile(t, book, path); err == nil {
		t.Fatal("a receipt signed by a key other than the trusted one was imported")
	}
	if _, _, err := book.Trust([]byte("untrusted comment: x\nAAAA\n"), "high-a"); err == nil {
		t.Fatal("a malformed key file was trusted")
	}
}

// The minisign command, as a security officer would use it, accepts
// Ferry's signatures.
func TestMinisignCommandVerifies(t *testing.T) {
	bin, err := exec.LookPath("minisign")
	if err != nil {
		if os.Getenv("FERRY_REQUIRE_REGISTRY") != "" {
			t.Fatal("minisign is not installed (make apt-deps installs it)")
		}
		t.Skip("minisign is not installed; make test installs it and runs this")
	}
	tmp := t.TempDir()
	site, _ := OpenSite(filepath.Join(tmp, "site"), "high-a")
	path, _ := issue(t, site, tmp, digests("a"))
	out, err := exec.Command(bin, "-V", "-p", site.PublicKeyPath(), "-m", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ferry receipt, site high-a") {
		t.Fatalf("minisign -V: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(path)
	os.WriteFile(path, append(data, ' '), 0o644)
	if out, err := exec.Command(bin, "-V", "-p", site.PublicKeyPath(), "-m", path).CombinedOutput(); err == nil {
		t.Fatalf("minisign accepted an edited receipt:\n%s", out)
	}
}
