//go:build interop

package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"ferry/backend/registrytest"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// alias is the registry name the sources are written with. The
// configuration sends it to the source registry's loopback address: the
// reference cannot nest sources that carry a port (a known defect), and
// real sources are named by host name anyway.
const alias = "src.example"

// world is a source registry holding the interop graph, plus more
// registries by role, and one configuration file that both tools read.
type world struct {
	graph  *registrytest.Graph
	regs   map[string]*registrytest.Registry
	config string
	dir    string
}

// newWorld starts the source registry, pushes the graph to it, and starts a
// registry for each role.
func newWorld(t *testing.T, roles ...string) *world {
	t.Helper()
	src := registrytest.Start(t)
	w := &world{graph: registrytest.PushGraph(t, src.Host()), regs: map[string]*registrytest.Registry{"src": src}, dir: t.TempDir()}
	for _, r := range roles {
		w.regs[r] = registrytest.Start(t)
	}
	var cfg strings.Builder
	cfg.WriteString("apiVersion: config.dt.act3-ace.io/v1alpha1\nkind: Configuration\nregistryConfig:\n  registries:\n")
	fmt.Fprintf(&cfg, "    %s:\n      endpoints:\n        - http://%s\n", alias, src.Host())
	for _, r := range w.regs {
		fmt.Fprintf(&cfg, "    %s:\n      endpoints:\n        - http://%s\n", r.Host(), r.Host())
	}
	w.config = w.write(t, "config.yaml", cfg.String())
	return w
}

// host is the address of the registry of role.
func (w *world) host(role string) string { return w.regs[role].Host() }

// write writes a file into the world's directory and returns its path.
func (w *world) write(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(w.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// sources writes a sources list of graph paths under the alias.
func (w *world) sources(t testing.TB, name string, paths ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("# interop sources\n")
	for _, p := range paths {
		b.WriteString(alias + "/" + p + "\n")
	}
	return w.write(t, name, b.String())
}

// src is the reference of a graph path as the sources list writes it.
func src(path string) string { return alias + "/" + path }

// without returns paths minus the ones given.
func without(paths []string, drop ...string) []string {
	var out []string
	for _, p := range paths {
		if !slices.Contains(drop, p) {
			out = append(out, p)
		}
	}
	return out
}

// requireComplete walks ref with an independent client and fails the test
// for every node that did not land whole.
func requireComplete(t testing.TB, ref string, referrers bool) *registrytest.Walked {
	t.Helper()
	w := registrytest.Walk(t, ref, referrers)
	for _, p := range w.Problems {
		t.Errorf("%s incomplete: %s", ref, p)
	}
	return w
}

// craneValidates are the graph sources whose content crane validate can
// check: it reads every layer as a tar, and the size 0 layer and the
// manifest bytes used as layers are not tars.
var craneValidates = without(registrytest.GraphSources, registrytest.GraphEmptyLayer, registrytest.GraphOuter)

// craneValidate runs `crane validate --remote` on ref: layers against their
// digests and the config's diff IDs.
func craneValidate(t testing.TB, ref string) {
	t.Helper()
	out, err := exec.Command(crane, "validate", "--remote", ref).CombinedOutput()
	if err != nil {
		t.Errorf("crane validate --remote %s: %v\n%s", ref, err, out)
	}
}

// checkComplete is requireComplete for what the tools landed. What the
// reference alone lands incomplete is its own defect: logged, so the report
// shows it, but not a failure of a test that is about Ferry.
func checkComplete(t testing.TB, tools []*tool, ref string, referrers bool) {
	t.Helper()
	if slices.Contains(tools, ferry) {
		requireComplete(t, ref, referrers)
		return
	}
	for _, p := range registrytest.Walk(t, ref, referrers).Problems {
		t.Logf("reference defect: %s incomplete: %s", ref, p)
	}
}

func opts() []remote.Option { return []remote.Option{remote.WithAuth(authn.Anonymous)} }

// manifestBytes fetches the manifest at ref.
func manifestBytes(t testing.TB, ref string) []byte {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Get(r, opts()...)
	if err != nil {
		t.Fatalf("reading %s: %v", ref, err)
	}
	return d.Manifest
}

// landed lists every tag of every repository under prefix of the registry
// at host, as "repo:tag" (host left out, so two registries compare) ->
// digest. Referrer fallback tags (sha256-<hex>) are left out.
func landed(t testing.TB, host, prefix string) map[string]v1.Hash {
	t.Helper()
	reg, err := name.NewRegistry(host)
	if err != nil {
		t.Fatal(err)
	}
	repos, err := remote.Catalog(t.Context(), reg, opts()...)
	if err != nil {
		t.Fatalf("catalog of %s: %v", host, err)
	}
	out := map[string]v1.Hash{}
	for _, repo := range repos {
		if !strings.HasPrefix(repo, prefix) {
			continue
		}
		r := reg.Repo(repo)
		tags, err := remote.List(r, opts()...)
		if err != nil {
			t.Fatalf("tags of %s: %v", r, err)
		}
		for _, tag := range tags {
			if strings.HasPrefix(tag, "sha256-") {
				continue
			}
			d, err := remote.Head(r.Tag(tag), opts()...)
			if err != nil {
				t.Fatalf("%s:%s: %v", r, tag, err)
			}
			out[repo+":"+tag] = d.Digest
		}
	}
	return out
}

// sameLanded fails the test unless both registries hold the same tags with
// the same digests under prefix, and walks every one of them. It returns
// the manifests reached from what Ferry landed.
func sameLanded(t *testing.T, ferryHost, refHost, prefix string, referrers bool) map[v1.Hash]bool {
	t.Helper()
	got, want := landed(t, ferryHost, prefix), landed(t, refHost, prefix)
	if len(want) == 0 {
		t.Errorf("the reference landed nothing on %s", refHost)
	}
	for _, k := range sortedKeys(got, want) {
		g, gok := got[k]
		r, rok := want[k]
		switch {
		case !gok:
			t.Errorf("ace-dt landed %s (%s), ferry did not", k, r)
		case !rok:
			t.Errorf("ferry landed %s (%s), ace-dt did not", k, g)
		case g != r:
			t.Errorf("%s: ferry landed %s, ace-dt %s", k, g, r)
		}
	}
	reached := map[v1.Hash]bool{}
	for k := range got {
		for d := range requireComplete(t, ferryHost+"/"+k, referrers).Manifests {
			reached[d] = true
		}
	}
	for k := range want {
		checkComplete(t, []*tool{acedt}, refHost+"/"+k, referrers)
	}
	return reached
}

// expectLanded fails the test unless prefix of the registry at host holds
// exactly want, and walks every one of them. It returns what landed.
func expectLanded(t *testing.T, tools []*tool, host, prefix string, want map[string]v1.Hash) map[string]v1.Hash {
	t.Helper()
	got := landed(t, host, prefix)
	for _, k := range sortedKeys(got, want) {
		switch g, ok := got[k]; {
		case !ok:
			t.Errorf("%s was not delivered", k)
		case want[k] == (v1.Hash{}):
			t.Errorf("%s (%s) was delivered, but nothing maps there", k, g)
		case g != want[k]:
			t.Errorf("%s: delivered %s, want %s", k, g, want[k])
		}
	}
	for k := range got {
		checkComplete(t, tools, host+"/"+k, false)
	}
	return got
}

func sortedKeys(ms ...map[string]v1.Hash) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}
