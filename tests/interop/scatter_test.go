//go:build interop

package interop

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ferry/backend/registrytest"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// dstHost stands for the destination registry in mapper texts; each tool
// gets the text with its own destination in its place.
const dstHost = "DSTHOST"

// mapper is one MAPPER of scatter, clone and unarchive: TYPE=ARG, where
// ARG is a file holding text (or, for nest, text itself), and prefix the
// repositories it maps to.
type mapper struct {
	kind, text, prefix string
}

// arg writes the mapper's file for the destination host and returns the
// MAPPER argument.
func (m mapper) arg(t testing.TB, w *world, host string) string {
	t.Helper()
	text := strings.ReplaceAll(m.text, dstHost, host)
	if m.kind == "nest" {
		return "nest=" + text
	}
	return m.kind + "=" + w.write(t, fmt.Sprintf("%s-%s.map", m.kind, strings.ReplaceAll(host, ":", "_")), text)
}

const prefixRows = `# source prefix, destination prefix
src.example/index/,DSTHOST/fp/indexes/
src.example/image/,DSTHOST/fp/images/
src.example/,DSTHOST/fp/rest/
src.example/index/multi,DSTHOST/fp/multi
`

// mappers covers every mapper type, each in a namespace of its own.
func mappers(g *registrytest.Graph) []mapper {
	return []mapper{
		{kind: "nest", text: dstHost + "/nest", prefix: "nest/"},
		{kind: "first-prefix", text: prefixRows, prefix: "fp/"},
		{kind: "all-prefix", text: strings.ReplaceAll(prefixRows, "/fp/", "/ap/"), prefix: "ap/"},
		{kind: "longest-prefix", text: `# the longest from wins; of equal ones, the last
src.example/,DSTHOST/lp/src/
src.example/index/,DSTHOST/lp/index/
src.example/index/multi,DSTHOST/lp/multi
src.example/index/,DSTHOST/lp/index-last/
src.example/mal/,DSTHOST/lp/mal/
`, prefix: "lp/"},
		{kind: "digests", text: fmt.Sprintf("# digest, destination\n%s,DSTHOST/dg/plain:v1\n%s,DSTHOST/dg/multi:v1\n%s,DSTHOST/dg/multi-again:v2\n%s,DSTHOST/dg/outer:v1\n",
			g.Digests[registrytest.GraphImage], g.Digests[registrytest.GraphMulti], g.Digests[registrytest.GraphMulti], g.Digests[registrytest.GraphOuter]), prefix: "dg/"},
		{kind: "go-template", text: `{{- $s := index .Annotations "vnd.act3-ace.manifest.source" -}}
DSTHOST/tmpl/{{ Registry $s }}/{{ Repository $s }}:{{ Tag $s }}
{{- if eq .MediaType "application/vnd.oci.image.index.v1+json" }}
DSTHOST/tmpl/indexes/{{ Package $s | replace "/" "-" }}{{ end -}}`, prefix: "tmpl/"},
	}
}

// TestScatter: both tools scatter the same gather with every mapper; they
// must deliver the same tags with the same digests, and whole.
func TestScatter(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "low", "ferry-dst", "ace-dst")
	all := w.sources(t, "all.list", registrytest.GraphSources...)
	gathered, gatheredR := w.host("low")+"/scatter/all:sync-1", w.host("low")+"/scatter/all-r:sync-1"
	ferry.must(t, w.config, "mirror", "gather", all, gathered)
	ferry.must(t, w.config, "mirror", "gather", all, gatheredR, "-r")
	requireComplete(t, gathered, false)
	for _, m := range mappers(w.graph) {
		t.Run(m.kind, func(t *testing.T) {
			t.Parallel()
			for _, tl := range both() {
				host := w.host(map[*tool]string{ferry: "ferry-dst", acedt: "ace-dst"}[tl])
				if tl.run(t, w.config, "mirror", "scatter", gathered, m.arg(t, w, host)).err != nil {
					t.Errorf("%s scatter failed", tl.name)
				}
			}
			sameLanded(t, w.host("ferry-dst"), w.host("ace-dst"), m.prefix, false)
		})
	}
	t.Run("nest-referrers", func(t *testing.T) {
		t.Parallel()
		m := mapper{kind: "nest", text: dstHost + "/nestr", prefix: "nestr/"}
		for _, tl := range both() {
			host := w.host(map[*tool]string{ferry: "ferry-dst", acedt: "ace-dst"}[tl])
			if tl.run(t, w.config, "mirror", "scatter", gatheredR, m.arg(t, w, host), "-r").err != nil {
				t.Errorf("%s scatter -r failed", tl.name)
			}
		}
		reached := sameLanded(t, w.host("ferry-dst"), w.host("ace-dst"), m.prefix, true)
		for _, d := range w.graph.AllReferrers() {
			if !reached[d] {
				t.Errorf("referrer %s is not found from its subject at the destinations", d)
			}
		}
	})
	// The reference cannot nest sources that carry a port; Ferry must.
	t.Run("nest-host-port", func(t *testing.T) {
		t.Parallel()
		var lines []string
		for _, p := range registrytest.GraphSources {
			lines = append(lines, w.graph.Ref(p))
		}
		list := w.write(t, "hostport.list", strings.Join(lines, "\n")+"\n")
		g := w.host("low") + "/scatter/hostport:sync-1"
		ferry.must(t, w.config, "mirror", "gather", list, g)
		ferry.must(t, w.config, "mirror", "scatter", g, "nest="+w.host("ferry-dst")+"/hostport")
		got := landed(t, w.host("ferry-dst"), "hostport/")
		digests := map[v1.Hash]bool{}
		for ref, d := range got {
			digests[d] = true
			requireComplete(t, w.host("ferry-dst")+"/"+ref, false)
		}
		for _, p := range registrytest.GraphSources {
			if !digests[w.graph.Digests[p]] {
				t.Errorf("%s was not delivered under hostport/ (delivered: %v)", p, got)
			}
		}
	})
}

