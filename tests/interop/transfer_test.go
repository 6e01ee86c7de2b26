//go:build interop

package interop

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"ferry/backend/registrytest"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// transfer is a world with the graph gathered on the low side, ready to
// be serialized by either tool.
type transfer struct {
	*world
	all, allR, one, base string // gather indexes: every source; with referrers; one image; a subset
	allDigest            v1.Hash
}

// newTransfer gathers with Ferry, whose gather the suite checks complete
// first: the reference's gather of this graph is not (it leaves out the
// config and layers of a manifest that is also a layer), so it cannot be
// the common input of both writers.
func newTransfer(t *testing.T) *transfer {
	t.Helper()
	w := newWorld(t, "low", "high")
	x := &transfer{world: w}
	low := w.host("low")
	x.all, x.allR = low+"/transfer/all:sync-1", low+"/transfer/all-r:sync-1"
	x.one, x.base = low+"/transfer/one:sync-1", low+"/transfer/base:sync-1"
	all := w.sources(t, "all.list", registrytest.GraphSources...)
	ferry.must(t, w.config, "mirror", "gather", all, x.all)
	ferry.must(t, w.config, "mirror", "gather", all, x.allR, "-r")
	ferry.must(t, w.config, "mirror", "gather", w.sources(t, "one.list", registrytest.GraphImage), x.one)
	ferry.must(t, w.config, "mirror", "gather", w.sources(t, "base.list", registrytest.GraphImage, registrytest.GraphMulti), x.base)
	for _, ref := range []string{x.all, x.one, x.base} {
		if !requireComplete(t, ref, false).Complete() {
			t.Fatalf("the gather %s that the transfers start from is incomplete", ref)
		}
	}
	if !requireComplete(t, x.allR, true).Complete() {
		t.Fatalf("the gather %s that the transfers start from is incomplete", x.allR)
	}
	x.allDigest = registrytest.Walk(t, x.all, false).Root.Digest
	return x
}

// high is a reference on the high side registry.
func (x *transfer) high(repo string) string { return x.host("high") + "/" + repo + ":sync-1" }

// deserialize has tl read file into dest and checks that all of the gather
// landed, under the gather's digest.
func (x *transfer) deserialize(t *testing.T, tl *tool, writer *tool, file, dest string, root v1.Hash, flags ...string) bool {
	t.Helper()
	if tl.run(t, x.config, append([]string{"mirror", "deserialize", file, dest}, flags...)...).err != nil {
		t.Errorf("%s deserialize of the medium %s wrote failed", tl.name, writer.name)
		return false
	}
	w := registrytest.Walk(t, dest, false)
	if w.Root.Digest != root {
		t.Errorf("%s: root %s, gathered %s", dest, w.Root.Digest, root)
	}
	checkComplete(t, []*tool{tl, writer}, dest, false)
	if tl == ferry || writer == ferry {
		repo := dest[:strings.LastIndex(dest, ":")]
		for _, p := range craneValidates {
			if d := x.graph.Digests[p]; w.Manifests[d] {
				craneValidate(t, repo+"@"+d.String())
			}
		}
	}
	return true
}

var compressions = []string{"", "gzip", "zstd"}

func label(c string) string {
	if c == "" {
		return "plain"
	}
	return c
}

