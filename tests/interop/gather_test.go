//go:build interop

package interop

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"ferry/backend/registrytest"
)

// versionValue is the one part of a gather index that may differ between
// the tools: the value of the version annotation.
var versionValue = regexp.MustCompile(`("vnd\.act3-ace\.data\.version":)"[^"]*"`)

func normalizeVersion(b []byte) []byte { return versionValue.ReplaceAll(b, []byte(`${1}"VERSION"`)) }

// platformSources can go through the reference's platform filter, which
// panics on an index of indexes.
var platformSources = without(registrytest.GraphSources, registrytest.GraphNested)

// TestGatherIndex gathers the same sources with both tools and compares the
// gather index bytes (apart from the version value), then reads each
// gathered graph back whole.
func TestGatherIndex(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "low")
	all := w.sources(t, "all.list", registrytest.GraphSources...)
	labelled := w.write(t, "labelled.list", "# labels\n"+
		src(registrytest.GraphImage)+",component=core,module=test\n"+
		src(registrytest.GraphMulti)+",component=extra\n"+
		src(registrytest.GraphArtifact)+"\n")
	cases := []struct {
		name      string
		list      string
		flags     []string
		referrers bool
	}{
		{name: "plain", list: all},
		{name: "annotations", list: all, flags: []string{"-a", "site=low,ticket=45"}},
		{name: "index-fallback", list: all, flags: []string{"--index-fallback"}},
		{name: "referrers", list: all, flags: []string{"-r"}, referrers: true},
		{name: "labels", list: labelled},
		{name: "platform-arm64", list: w.sources(t, "platforms.list", platformSources...), flags: []string{"-p", "linux/arm64"}},
		{name: "platforms-amd64-armv7", list: w.sources(t, "platforms2.list", platformSources...), flags: []string{"-p", "linux/amd64", "-p", "linux/arm/v7"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := map[string][]byte{}
			for _, tl := range both() {
				ref := w.host("low") + "/gather/" + c.name + "-" + tl.name + ":sync-1"
				args := append([]string{"mirror", "gather", c.list, ref}, c.flags...)
				if tl.run(t, w.config, args...).err != nil {
					t.Errorf("%s gather failed", tl.name)
					continue
				}
				got[tl.name] = manifestBytes(t, ref)
				checkComplete(t, []*tool{tl}, ref, c.referrers)
			}
			f, r := got["ferry"], got["ace-dt"]
			if f == nil || r == nil {
				return
			}
			if !bytes.Equal(normalizeVersion(f), normalizeVersion(r)) {
				t.Errorf("gather index differs from the reference's (apart from the version):\nferry:  %s\nace-dt: %s", f, r)
			}
		})
	}

	// The reference panics here; Ferry must gather what matches and say
	// what it dropped.
	t.Run("platform-index-of-indexes", func(t *testing.T) {
		t.Parallel()
		list := w.sources(t, "nested.list", registrytest.GraphNested, registrytest.GraphImage, registrytest.GraphInnerIndex)
		ref := w.host("low") + "/gather/nested-ferry:sync-1"
		out := ferry.must(t, w.config, "mirror", "gather", list, ref, "-p", "linux/arm64")
		requireComplete(t, ref, false)
		var idx struct {
			Manifests []struct {
				Annotations map[string]string `json:"annotations"`
			} `json:"manifests"`
		}
		if err := json.Unmarshal(manifestBytes(t, ref), &idx); err != nil {
			t.Fatal(err)
		}
		kept := map[string]bool{}
		for _, m := range idx.Manifests {
			kept[m.Annotations["vnd.act3-ace.manifest.source"]] = true
		}
		// image/plain is linux/amd64 only: dropped, with a warning naming it.
		if kept[src(registrytest.GraphImage)] {
			t.Errorf("the linux/amd64 image was kept by -p linux/arm64")
		}
		if !strings.Contains(out, src(registrytest.GraphImage)) {
			t.Errorf("no warning names the dropped source %s:\n%s", src(registrytest.GraphImage), out)
		}
		if !kept[src(registrytest.GraphInnerIndex)] {
			t.Errorf("the index with a linux/arm64 child was dropped")
		}
	})
}
