package mirror

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"ferry/backend/archive"
)

// maxFuzzAlloc bounds what reading one fuzzed medium may allocate: far
// above what a medium of a few KiB needs, far below what a size or count
// taken on trust from a header would cost.
const maxFuzzAlloc = 512 << 20

// FuzzMedium reads arbitrary whole media with verify and with
// deserialize's reader (a dry run, which still decides whether it would
// tag). Neither may panic or allocate without bound, and deserialize may
// not be laxer than verify: a medium it would tag has no problem for verify
// but the stream digest, which deserialize does not compare (it verifies
// every blob instead). Seeds: media Ferry's Serialize wrote, whole and
// altered; the corpus is in testdata/fuzz/FuzzMedium.
func FuzzMedium(f *testing.F) {
	seed := smallMedium(f)
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	parts := takeApart(f, seed)
	f.Add(putTogether(f, parts[1:], true))
	f.Fuzz(func(t *testing.T, medium []byte) {
		checkFuzzedMedium(t, medium)
	})
}

// FuzzMediumIndexes puts arbitrary index.json copies into a real Ferry
// medium, where the JSON parsers and the checks of the copies meet them.
func FuzzMediumIndexes(f *testing.F) {
	seed := smallMedium(f)
	parts := takeApart(f, seed)
	firstAt, finalAt := indexAt(parts, 1), indexAt(parts, 2)
	f.Add(parts[firstAt].body, parts[finalAt].body)
	f.Add(parts[firstAt].body, parts[firstAt].body)
	f.Fuzz(func(t *testing.T, first, final []byte) {
		entries := append([]craftEntry(nil), parts...)
		entries[firstAt] = craftEntry{name: archive.IndexFile, body: first}
		entries[finalAt] = craftEntry{name: archive.IndexFile, body: final}
		checkFuzzedMedium(t, putTogether(t, entries, false))
	})
}

func checkFuzzedMedium(t *testing.T, medium []byte) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rep, verr := verifyBytes(medium)
	res, derr := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: writeTemp(t, medium), Dest: "example.invalid/x:t", DryRun: true})
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > maxFuzzAlloc {
		t.Fatalf("reading a %d-byte medium allocated %d bytes", len(medium), n)
	}
	if !res.Complete {
		return
	}
	if derr != nil {
		t.Fatalf("deserialize says complete and fails: %v", derr)
	}
	if verr == nil {
		return
	}
	for _, p := range rep.Problems {
		if !strings.HasPrefix(p, "stream digest: ") {
			t.Fatalf("deserialize would tag a medium verify rejects: %v", verr)
		}
	}
}
