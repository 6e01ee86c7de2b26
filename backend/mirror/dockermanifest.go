package mirror

import (
	"encoding/json"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/archive"
)

// dockerManifest is one entry of a `docker save` manifest.json.
type dockerManifest struct {
	Config   string   `json:"Config"`
	RepoTags []string `json:"RepoTags"`
	Layers   []string `json:"Layers"`
}

// dockerManifestJSON is the `docker save` style description of every image
// of the gather index: one entry per source (for an index, its linux/amd64
// image, else its first), each blob named by its path in the stream.
func dockerManifestJSON(plan *serialPlan) ([]byte, error) {
	out := []dockerManifest{}
	byDigest := map[v1.Hash]int{}
	blobPath := func(h v1.Hash) string { return archive.BlobsDir + "/" + h.Algorithm + "/" + h.Hex }
	for _, e := range gatherEntriesOf(plan.rootRaw) {
		src := e.Annotations[AnnotationSource]
		n := plan.graph.Get(e.Digest)
		if n == nil || !n.IsManifest() {
			continue
		}
		if IsIndex(n.Desc.MediaType) {
			m, err := parseManifest(n.Raw)
			if err != nil || len(m.Manifests) == 0 {
				continue
			}
			chosen := m.Manifests[0]
			for _, c := range m.Manifests {
				if c.Platform != nil && c.Platform.OS == "linux" && c.Platform.Architecture == "amd64" {
					chosen = c
					break
				}
			}
			if n = plan.graph.Get(chosen.Digest); n == nil || !n.IsManifest() || IsIndex(n.Desc.MediaType) {
				continue
			}
		}
		if i, ok := byDigest[n.Desc.Digest]; ok {
			out[i].RepoTags = append(out[i].RepoTags, src)
			continue
		}
		m, err := parseManifest(n.Raw)
		if err != nil || m.Config == nil {
			continue
		}
		dm := dockerManifest{Config: blobPath(m.Config.Digest), RepoTags: []string{src}, Layers: []string{}}
		for _, l := range m.Layers {
			dm.Layers = append(dm.Layers, blobPath(l.Digest))
		}
		byDigest[n.Desc.Digest] = len(out)
		out = append(out, dm)
	}
	return json.Marshal(out)
}
