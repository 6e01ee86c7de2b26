package mirror

import (
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Annotation keys shared with the reference tool (FORMAT.md section 1).
const (
	AnnotationSource         = "vnd.act3-ace.manifest.source"
	AnnotationRefName        = "org.opencontainers.image.ref.name"
	AnnotationLabels         = "data.act3-ace.io/labels"
	AnnotationSourceIndex    = "data.act3-ace.io/source-index"
	AnnotationVersion        = "vnd.act3-ace.data.version"
	AnnotationSizeTotal      = "vnd.act3-ace.data.layer.size.total"
	AnnotationSizeDedup      = "vnd.act3-ace.data.layer.size.deduplicated"
	AnnotationExtraManifests = "vnd.act3-ace.data.extra-manifests"

	// ArtifactTypeGather marks a gather index.
	ArtifactTypeGather = "application/vnd.act3-ace.data.gather+json"
)

// IsManifest reports whether a media type is a manifest or index (as opposed
// to a blob). Manifests are pushed as manifests, never as plain blobs.
func IsManifest(mt types.MediaType) bool {
	return IsIndex(mt) || mt == types.OCIManifestSchema1 || mt == types.DockerManifestSchema2 ||
		mt == types.DockerManifestSchema1 || mt == types.DockerManifestSchema1Signed
}

// IsIndex reports whether a media type is an OCI index or Docker manifest list.
func IsIndex(mt types.MediaType) bool {
	return mt == types.OCIImageIndex || mt == types.DockerManifestList
}

// parsedManifest is the union of the fields of image manifests and indexes
// that the graph walk needs.
type parsedManifest struct {
	MediaType    types.MediaType   `json:"mediaType"`
	ArtifactType string            `json:"artifactType"`
	Config       *v1.Descriptor    `json:"config"`
	Layers       []v1.Descriptor   `json:"layers"`
	Manifests    []v1.Descriptor   `json:"manifests"`
	Subject      *v1.Descriptor    `json:"subject"`
	Annotations  map[string]string `json:"annotations"`
}

func parseManifest(raw []byte) (*parsedManifest, error) {
	var m parsedManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("parse manifest: %w", err)
	}
	return &m, nil
}

// children lists a manifest's children in the order the reference tool
// walks them: subject first, then config and layers (image) or manifests and
// the index-fallback extra manifests (index).
func (m *parsedManifest) children(mediaType types.MediaType) ([]v1.Descriptor, error) {
	var out []v1.Descriptor
	if m.Subject != nil {
		out = append(out, *m.Subject)
	}
	if IsIndex(mediaType) || (mediaType == "" && m.Manifests != nil) {
		out = append(out, m.Manifests...)
		extra, err := ExtraManifests(m.Annotations)
		if err != nil {
			return nil, err
		}
		out = append(out, extra...)
		return out, nil
	}
	if m.Config != nil {
		out = append(out, *m.Config)
	}
	return append(out, m.Layers...), nil
}

// ExtraManifests decodes the index-fallback annotation.
func ExtraManifests(annotations map[string]string) ([]v1.Descriptor, error) {
	raw, ok := annotations[AnnotationExtraManifests]
	if !ok || raw == "" {
		return nil, nil
	}
	var out []v1.Descriptor
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, fmt.Errorf("annotation %s: %w", AnnotationExtraManifests, err)
	}
	return out, nil
}

// mediaTypeOf reads the mediaType field of a manifest.
func mediaTypeOf(raw []byte) types.MediaType {
	var m struct {
		MediaType types.MediaType `json:"mediaType"`
	}
	json.Unmarshal(raw, &m)
	return m.MediaType
}

// GatherEntries lists a gather index's entries, the index-fallback extra
// manifests last, as scatter maps them.
func GatherEntries(raw []byte) ([]v1.Descriptor, error) {
	var idx struct {
		Manifests   []v1.Descriptor   `json:"manifests"`
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("not a gather index: %w", err)
	}
	extra, err := ExtraManifests(idx.Annotations)
	if err != nil {
		return nil, err
	}
	return append(idx.Manifests, extra...), nil
}
