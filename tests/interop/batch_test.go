//go:build interop

package interop

import (
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// batchRun is one tool's sync directory after the two batches of the
// reference's documentation: the list, then the list with ops updated.
type batchRun struct {
	work    string // the working directory the command lines ran in
	tracker [][]string
	blobs   map[string]map[string]bool // archive name -> its blobs
}

// writeBatches runs the reference's documented command line,
// `mirror batch-serialize batch.csv sync/data`, unchanged with tl, twice:
// first tools and ops, then ops updated to a larger artifact.
func writeBatches(t *testing.T, x *transfer, tl *tool) batchRun {
	t.Helper()
	work := t.TempDir()
	// The reference needs the directory to exist; Ferry makes it if not.
	if err := os.MkdirAll(filepath.Join(work, "sync", "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(work, "batch.csv")
	for _, text := range []string{
		"name, artifact\ntools," + x.one + "\nops," + x.base + "\n",
		"name, artifact\ntools, " + x.one + "\nops, " + x.all + "\n",
	} {
		if err := os.WriteFile(list, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		tl.in(work).must(t, x.config, "mirror", "batch-serialize", "batch.csv", "sync/data")
	}
	r := batchRun{work: work, blobs: map[string]map[string]bool{}}
	r.tracker = readCSVFile(t, filepath.Join(work, "sync", "data", "record-keeping.csv"))
	for _, row := range r.tracker[1:] {
		r.blobs[row[0]] = readMedium(t, filepath.Join(work, "sync", "data", row[0])).blobs
	}
	return r
}

// tracked is one tracker row.
type tracked struct{ file, artifact, digest string }

// byName keys the tracker's rows by name and place: "ops#2" is the second
// archive named ops. The header must be the reference's.
func (r batchRun) byName(t *testing.T) map[string]tracked {
	t.Helper()
	if !reflect.DeepEqual(r.tracker[0], []string{"sync_name", "artifact", "digest"}) {
		t.Errorf("tracker header %q", r.tracker[0])
	}
	out, seen := map[string]tracked{}, map[string]int{}
	for _, row := range r.tracker[1:] {
		name := strings.TrimSuffix(row[0][7:], ".tar")
		seen[name]++
		out[fmt.Sprintf("%s#%d", name, seen[name])] = tracked{row[0], row[1], row[2]}
	}
	return out
}

func sortedNames(m map[string]tracked) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// TestBatch: the reference's batch-serialize command lines run unchanged
// with Ferry and give the same archives (names, tracker rows; the second
// ops archive leaves out what the first holds); each tool's batch-deserialize
// reads the other's sync directory completely, and again reads nothing.
func TestBatch(t *testing.T) {
	t.Parallel()
	x := newTransfer(t)
	runs := map[string]batchRun{}
	for _, tl := range both() {
		runs[tl.name] = writeBatches(t, x, tl)
	}
	// The reference writes the archives of one batch in no fixed order
	// (000001 may be ops or tools); each tool's archives are compared by
	// name and by their place among the archives of that name.
	f, r := runs["ferry"], runs["ace-dt"]
	fk, rk := f.byName(t), r.byName(t)
	if want := []string{"ops#1", "ops#2", "tools#1"}; !reflect.DeepEqual(sortedNames(fk), want) || !reflect.DeepEqual(sortedNames(rk), want) {
		t.Fatalf("archives: ferry %q, ace-dt %q; want %q", sortedNames(fk), sortedNames(rk), want)
	}
	for k, fa := range fk {
		ra := rk[k]
		if fa.artifact != ra.artifact || fa.digest != ra.digest {
			t.Errorf("%s: ferry's tracker has %s %s, ace-dt's %s %s", k, fa.artifact, fa.digest, ra.artifact, ra.digest)
		}
		// Ferry never writes more than the reference. The reference also
		// writes again the manifests an earlier archive of the name holds
		// (Ferry leaves out the manifests of EXISTING-IMAGEs); nothing else.
		if extra := minus(f.blobs[fa.file], r.blobs[ra.file]); len(extra) > 0 {
			t.Errorf("%s: ferry's %s holds blobs ace-dt's %s does not: %v", k, fa.file, ra.file, extra)
		}
		for _, d := range minus(r.blobs[ra.file], f.blobs[fa.file]) {
			if k != "ops#2" || !r.blobs[rk["ops#1"].file][d] {
				t.Errorf("%s: ferry's %s lacks %s, which no earlier archive of the name holds", k, fa.file, d)
			}
		}
	}
	if n, all := len(f.blobs[fk["ops#2"].file]), len(readMediumOfSerialize(t, x)); n >= all {
		t.Errorf("the second ops archive holds %d blobs of the %d of its whole gather: nothing was left out", n, all)
	}

	digests := map[string]string{} // tag -> the digest its latest archive holds
	for k, a := range fk {
		if k != "ops#1" {
			digests[strings.Split(k, "#")[0]] = a.digest
		}
	}
	for _, writer := range both() {
		for _, reader := range both() {
			t.Run(writer.name+"-to-"+reader.name, func(t *testing.T) {
				// Each reader gets its own copy: the sync file is written into the directory.
				work := t.TempDir()
				if out, err := exec.Command("cp", "-a", filepath.Join(runs[writer.name].work, "sync"), work).CombinedOutput(); err != nil {
					t.Fatalf("copy: %v\n%s", err, out)
				}
				repo := x.host("high") + "/batch/" + writer.name + "-by-" + reader.name
				reader.in(work).must(t, x.config, "mirror", "batch-deserialize", "sync/data", repo)
				syncs := readCSVFile(t, filepath.Join(work, "sync", "data", "successful-syncs.csv"))
				if len(syncs) != 4 || !reflect.DeepEqual(syncs[0], []string{"filename", "artifact", "timestamp"}) {
					t.Fatalf("successful-syncs.csv: %q", syncs)
				}
				for i, row := range runs[writer.name].tracker[1:] {
					tag := strings.TrimSuffix(row[0][7:], ".tar")
					if syncs[i+1][0] != row[0] || syncs[i+1][1] != repo+":"+tag {
						t.Errorf("successful-syncs.csv row %d: %q, want %s, %s:%s", i+1, syncs[i+1], row[0], repo, tag)
					}
				}
				for tag, d := range digests {
					// By digest: the reference does not tag what it reads.
					checkComplete(t, []*tool{writer, reader}, repo+"@"+d, false)
					if reader == ferry {
						if got := landed(t, x.host("high"), "batch/"+writer.name+"-by-ferry")["batch/"+writer.name+"-by-ferry:"+tag]; got.String() != d {
							t.Errorf("%s:%s is %s, want %s", repo, tag, got, d)
						}
					}
				}
				// Again, as the reference's --help example spells it: nothing is read twice.
				out := reader.in(work).must(t, x.config, "mirror", "batch-deserialize", "sync/data/", repo)
				if again := readCSVFile(t, filepath.Join(work, "sync", "data", "successful-syncs.csv")); len(again) != 4 {
					t.Errorf("a second batch-deserialize read again: %q\n%s", again, out)
				}
			})
		}
	}
}

// readMediumOfSerialize is the blobs of a plain serialize of the whole gather.
func readMediumOfSerialize(t *testing.T, x *transfer) map[string]bool {
	t.Helper()
	file := filepath.Join(t.TempDir(), "all.tar")
	ferry.must(t, x.config, "mirror", "serialize", x.all, file)
	return readMedium(t, file).blobs
}

func minus(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	return out
}
