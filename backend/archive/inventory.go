package archive

import (
	"bytes"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxListed bounds each list an Inventory keeps of odd entries: a hostile
// stream of millions of them is reported by its first ones and a count.
const maxListed = 100

// Inventory is what a Reader met in its stream, archive by archive: the
// facts a verifier needs to account for every entry. It grows while the
// stream is read; it holds no blob content.
type Inventory struct {
	Archives []*ArchiveInventory

	mu sync.Mutex // over the blob records' check results (settle)
}

// ArchiveInventory is one archive of the stream (one volume, or one of
// archives appended to one another).
type ArchiveInventory struct {
	Number  int   // from 0, as Entry.Archive
	Start   int64 // offset of its first header
	Entries int   // entries of every kind
	Layouts []LayoutRecord
	Indexes []IndexRecord
	// Blobs are the blob entries by name; BlobOrder lists them as first met.
	Blobs     map[v1.Hash]*BlobRecord
	BlobOrder []v1.Hash
	// Directories counts each directory entry by name.
	Directories map[string]int
	// DockerManifests are the offsets of manifest.json entries.
	DockerManifests []int64
	// Unknown are files that are no part of an OCI layout and directories
	// other than blobs and blobs/<algorithm>; AfterFinal, files after the
	// second index.json other than one manifest.json. Each keeps its first
	// maxListed entries; the counts are of all.
	Unknown         []NamedOffset
	UnknownCount    int
	AfterFinal      []NamedOffset
	AfterFinalCount int
	// BadPadding are the entries whose tar padding is not zeros.
	BadPadding      []NamedOffset
	BadPaddingCount int

	firstLayout []byte
}

// NamedOffset names an entry and where its header starts.
type NamedOffset struct {
	Name   string
	Offset int64
}

// LayoutRecord is one oci-layout entry.
type LayoutRecord struct {
	Offset int64
	// Canonical is set when its bytes are exactly what Ferry (and the
	// reference) write; Same when they equal the archive's first copy.
	Canonical bool
	Same      bool
}

// IndexRecord is one index.json copy.
type IndexRecord struct {
	Offset int64
	Size   int64
	// Index is the copy as readers take it (see ParseIndex).
	Index *v1.IndexManifest
	// Strict is why the copy fails ParseIndexStrict, nil when it passes.
	Strict error
	// Canonical is set when the bytes are exactly Index.Bytes of their
	// content, as Ferry writes them; HeaderCanonical when the tar header is
	// exactly the one Ferry writes for it.
	Canonical       bool
	HeaderCanonical bool
	// StreamDigest is Entry.StreamDigest (with WithStreamDigest).
	StreamDigest string
}

// BlobRecord is a blob name met once or more in one archive.
type BlobRecord struct {
	Size   int64 // of its first copy
	Offset int64 // of its first copy
	Copies int
	// Verified counts copies whose content was read whole and matched the
	// name; Mismatched lists the offsets of copies that did not match.
	Verified   int
	Mismatched []int64
}

func newArchiveInventory(n int, start int64) *ArchiveInventory {
	return &ArchiveInventory{Number: n, Start: start, Blobs: map[v1.Hash]*BlobRecord{}, Directories: map[string]int{}}
}

// add records e (its body not read yet); for a blob it returns the record
// the verification result goes to.
func (a *ArchiveInventory) add(e *Entry, layout []byte) *BlobRecord {
	a.Entries++
	final := len(a.Indexes) >= 2
	if final && e.Kind != KindDirectory && !(e.Kind == KindDockerManifest && len(a.DockerManifests) == 0) {
		a.AfterFinalCount++
		a.AfterFinal = appendCapped(a.AfterFinal, NamedOffset{e.Name, e.Offset})
	}
	switch e.Kind {
	case KindDirectory:
		if !knownDirectory(e.Name) {
			a.UnknownCount++
			a.Unknown = appendCapped(a.Unknown, NamedOffset{e.Name, e.Offset})
		}
		a.Directories[e.Name]++
	case KindLayout:
		rec := LayoutRecord{Offset: e.Offset, Canonical: string(layout) == layoutJSON, Same: true}
		if len(a.Layouts) > 0 {
			rec.Same = a.Layouts[0].Canonical == rec.Canonical && (rec.Canonical || bytes.Equal(layout, a.firstLayout))
		} else {
			a.firstLayout = layout
		}
		a.Layouts = append(a.Layouts, rec)
	case KindDockerManifest:
		a.DockerManifests = append(a.DockerManifests, e.Offset)
	case KindBlob:
		b := a.Blobs[e.Digest]
		if b == nil {
			b = &BlobRecord{Size: e.Size, Offset: e.Offset}
			a.Blobs[e.Digest] = b
			a.BlobOrder = append(a.BlobOrder, e.Digest)
		}
		b.Copies++
		return b
	case KindOther:
		a.UnknownCount++
		a.Unknown = appendCapped(a.Unknown, NamedOffset{e.Name, e.Offset})
	}
	return nil
}

// settle records how the check of a copy of b at offset ended. A copy
// handed off (Reader.HandOff) is settled from another goroutine, after the
// Reader has moved on, hence the lock.
func (inv *Inventory) settle(b *BlobRecord, ok bool, offset int64) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if ok {
		b.Verified++
		return
	}
	b.Mismatched = appendCapped(b.Mismatched, offset)
}

func (a *ArchiveInventory) badPadding(name string, offset int64) {
	a.BadPaddingCount++
	a.BadPadding = appendCapped(a.BadPadding, NamedOffset{name, offset})
}

// knownDirectory reports the directories of an OCI layout: blobs and
// blobs/<algorithm>, and the top directory of a tar made with "./" names.
func knownDirectory(name string) bool {
	if name == "." || name == BlobsDir {
		return true
	}
	alg, ok := bytes.CutPrefix([]byte(name), []byte(BlobsDir+"/"))
	if !ok {
		return false
	}
	_, err := v1.Hasher(string(alg))
	return err == nil
}

func appendCapped[T any](list []T, v T) []T {
	if len(list) >= maxListed {
		return list
	}
	return append(list, v)
}