// TestClone: both tools clone the sources straight to destinations.
func TestClone(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "ferry-dst", "ace-dst")
	all := w.sources(t, "all.list", registrytest.GraphSources...)
	cases := []struct {
		name   string
		list   string
		mapper mapper
		flags  []string
		refs   bool
	}{
		{name: "first-prefix", list: all, mapper: mappers(w.graph)[1]},
		{name: "go-template", list: all, mapper: mappers(w.graph)[5]},
		{name: "nest-referrers", list: all, mapper: mapper{kind: "nest", text: dstHost + "/nestr", prefix: "nestr/"}, flags: []string{"-r"}, refs: true},
		{name: "platform-arm64", list: w.sources(t, "platforms.list", platformSources...), mapper: mapper{kind: "nest", text: dstHost + "/arm64", prefix: "arm64/"}, flags: []string{"-p", "linux/arm64"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, tl := range both() {
				host := w.host(map[*tool]string{ferry: "ferry-dst", acedt: "ace-dst"}[tl])
				if tl.run(t, w.config, append([]string{"mirror", "clone", c.list, c.mapper.arg(t, w, host)}, c.flags...)...).err != nil {
					t.Errorf("%s clone failed", tl.name)
				}
			}
			reached := sameLanded(t, w.host("ferry-dst"), w.host("ace-dst"), c.mapper.prefix, c.refs)
			if c.refs {
				for _, d := range w.graph.AllReferrers() {
					if !reached[d] {
						t.Errorf("referrer %s is not found from its subject at the destinations", d)
					}
				}
			}
		})
	}
}

// manifestAsLayer are the sources of the manifest-as-layer shape, which the
// reference cannot archive: it loses the config of a manifest whose bytes
// are also a layer ("fetch blob to save: ... not found"), a defect of its
// own. Its archives are made of the rest of the graph.
var manifestAsLayer = []string{registrytest.GraphOuter, registrytest.GraphInner, registrytest.GraphInnerIndex}

// TestArchiveUnarchive: each tool archives the sources with no low-side
// registry, and each unarchives what either wrote to nested destinations.
func TestArchiveUnarchive(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dst")
	for _, writer := range both() {
		t.Run(writer.name, func(t *testing.T) {
			t.Parallel()
			paths := registrytest.GraphSources
			if writer == acedt {
				paths = without(paths, manifestAsLayer...)
			}
			list := w.sources(t, writer.name+".list", paths...)
			file := filepath.Join(t.TempDir(), "archive.tar")
			writer.must(t, w.config, "mirror", "archive", list, file)
			for _, reader := range both() {
				t.Run("to-"+reader.name, func(t *testing.T) {
					t.Parallel()
					prefix := "un/" + writer.name + "-" + reader.name + "/"
					if reader.run(t, w.config, "mirror", "unarchive", file, "nest="+w.host("dst")+"/"+strings.TrimSuffix(prefix, "/")).err != nil {
						t.Errorf("%s unarchive of the archive %s wrote failed", reader.name, writer.name)
					}
					want := map[string]v1.Hash{}
					for _, p := range paths {
						want[prefix+src(p)] = w.graph.Digests[p]
					}
					got := expectLanded(t, []*tool{writer, reader}, w.host("dst"), prefix, want)
					if writer == ferry || reader == ferry {
						for _, p := range paths {
							if _, ok := got[prefix+src(p)]; ok && slices.Contains(craneValidates, p) {
								craneValidate(t, w.host("dst")+"/"+prefix+src(p))
							}
						}
					}
				})
			}
		})
	}
}