// TestSerializeDeserialize: each tool writes the graph (plain, gzip, zstd)
// and each reads what either wrote, --strict too; Ferry's verify accepts
// both tools' media.
func TestSerializeDeserialize(t *testing.T) {
	t.Parallel()
	x := newTransfer(t)
	for _, writer := range both() {
		for _, comp := range compressions {
			t.Run(writer.name+"-"+label(comp), func(t *testing.T) {
				t.Parallel()
				file := filepath.Join(t.TempDir(), "sync-1.tar")
				args := []string{"mirror", "serialize", x.all, file}
				if comp != "" {
					args = append(args, "--compression", comp)
				}
				writer.must(t, x.config, args...)
				if got := compression(t, file); got != comp {
					t.Errorf("medium compressed %q, asked for %q", got, comp)
				}
				m := readMedium(t, file)
				if len(m.names) < 3 || m.names[0] != "oci-layout" || m.names[1] != "index.json" {
					t.Errorf("medium starts %q, want oci-layout, index.json", m.names[:min(3, len(m.names))])
				}
				t.Run("verify", func(t *testing.T) {
					t.Parallel()
					ferry.must(t, x.config, "mirror", "verify", file)
				})
				for _, reader := range both() {
					t.Run("to-"+reader.name, func(t *testing.T) {
						t.Parallel()
						x.deserialize(t, reader, writer, file, x.high(fmt.Sprintf("media/%s-%s-%s", writer.name, label(comp), reader.name)), x.allDigest)
					})
					if comp == "" {
						t.Run("to-"+reader.name+"-strict", func(t *testing.T) {
							t.Parallel()
							x.deserialize(t, reader, writer, file, x.high(fmt.Sprintf("media/%s-strict-%s", writer.name, reader.name)), x.allDigest, "--strict")
						})
					}
				}
			})
		}
	}

	// --manifest-json puts manifest.json inside the tar, where docker-archive
	// readers look for it.
	for _, writer := range both() {
		t.Run(writer.name+"-manifest-json", func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "one.tar")
			writer.must(t, x.config, "mirror", "serialize", x.one, file, "--manifest-json")
			checkManifestJSON(t, file)
			oneDigest := registrytest.Walk(t, x.one, false).Root.Digest
			for _, reader := range both() {
				t.Run("to-"+reader.name, func(t *testing.T) {
					t.Parallel()
					x.deserialize(t, reader, writer, file, x.high("manifest-json/"+writer.name+"-"+reader.name), oneDigest)
				})
			}
		})
	}
}

// checkManifestJSON checks the docker-archive view of a medium: manifest.json
// in the tar naming a config and layers that the tar holds, and skopeo
// reading it when installed.
func checkManifestJSON(t *testing.T, file string) {
	t.Helper()
	m := readMedium(t, file)
	raw, ok := m.files["manifest.json"]
	if !ok {
		t.Errorf("no manifest.json in the tar (entries %q)", m.names)
		return
	}
	var entries []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(raw, &entries); err != nil {
		t.Fatalf("manifest.json: %v\n%s", err, raw)
	}
	if len(entries) != 1 {
		t.Errorf("manifest.json has %d images, want 1: %s", len(entries), raw)
	}
	inTar := map[string]bool{}
	for _, n := range m.names {
		inTar[n] = true
	}
	for _, e := range entries {
		for _, f := range append([]string{e.Config}, e.Layers...) {
			if !inTar[f] {
				t.Errorf("manifest.json names %s, which the tar does not hold", f)
			}
		}
	}
	skopeo, err := exec.LookPath("skopeo")
	if err != nil {
		if os.Getenv(registrytest.RequireEnv) == "1" {
			t.Errorf("skopeo is not installed (apt-get install skopeo), and %s=1 requires every check", registrytest.RequireEnv)
		} else {
			t.Log("skopeo is not installed: docker-archive read by this test only")
		}
		return
	}
	out, err := exec.Command(skopeo, "inspect", "--raw", "docker-archive:"+file).CombinedOutput()
	if err != nil {
		t.Errorf("skopeo inspect docker-archive:%s: %v\n%s", file, err, out)
	}
}

