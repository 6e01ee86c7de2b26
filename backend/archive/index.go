package archive

import (
	"bytes"
	"encoding/json"
	"maps"
	"strconv"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Index is the content of one index.json copy in the stream.
type Index struct {
	Manifests   []v1.Descriptor
	Annotations map[string]string
}

// NewIndex returns the first index.json copy: the root (the gather index)
// tagged with tag, and the annotations the reference reader relies on.
// The deduplicated size is copied from the gather index's annotations ("0"
// when absent).
func NewIndex(root v1.Descriptor, tag, toolVersion string, gatherAnnotations map[string]string) Index {
	root.Annotations = maps.Clone(root.Annotations)
	if root.Annotations == nil {
		root.Annotations = map[string]string{}
	}
	root.Annotations[AnnotationRefName] = tag

	size := gatherAnnotations[AnnotationDeduplicatedSize]
	if size == "" {
		size = "0"
	}
	return Index{
		Manifests: []v1.Descriptor{root},
		Annotations: map[string]string{
			AnnotationToolVersion:          toolVersion,
			AnnotationSerializationVersion: SerializationVersion,
			AnnotationDeduplicatedSize:     size,
		},
	}
}

// With returns a copy of x with extra annotations added (Ferry's extensions,
// see VolumeAnnotations). The reference keys are not overridden.
func (x Index) With(extra map[string]string) Index {
	out := Index{Manifests: x.Manifests, Annotations: maps.Clone(x.Annotations)}
	if out.Annotations == nil {
		out.Annotations = map[string]string{}
	}
	for k, v := range extra {
		if isReferenceKey(k) {
			continue
		}
		out.Annotations[k] = v
	}
	return out
}

// Final returns the copy written after the blobs: the same annotations, and
// as manifests the root followed by visited, the manifests written after it
// in visit order, each as it appears in its parent. A visited entry with the
// root's digest is dropped, so callers may pass the whole walk.
func (x Index) Final(visited []v1.Descriptor) Index {
	out := Index{Annotations: maps.Clone(x.Annotations)}
	if len(x.Manifests) == 0 {
		out.Manifests = append([]v1.Descriptor(nil), visited...)
		return out
	}
	root := x.Manifests[0]
	out.Manifests = append(make([]v1.Descriptor, 0, len(visited)+1), root)
	for _, d := range visited {
		if d.Digest != root.Digest {
			out.Manifests = append(out.Manifests, d)
		}
	}
	return out
}

// VolumeAnnotations returns Ferry's multi-volume annotations for volume number
// (from 1) of the transfer syncID.
func VolumeAnnotations(syncID string, number int, last bool) map[string]string {
	return map[string]string{
		AnnotationSyncID:       syncID,
		AnnotationVolumeNumber: strconv.Itoa(number),
		AnnotationVolumeLast:   strconv.FormatBool(last),
	}
}

// Bytes renders x as the reference does: an OCI image index, indented with
// two spaces, descriptor fields in image-spec order.
func (x Index) Bytes() ([]byte, error) {
	manifests := make([]specDescriptor, len(x.Manifests))
	for i, d := range x.Manifests {
		manifests[i] = toSpec(d)
	}
	return json.MarshalIndent(specIndex{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Manifests:     manifests,
		Annotations:   x.Annotations,
	}, "", "  ")
}

// ParseIndex decodes an index.json copy.
func ParseIndex(data []byte) (*v1.IndexManifest, error) {
	var m v1.IndexManifest
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return &m, nil
}

func isReferenceKey(k string) bool {
	switch k {
	case AnnotationToolVersion, AnnotationSerializationVersion, AnnotationDeduplicatedSize:
		return true
	}
	return false
}

// specIndex and specDescriptor order their fields as the OCI image-spec Go
// types do, so index.json and ledger lines match the reference byte for byte.
type specIndex struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     types.MediaType   `json:"mediaType,omitempty"`
	Manifests     []specDescriptor  `json:"manifests"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

type specDescriptor struct {
	MediaType    types.MediaType   `json:"mediaType"`
	Digest       v1.Hash           `json:"digest"`
	Size         int64             `json:"size"`
	URLs         []string          `json:"urls,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Data         []byte            `json:"data,omitempty"`
	Platform     *v1.Platform      `json:"platform,omitempty"`
	ArtifactType string            `json:"artifactType,omitempty"`
}

func toSpec(d v1.Descriptor) specDescriptor {
	return specDescriptor{
		MediaType:    d.MediaType,
		Digest:       d.Digest,
		Size:         d.Size,
		URLs:         d.URLs,
		Annotations:  d.Annotations,
		Data:         d.Data,
		Platform:     d.Platform,
		ArtifactType: d.ArtifactType,
	}
}
