package mirror

import (
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"ferry/backend/archive"
)

// mediumManifest is a manifest received from the medium, held until it can
// be pushed.
type mediumManifest struct {
	desc     v1.Descriptor
	raw      []byte
	children []v1.Descriptor
	pushed   bool
}

// mediumScan tracks what a medium holds while it is read once. It is shared
// by deserialize and verify.
type mediumScan struct {
	root      *v1.Descriptor
	rootTag   string
	serialVer string // the first index.json's serialization version
	indexes   map[int]int
	// archive is the archive (of the volume being read) the last entry
	// belonged to; archiveFinal is set once that archive's final index.json
	// was read. Only the final copy of the last archive read counts: an
	// earlier volume's (or appended archive's) final copy says nothing of
	// whether the last one was cut short.
	archive      int
	archiveFinal bool
	listed       map[v1.Hash]v1.Descriptor // union of every index.json copy
	order        []v1.Hash                 // listed, in first-seen order
	known        map[NodeKey]v1.Descriptor // descriptors learned from parents, per role
	manifests    map[v1.Hash]*mediumManifest
	// stash holds the bytes of received blobs that parse as manifests but
	// are not (yet) wanted as one: a manifest's bytes reached first as a
	// layer, or a referrer that only the final index.json lists. They are
	// held as manifests once something wants them so (promote).
	stash      map[v1.Hash][]byte
	stashBytes int64
	annots     map[string]string // of the last index.json read
	entries    int
	// streamChecks counts final index.json copies whose stream digest was
	// compared; streamBad lists those that did not match.
	streamChecks int
	streamBad    []string
	// inventories are the readers' accounts of every entry, one per volume
	// read (see checkMedium).
	inventories []*archive.Inventory
}

func newMediumScan() *mediumScan {
	return &mediumScan{indexes: map[int]int{}, listed: map[v1.Hash]v1.Descriptor{}, known: map[NodeKey]v1.Descriptor{},
		manifests: map[v1.Hash]*mediumManifest{}, stash: map[v1.Hash][]byte{}}
}

// startVolume prepares to read the next volume of a transfer: its
// archives are counted from 0 again.
func (s *mediumScan) startVolume() {
	s.indexes = map[int]int{}
	s.archive, s.archiveFinal = 0, false
}

// enter notes the archive of an entry about to be handled.
func (s *mediumScan) enter(e *archive.Entry) {
	if e.Archive != s.archive {
		s.archive, s.archiveFinal = e.Archive, false
	}
}

// addIndex records an index.json copy.
func (s *mediumScan) addIndex(e *archive.Entry) error {
	idx := e.Index
	s.linkInventory(e.Inventory)
	s.indexes[e.Archive]++
	if s.indexes[e.Archive] >= 2 && e.Archive == s.archive {
		s.archiveFinal = true
	}
	if s.root == nil {
		if len(idx.Manifests) == 0 {
			return fmt.Errorf("index.json at offset %d lists no root manifest", e.Offset)
		}
		r := idx.Manifests[0]
		s.root = &r
		s.rootTag = r.Annotations[archive.AnnotationRefName]
		s.serialVer = idx.Annotations[archive.AnnotationSerializationVersion]
	}
	s.annots = idx.Annotations
	if want := idx.Annotations[archive.AnnotationStreamSHA256]; want != "" && e.StreamDigest != "" {
		s.streamChecks++
		if want != e.StreamDigest {
			s.streamBad = append(s.streamBad, fmt.Sprintf("the bytes before index.json at offset %d have sha256 %s, but it records %s", e.Offset, e.StreamDigest, want))
		}
	}
	for _, d := range idx.Manifests {
		if _, ok := s.listed[d.Digest]; !ok {
			s.listed[d.Digest] = d
			s.order = append(s.order, d.Digest)
		}
		if err := s.promote(d.Digest); err != nil {
			return err
		}
	}
	return nil
}

// finalSeen reports whether the last archive read (of the last volume
// read) held its final index.json: the second copy that Ferry and the
// reference write, or, for an archive made by other tools (no
// serialization version), any copy.
func (s *mediumScan) finalSeen() bool {
	if s.root == nil {
		return false
	}
	if s.serialVer == "" {
		return true
	}
	return s.archiveFinal
}

