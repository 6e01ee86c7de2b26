package cli

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ferry/backend/config"
	"ferry/backend/jobs"
	"ferry/backend/ops"
	"ferry/backend/receipt"
	"ferry/backend/registrytest"
	"ferry/backend/store"

	"github.com/opencontainers/go-digest"
)

func digestOf(s string) digest.Digest { return digest.Digest(s) }

// tarBlob is a blob entry of a medium.
type tarBlob struct {
	size     int64
	manifest bool // its bytes are a manifest (sent again on every medium, FORMAT.md 3.4)
}

// tarBlobs lists the blob entries of a plain tar medium by digest.
func tarBlobs(t *testing.T, path string) map[string]tarBlob {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]tarBlob{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if rest, ok := strings.CutPrefix(h.Name, "blobs/sha256/"); ok && h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(io.LimitReader(tr, 1<<16))
			out["sha256:"+rest] = tarBlob{size: h.Size, manifest: strings.Contains(string(b), `"schemaVersion"`) && strings.Contains(string(b), `"mediaType"`)}
		}
	}
}

// issuedReceipt lists the receipts the deserializes in home wrote.
func issuedReceipt(t *testing.T, home string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(receipt.IssuedDir(filepath.Join(home, "data", "ferry")), "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

func mustRun(t *testing.T, home string, args ...string) (string, string) {
	t.Helper()
	out, errOut, err := run(t, home, args...)
	if err != nil {
		t.Fatalf("ferry %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out, errOut
}

// planOf is the plan the window shows for req, with low's history and receipts.
func planOf(t *testing.T, home string, req ops.Request) ops.Plan {
	t.Helper()
	isolate(t, home)
	dataDir := filepath.Join(home, "data", "ferry")
	st, err := store.Open(filepath.Join(dataDir, "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := ops.PlanFor(context.Background(), jobs.MirrorEnv(config.Default(), nil), req, ops.Runtime{Store: st, DataDir: dataDir})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

// Two consecutive transfers of an updated sources list with a receipt in
// between: the second medium holds only what is new, reads cleanly into the
// repository holding the first, and its plan's bytes saved is what it left
// out. Then a medium goes missing: the next --since-receipt names it until
// its content is included or a receipt confirms it.
func TestRepeatTransferSendsOnlyWhatIsNew(t *testing.T) {
	low, high := registrytest.Start(t), registrytest.Start(t)
	lowHome, highHome := t.TempDir(), t.TempDir()
	big := registrytest.Layer(t, 11, 256<<10)
	registrytest.PushImage(t, low.Ref("app/a:1"), big)
	list := writeFile(t, lowHome, "sources.list", low.Ref("app/a:1")+"\n")
	mustRun(t, lowHome, "mirror", "gather", list, low.Ref("transfer/sync:1"))
	m1 := filepath.Join(lowHome, "m1.tar")
	mustRun(t, lowHome, "mirror", "serialize", low.Ref("transfer/sync:1"), m1)

	// The high side names its site once; the deserialize writes the receipt.
	mustRun(t, highHome, "receipt", "site", "--site", "high-a")
	_, errOut := mustRun(t, highHome, "mirror", "deserialize", m1, high.Ref("landing/sync:1"))
	r1 := issuedReceipt(t, highHome)
	if len(r1) != 1 || !strings.Contains(errOut, "Receipt of site high-a") || !strings.Contains(errOut, r1[0]) {
		t.Fatalf("the deserialize should say where its receipt is (%v):\n%s", r1, errOut)
	}
	var recorded bool
	for _, r := range history(t, highHome) {
		detail := runDetail(t, highHome, r.ID)
		for _, it := range detail.Items {
			recorded = recorded || (it.Status == ops.ReceiptStatus && it.Destination == r1[0])
		}
	}
	if !recorded {
		t.Error("the deserialize run does not record its receipt's path")
	}
	if _, _, err := run(t, lowHome, "mirror", "serialize", low.Ref("transfer/sync:1"), filepath.Join(lowHome, "x.tar"), "--since-receipt", "high-a"); err == nil ||
		!strings.Contains(err.Error(), "no receipt of site high-a") {
		t.Fatalf("--since-receipt before any receipt was imported: %v", err)
	}
	m1Run := runOf(t, lowHome, "m1.tar")
	if _, _, err := run(t, lowHome, "mirror", "serialize", low.Ref("transfer/sync:1"), filepath.Join(lowHome, "x.tar"), "--since-run", ops.Short(m1Run.ID)); err == nil ||
		!strings.Contains(err.Error(), "no receipt confirms") {
		t.Fatalf("--since-run of a medium no receipt confirms: %v", err)
	}
	out, _ := mustRun(t, lowHome, "receipt", "import", r1[0])
	if !strings.Contains(out, "imported: site high-a") {
		t.Fatalf("import: %s", out)
	}

	// The sources list grows: a new image beside the old one.
	registrytest.PushImage(t, low.Ref("app/b:1"), registrytest.Layer(t, 12, 64<<10))
	writeFile(t, lowHome, "sources.list", low.Ref("app/a:1")+"\n"+low.Ref("app/b:1")+"\n")
	mustRun(t, lowHome, "mirror", "gather", list, low.Ref("transfer/sync:2"))
	full := filepath.Join(lowHome, "full2.tar")
	mustRun(t, lowHome, "mirror", "serialize", low.Ref("transfer/sync:2"), full)
	m2 := filepath.Join(lowHome, "m2.tar")
	req := ops.Request{Kind: ops.Serialize, Image: low.Ref("transfer/sync:2"), Path: m2, SinceReceipt: "high-a"}
	plan := planOf(t, lowHome, req)
	out, _ = mustRun(t, lowHome, "mirror", "serialize", req.Image, m2, "--since-receipt", "high-a")

	all, part := tarBlobs(t, full), tarBlobs(t, m2)
	var leftOut int64
	for d, b := range all {
		if _, ok := part[d]; !ok {
			leftOut += b.size
		}
	}
	bigDigest, _ := big.Digest()
	if _, ok := part[bigDigest.String()]; ok {
		t.Error("the second medium carries the layer the first one delivered")
	}
	if leftOut < 256<<10 || plan.BytesSaved != leftOut {
		t.Errorf("left out %d bytes; the plan said %d", leftOut, plan.BytesSaved)
	}
	if !strings.Contains(plan.Incremental, "high-a") || !strings.Contains(plan.Incremental, high.Ref("landing/sync")) {
		t.Errorf("the plan does not say what it leaves out and where to read it: %q", plan.Incremental)
	}
	if strings.Contains(out, "skipped 0 blobs") {
		t.Errorf("serialize output: %s", out)
	}
	// --since-run leaves out what the confirmed first run wrote.
	byRun := filepath.Join(lowHome, "m2-by-run.tar")
	mustRun(t, lowHome, "mirror", "serialize", req.Image, byRun, "--since-run", ops.Short(m1Run.ID))
	if _, ok := tarBlobs(t, byRun)[bigDigest.String()]; ok {
		t.Error("--since-run sent the layer the confirmed run wrote")
	}
	mustRun(t, highHome, "mirror", "deserialize", m2, high.Ref("landing/sync:2"))
	if registrytest.HeadDigest(t, high.Ref("landing/sync:2")) != registrytest.HeadDigest(t, low.Ref("transfer/sync:2")) {
		t.Fatal("the second transfer is not complete in the repository holding the first")
	}
	r2 := issuedReceipt(t, highHome)
	if len(r2) != 2 {
		t.Fatalf("receipts written: %v", r2)
	}

	// The receipt of the second medium is not brought back: the next
	// incremental serialize names that medium and refuses.
	registrytest.PushImage(t, low.Ref("app/c:1"))
	writeFile(t, lowHome, "sources.list", low.Ref("app/a:1")+"\n"+low.Ref("app/b:1")+"\n"+low.Ref("app/c:1")+"\n")
	mustRun(t, lowHome, "mirror", "gather", list, low.Ref("transfer/sync:3"))
	m3 := filepath.Join(lowHome, "m3.tar")
	m2Run := runOf(t, lowHome, "m2.tar")
	m2Sync := runDetail(t, lowHome, m2Run.ID).Media[0].SyncID
	_, _, err := run(t, lowHome, "mirror", "serialize", low.Ref("transfer/sync:3"), m3, "--since-receipt", "high-a")
	if err == nil || !strings.Contains(err.Error(), m2Sync) || !strings.Contains(err.Error(), ops.Short(m2Run.ID)) || !strings.Contains(err.Error(), "--include-unconfirmed") {
		t.Fatalf("a medium no receipt confirms should be named, with the way out: %v", err)
	}
	if _, err := os.Stat(m3); err == nil {
		t.Error("a refused serialize wrote its medium")
	}
	// Including its content: the new medium carries the second one's again.
	m3a := filepath.Join(lowHome, "m3a.tar")
	mustRun(t, lowHome, "mirror", "serialize", low.Ref("transfer/sync:3"), m3a, "--since-receipt", "high-a", "--include-unconfirmed")
	withM2 := tarBlobs(t, m3a)
	for d, b := range part {
		if _, ok := withM2[d]; !ok && !b.manifest {
			t.Errorf("--include-unconfirmed left out %s, which only the unconfirmed medium carried", d)
		}
	}
	// The receipt of the second medium turns up and is imported: the second
	// medium is confirmed, but the one just made is not, and is named now.
	var second string
	for _, p := range r2 {
		if strings.Contains(p, m2Sync) {
			second = p
		}
	}
	mustRun(t, lowHome, "receipt", "import", second)
	_, _, err = run(t, lowHome, "mirror", "serialize", low.Ref("transfer/sync:3"), m3, "--since-receipt", "high-a")
	if err == nil || strings.Contains(err.Error(), "medium sync id "+m2Sync) || !strings.Contains(err.Error(), "m3a.tar") {
		t.Fatalf("after the second medium's receipt, only the third should be unconfirmed: %v", err)
	}
	// It arrives and its receipt comes back: nothing is unconfirmed, and a
	// medium of the same gather index carries only its manifests.
	mustRun(t, highHome, "mirror", "deserialize", m3a, high.Ref("landing/sync:3"))
	if registrytest.HeadDigest(t, high.Ref("landing/sync:3")) != registrytest.HeadDigest(t, low.Ref("transfer/sync:3")) {
		t.Fatal("the third transfer is not complete")
	}
	for _, p := range issuedReceipt(t, highHome) {
		mustRun(t, lowHome, "receipt", "import", p)
	}
	mustRun(t, lowHome, "mirror", "serialize", low.Ref("transfer/sync:3"), m3, "--since-receipt", "high-a")
	for d, b := range tarBlobs(t, m3) {
		if !b.manifest {
			t.Errorf("the medium carries %s again, which the site's receipt lists", d)
		}
	}
	mustRun(t, highHome, "mirror", "deserialize", m3, high.Ref("landing/sync:4"))
	if registrytest.HeadDigest(t, high.Ref("landing/sync:4")) != registrytest.HeadDigest(t, low.Ref("transfer/sync:3")) {
		t.Fatal("a medium of manifests only does not complete in the repository holding the rest")
	}
}

// runOf is the serialize run that wrote medium.
func runOf(t *testing.T, home, medium string) store.Run {
	t.Helper()
	for _, r := range history(t, home) {
		if r.Kind == "serialize" && r.Status == store.StatusSucceeded && strings.Contains(r.Args, medium) {
			return r
		}
	}
	t.Fatalf("no serialize wrote %s", medium)
	return store.Run{}
}

func runDetail(t *testing.T, home, id string) store.RunDetail {
	t.Helper()
	st, err := store.Open(filepath.Join(home, "data", "ferry", "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := st.GetRunDetail(id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// receipt create lists the whole graph where it is (an index of indexes
// to its last layer, referrers found through the tag schema); a receipt
// edited by hand, or signed by another key under the same site name, is
// refused; a receipt of another site does not apply.
func TestReceiptCreateAndWhatIsRefused(t *testing.T) {
	reg := registrytest.Start(t)
	g := registrytest.PushGraph(t, reg.Host())
	highHome, lowHome, impostorHome := t.TempDir(), t.TempDir(), t.TempDir()
	path := filepath.Join(highHome, "r.json")
	if _, _, err := run(t, highHome, "receipt", "create", g.Ref(registrytest.GraphImage), "-o", path); err == nil || !strings.Contains(err.Error(), "--site") {
		t.Fatalf("a first receipt without a site name: %v", err)
	}
	out, _ := mustRun(t, highHome, "receipt", "create", g.Ref(registrytest.GraphImage), "--site", "high-a", "-o", path)
	if !strings.Contains(out, "site high-a") || !strings.Contains(out, path+".minisig") {
		t.Errorf("create: %s", out)
	}
	data, sig, err := receipt.ReadSigned(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := receipt.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range g.Referrers[g.Digests[registrytest.GraphImage]] {
		if !r.Has(digestOf(ref.Digest.String())) {
			t.Errorf("the receipt does not list referrer %s", ref.Digest)
		}
	}
	nestedPath := filepath.Join(highHome, "nested.json")
	mustRun(t, highHome, "receipt", "create", g.Ref(registrytest.GraphNested), "-o", nestedPath)
	nestedData, _, _ := receipt.ReadSigned(nestedPath)
	nested, _ := receipt.Parse(nestedData)
	if len(nested.Digests) < 6 || nested.Repository != "index/nested" {
		t.Errorf("an index of indexes: %d digests in %s", len(nested.Digests), nested.Repository)
	}

	edited := filepath.Join(lowHome, "edited.json")
	writeFile(t, lowHome, "edited.json", strings.Replace(string(data), `"image/plain"`, `"image/other"`, 1))
	writeFile(t, lowHome, "edited.json.minisig", string(sig))
	if _, _, err := run(t, lowHome, "receipt", "import", edited); err == nil || !strings.Contains(err.Error(), "changed after it was signed") {
		t.Errorf("an edited receipt: %v", err)
	}
	mustRun(t, lowHome, "receipt", "import", path)
	// Another machine calling itself high-a.
	other := filepath.Join(impostorHome, "r.json")
	mustRun(t, impostorHome, "receipt", "create", g.Ref(registrytest.GraphImage), "--site", "high-a", "-o", other)
	if _, _, err := run(t, lowHome, "receipt", "import", other); err == nil || !strings.Contains(err.Error(), "pinned to key") {
		t.Errorf("a receipt signed by another key: %v", err)
	}

	// A receipt of site high-b listing everything does not apply to high-a.
	list := writeFile(t, lowHome, "sources.list", g.Ref(registrytest.GraphDockerImage)+"\n")
	mustRun(t, lowHome, "mirror", "gather", list, reg.Ref("transfer/sync:1"))
	bHome := t.TempDir()
	bPath := filepath.Join(bHome, "b.json")
	mustRun(t, bHome, "receipt", "create", reg.Ref("transfer/sync:1"), "--site", "high-b", "-o", bPath)
	mustRun(t, lowHome, "receipt", "import", bPath)
	out, _ = mustRun(t, lowHome, "mirror", "serialize", reg.Ref("transfer/sync:1"), filepath.Join(lowHome, "m.tar"), "--since-receipt", "high-a")
	if !strings.Contains(out, "skipped 0 blobs") {
		t.Errorf("high-b's receipt applied to high-a: %s", out)
	}
	out, _ = mustRun(t, lowHome, "mirror", "serialize", reg.Ref("transfer/sync:1"), filepath.Join(lowHome, "m-b.tar"), "--since-receipt", "high-b")
	if strings.Contains(out, "skipped 0 blobs") {
		t.Errorf("high-b's own receipt left nothing out: %s", out)
	}
	if _, _, err := run(t, lowHome, "mirror", "serialize", reg.Ref("transfer/sync:1"), filepath.Join(lowHome, "m-c.tar"), "--since-receipt", "high-c"); err == nil ||
		!strings.Contains(err.Error(), "known sites: high-a, high-b") {
		t.Errorf("an unknown site: %v", err)
	}
	if _, _, err := run(t, lowHome, "mirror", "serialize", reg.Ref("transfer/sync:1"), filepath.Join(lowHome, "m-d.tar"), "--include-unconfirmed"); err == nil ||
		!strings.Contains(err.Error(), "goes with --since-receipt") {
		t.Errorf("--include-unconfirmed alone: %v", err)
	}
	out, _ = mustRun(t, lowHome, "receipt", "list")
	if !strings.Contains(out, "high-a") || !strings.Contains(out, "high-b") {
		t.Errorf("list: %s", out)
	}
}
