package ops

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"ferry/backend/mirror"
	"ferry/backend/receipt"
	"ferry/backend/store"
)

// sentTo records a completed serialize to site that wrote blob, on the
// medium of sync id syncID.
func sentTo(t *testing.T, st *store.Store, id, site, syncID string, blob digest.Digest) {
	t.Helper()
	storedRun(t, st, id, string(Serialize), store.StatusSucceeded, mirror.SerializeOptions{Source: "reg.example/t:1", Dest: id + ".tar", SinceReceipt: site}, nil,
		[]store.Blob{{Digest: blob.String(), Size: 10, Confirmed: true}})
	if err := st.AddMedium(id, store.Medium{Label: id + ".tar", SyncID: syncID, Volume: 1, Last: true}); err != nil {
		t.Fatal(err)
	}
}

// A far side whose clock runs an hour ahead: its receipt of the first
// medium looks newer than the second medium, which is named all the same.
func TestUnconfirmedMediumDespiteAClockAhead(t *testing.T) {
	st := newManager(t).Store()
	dataDir := t.TempDir()
	rt := Runtime{Store: st, DataDir: dataDir}
	b1, b2 := digest.FromString("first"), digest.FromString("second")
	sentTo(t, st, "m1", "high-a", "s1", b1)
	sentTo(t, st, "m2", "high-a", "s2", b2)

	site, err := receipt.OpenSite(filepath.Join(t.TempDir(), "site"), "high-a")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "r.json")
	if _, err := site.Issue(receipt.Receipt{SyncID: "s1", Registry: "high", Repository: "landing", Created: time.Now().Add(time.Hour), Digests: []digest.Digest{b1}}, path); err != nil {
		t.Fatal(err)
	}
	data, sig, _ := receipt.ReadSigned(path)
	if _, err := receipt.OpenBook(receipt.BookDir(dataDir)).Import(data, sig); err != nil {
		t.Fatal(err)
	}

	o := mirror.SerializeOptions{SinceReceipt: "high-a"}
	if _, err := sinceOf(o, rt); err == nil || !strings.Contains(err.Error(), "sync id s2") || strings.Contains(err.Error(), "medium sync id s1") {
		t.Fatalf("the second medium should be named, the first not: %v", err)
	}
	o.IncludeUnconfirmed = true
	om, err := sinceOf(o, rt)
	if err != nil || len(om.hashes) != 1 || om.hashes[0].String() != b1.String() || om.into != "high/landing" || len(om.unconfirmed) != 1 {
		t.Fatalf("--include-unconfirmed: %+v %v", om, err)
	}

	if _, err := sinceOf(mirror.SerializeOptions{SinceRun: "m2"}, rt); err == nil || !strings.Contains(err.Error(), "no receipt confirms") {
		t.Errorf("--since-run of an unconfirmed medium: %v", err)
	}
	om, err = sinceOf(mirror.SerializeOptions{SinceRun: "m1"}, rt)
	if err != nil || len(om.hashes) != 1 || om.hashes[0].String() != b1.String() {
		t.Errorf("--since-run of a confirmed medium: %+v %v", om, err)
	}
	if _, err := sinceOf(mirror.SerializeOptions{SinceRun: "nope"}, rt); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("--since-run of an unknown run: %v", err)
	}
	if _, err := sinceOf(mirror.SerializeOptions{IncludeUnconfirmed: true}, rt); err == nil || !strings.Contains(err.Error(), "goes with --since-receipt") {
		t.Errorf("--include-unconfirmed alone: %v", err)
	}
	if _, err := sinceOf(mirror.SerializeOptions{SinceReceipt: "../x"}, rt); err == nil {
		t.Error("a site name with a path in it was accepted")
	}
}