// TestCheckpointResume: a medium is cut short, the transfer resumed from
// its checkpoint ledger, possibly by the other tool, and either tool loads
// the cut medium and then the resumed one into one repository: together
// they must deliver the whole graph.
func TestCheckpointResume(t *testing.T) {
	t.Parallel()
	x := newTransfer(t)
	for _, first := range both() {
		t.Run(first.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			full, ledger := filepath.Join(dir, "full.tar"), filepath.Join(dir, "ledger.jsonl")
			first.must(t, x.config, "mirror", "serialize", x.all, full, "--checkpoint", ledger)
			lines := readLedger(t, ledger)
			if len(lines) < 4 {
				t.Fatalf("ledger has %d lines", len(lines))
			}
			mid, err := strconv.ParseInt(lines[len(lines)/2].Annotations["vnd.act3-ace.data.offset"], 10, 64)
			if err != nil || mid <= 0 {
				t.Fatalf("ledger line %d: offset %q: %v", len(lines)/2, lines[len(lines)/2].Annotations["vnd.act3-ace.data.offset"], err)
			}
			// Cut half way into the next entry, as a medium that ran out.
			cut := mid + 512
			part1 := filepath.Join(dir, "part1.tar")
			b, err := os.ReadFile(full)
			if err != nil {
				t.Fatal(err)
			}
			if cut >= int64(len(b)) {
				t.Fatalf("cut at %d is past the end of the %d byte medium", cut, len(b))
			}
			if err := os.WriteFile(part1, b[:cut], 0o644); err != nil {
				t.Fatal(err)
			}
			for _, resumer := range both() {
				t.Run("resumed-by-"+resumer.name, func(t *testing.T) {
					t.Parallel()
					part2 := filepath.Join(t.TempDir(), "part2.tar")
					resumer.must(t, x.config, "mirror", "serialize", x.all, part2, "--existing-from-checkpoint", ledger+":"+strconv.FormatInt(cut, 10))
					for _, reader := range both() {
						t.Run("to-"+reader.name, func(t *testing.T) {
							t.Parallel()
							dest := x.high(fmt.Sprintf("resume/%s-%s-%s", first.name, resumer.name, reader.name))
							// The cut medium ends in the middle of an entry: its
							// reader may fail, but must keep what it received.
							reader.run(t, x.config, "mirror", "deserialize", part1, dest)
							x.deserialize(t, reader, resumer, part2, dest, x.allDigest)
						})
					}
				})
			}
		})
	}
}

// TestExistingImage: serialize IMAGE DEST EXISTING-IMAGE leaves out what
// the far side has from an earlier transfer, and the far side completes.
func TestExistingImage(t *testing.T) {
	t.Parallel()
	x := newTransfer(t)
	baseBlobs := registrytest.Walk(t, x.base, false).Blobs
	baseDigest := registrytest.Walk(t, x.base, false).Root.Digest
	for _, writer := range both() {
		for _, reader := range both() {
			t.Run(writer.name+"-to-"+reader.name, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				first, second := filepath.Join(dir, "base.tar"), filepath.Join(dir, "all.tar")
				repo := fmt.Sprintf("existing/%s-%s", writer.name, reader.name)
				writer.must(t, x.config, "mirror", "serialize", x.base, first)
				x.deserialize(t, reader, writer, first, x.host("high")+"/"+repo+":base", baseDigest)
				writer.must(t, x.config, "mirror", "serialize", x.all, second, x.base)
				m := readMedium(t, second)
				for d := range baseBlobs {
					if m.blobs[d.String()] {
						t.Errorf("the medium holds blob %s, which EXISTING-IMAGE has", d)
					}
				}
				x.deserialize(t, reader, writer, second, x.high(repo), x.allDigest)
			})
		}
	}
}

// TestReferrers: signatures and SBOMs gathered with -r cross in either
// direction and can be found from their subjects on the high side.
func TestReferrers(t *testing.T) {
	t.Parallel()
	x := newTransfer(t)
	root := registrytest.Walk(t, x.allR, false).Root.Digest
	for _, writer := range both() {
		t.Run(writer.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "sync-1.tar")
			writer.must(t, x.config, "mirror", "serialize", x.allR, file, "-r")
			for _, reader := range both() {
				t.Run("to-"+reader.name, func(t *testing.T) {
					t.Parallel()
					dest := x.high("referrers/" + writer.name + "-" + reader.name)
					if x.deserialize(t, reader, writer, file, dest, root, "-r") {
						checkReferrers(t, x.world, []*tool{writer, reader}, reader, dest)
					}
				})
			}
		})
	}
}

// checkReferrers checks that every referrer of the graph landed in dest's
// repository and, unless the reference did the landing on a registry
// without the referrers API (a known defect), that it is found from its
// subject.
func checkReferrers(t *testing.T, w *world, tools []*tool, lander *tool, dest string) {
	t.Helper()
	found := registrytest.Walk(t, dest, true).Manifests
	repo := dest[:len(dest)-len(":sync-1")]
	for _, d := range w.graph.AllReferrers() {
		if !found[d] {
			if lander == acedt {
				t.Logf("reference defect: referrer %s is not found from its subject in %s", d, dest)
			} else {
				t.Errorf("referrer %s is not found from its subject in %s", d, dest)
			}
		}
		checkComplete(t, tools, repo+"@"+d.String(), false)
	}
}
