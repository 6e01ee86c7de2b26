package archive

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The inventory accounts for every entry, also those whose bodies the
// caller skips: a blob copy is verified on the way past.
func TestInventoryAccountsForSkippedEntries(t *testing.T) {
	body := []byte("content")
	sum := sha256.Sum256(body)
	name := "blobs/sha256/" + hex.EncodeToString(sum[:])
	data := makeTar(t,
		file(LayoutFile, layoutBytes),
		file(IndexFile, []byte(`{"schemaVersion":2,"manifests":[]}`)),
		dir("blobs"), dir("blobs/sha256"), dir("stray"),
		file(name, body),
		file(name, []byte("CONTENT")), // a second copy that differs
		file("notes.txt", []byte("x")),
	)
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := r.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	inv := r.Inventory()
	if len(inv.Archives) != 1 {
		t.Fatalf("%d archives", len(inv.Archives))
	}
	a := inv.Archives[0]
	b := a.Blobs[v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}]
	if b == nil || b.Copies != 2 || b.Verified != 1 || len(b.Mismatched) != 1 {
		t.Errorf("blob record %+v, want 2 copies, one verified, one mismatched", b)
	}
	if a.UnknownCount != 2 || a.Unknown[0].Name != "stray" || a.Unknown[1].Name != "notes.txt" {
		t.Errorf("unknown entries %+v", a.Unknown)
	}
	if len(a.Layouts) != 1 || !a.Layouts[0].Canonical || len(a.Indexes) != 1 || a.Indexes[0].Canonical {
		t.Errorf("layouts %+v, indexes %+v", a.Layouts, a.Indexes)
	}
	if a.Indexes[0].HeaderCanonical {
		t.Error("a header with mode 0644 is taken for the one Ferry writes")
	}
}

// Tar padding that is not zeros is recorded against its entry.
func TestInventoryRecordsDirtyPadding(t *testing.T) {
	data := makeTar(t, file(LayoutFile, layoutBytes), file("x", []byte("a")))
	data[512+len(layoutBytes)+3] = 'z'
	if _, _, err := readAll(t, data); err != nil {
		t.Fatal(err)
	}
	r, _ := NewReader(bytes.NewReader(data))
	for {
		if _, err := r.Next(); err != nil {
			break
		}
	}
	a := r.Inventory().Archives[0]
	if a.BadPaddingCount != 1 || a.BadPadding[0].Name != LayoutFile {
		t.Errorf("bad padding %+v", a.BadPadding)
	}
}