// wantsManifest reports whether the medium's graph needs h as a manifest:
// the root, listed in an index.json, or a manifest child of a held manifest.
func (s *mediumScan) wantsManifest(h v1.Hash) bool {
	if _, ok := s.known[NodeKey{h, RoleManifest}]; ok {
		return true
	}
	if _, ok := s.listed[h]; ok {
		return true
	}
	return s.root != nil && s.root.Digest == h
}

// blobDesc is the descriptor a received entry is pushed under as a blob.
func (s *mediumScan) blobDesc(h v1.Hash, size int64) v1.Descriptor {
	d := v1.Descriptor{MediaType: "application/octet-stream", Digest: h, Size: size}
	if k, ok := s.known[NodeKey{h, RoleBlob}]; ok {
		d.MediaType = k.MediaType
	}
	return d
}

// manifestDesc returns the best manifest descriptor known for h.
func (s *mediumScan) manifestDesc(h v1.Hash, size int64, raw []byte) v1.Descriptor {
	if d, ok := s.known[NodeKey{h, RoleManifest}]; ok {
		return v1.Descriptor{MediaType: d.MediaType, Digest: h, Size: size, ArtifactType: d.ArtifactType, Platform: d.Platform}
	}
	if d, ok := s.listed[h]; ok && IsManifest(d.MediaType) {
		return v1.Descriptor{MediaType: d.MediaType, Digest: h, Size: size, ArtifactType: d.ArtifactType, Platform: d.Platform}
	}
	if s.root != nil && s.root.Digest == h && IsManifest(s.root.MediaType) {
		return v1.Descriptor{MediaType: s.root.MediaType, Digest: h, Size: size}
	}
	return v1.Descriptor{MediaType: sniffManifest(raw), Digest: h, Size: size}
}

// stashLimit bounds the bytes kept in the stash; beyond it a manifest
// wanted later is read back from the target, where it was pushed as a blob.
const stashLimit = 64 << 20

// keep stashes received bytes that parse as a manifest nobody wants yet.
func (s *mediumScan) keep(h v1.Hash, raw []byte) {
	if _, ok := s.stash[h]; ok || s.stashBytes+int64(len(raw)) > stashLimit {
		return
	}
	s.stash[h] = raw
	s.stashBytes += int64(len(raw))
}

// promote holds stashed bytes as a manifest once the graph wants them so.
func (s *mediumScan) promote(h v1.Hash) error {
	raw, ok := s.stash[h]
	if !ok || s.manifests[h] != nil || !s.wantsManifest(h) {
		return nil
	}
	delete(s.stash, h)
	s.stashBytes -= int64(len(raw))
	_, err := s.addManifest(s.manifestDesc(h, int64(len(raw)), raw), raw)
	return err
}

// addManifest records a received manifest and learns its children.
func (s *mediumScan) addManifest(d v1.Descriptor, raw []byte) (*mediumManifest, error) {
	if m, ok := s.manifests[d.Digest]; ok {
		return m, nil
	}
	mt := d.MediaType
	if !IsManifest(mt) {
		mt = sniffManifest(raw)
		d.MediaType = mt
	}
	pm, err := parseManifest(raw)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	children, err := pm.children(mt)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	m := &mediumManifest{desc: d, raw: raw, children: children}
	s.manifests[d.Digest] = m
	for _, c := range children {
		if _, ok := s.known[KeyOf(c)]; !ok {
			s.known[KeyOf(c)] = c
		}
		if err := s.promote(c.Digest); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// sniffManifest returns the media type of bytes that look like an image
// manifest or index, or "" when they do not.
func sniffManifest(raw []byte) types.MediaType {
	var m struct {
		SchemaVersion int               `json:"schemaVersion"`
		MediaType     types.MediaType   `json:"mediaType"`
		Config        *json.RawMessage  `json:"config"`
		Layers        *json.RawMessage  `json:"layers"`
		Manifests     *json.RawMessage  `json:"manifests"`
		Annotations   map[string]string `json:"annotations"`
	}
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &m) != nil || m.SchemaVersion != 2 {
		return ""
	}
	switch {
	case IsManifest(m.MediaType):
		return m.MediaType
	case m.MediaType != "":
		return ""
	case m.Manifests != nil:
		return types.OCIImageIndex
	case m.Config != nil && m.Layers != nil:
		return types.OCIManifestSchema1
	}
	return ""
}
