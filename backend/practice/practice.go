// Package practice sets up a transfer to practise on, offline, on one
// laptop: a small synthetic set of images (a multi-platform index, a Docker
// v2 image, a non-image artifact and a signature referrer, a few MB in all)
// pushed to a "low side" repository path of a registry (Ferry's built-in
// one), with a matching sources list and mapping rules written to files.
// The high side is a second repository path of the same registry.
//
// Every byte is generated from fixed seeds, so the digests are the same on
// every laptop and every run.
package practice

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Repository paths of the two sides.
const (
	Low  = "low"
	High = "high"
)

// The practice images, as paths under the low side.
const (
	MultiPath    = "apps/multi:1.0"      // OCI index: linux/amd64 and linux/arm64
	DockerPath   = "apps/docker:1.0"     // Docker v2 schema 2 image
	ArtifactPath = "artifacts/notes:1.0" // OCI artifact, not an image
)

// Media types of the practice artifacts.
const (
	NotesType     = "application/vnd.ferry.practice.notes"
	SignatureType = "application/vnd.dev.cosign.artifact.sig.v1+json"
)

// Files the set writes to its directory.
const (
	SourcesFile = "sources.list"
	RulesFile   = "rules.csv"
	ArchiveFile = "practice.tar"
)

// Image is one pushed manifest.
type Image struct {
	Ref    string `json:"ref"`    // on the low side; by digest for a referrer
	Digest string `json:"digest"` // of its manifest
	Kind   string `json:"kind"`   // index, docker image, artifact, signature
}

// Set is the practice transfer as pushed: what to type in each step.
type Set struct {
	Host string `json:"host"`
	Dir  string `json:"dir"`
	// Images are the sources; Signature is the referrer of the index.
	Images    []Image `json:"images"`
	Signature Image   `json:"signature"`
	// Sources and Rules are the files written to Dir.
	Sources string `json:"sources"`
	Rules   string `json:"rules"`
	// Gathered is where gather puts the low side's gather index, Archive
	// the file serialize writes, Received where deserialize puts it on the
	// high side, and Mapping the scatter argument.
	Gathered string `json:"gathered"`
	Archive  string `json:"archive"`
	Received string `json:"received"`
	Mapping  string `json:"mapping"`
}

// Scattered is where scatter puts img on the high side.
func (s *Set) Scattered(img Image) string {
	return strings.Replace(img.Ref, s.Host+"/"+Low+"/", s.Host+"/"+High+"/", 1)
}

// Commands are the CLI steps of the practice transfer, in order.
func (s *Set) Commands() []string {
	return []string{
		fmt.Sprintf("ferry mirror gather -r %s %s", s.Sources, s.Gathered),
		fmt.Sprintf("ferry mirror serialize -r %s %s", s.Gathered, s.Archive),
		fmt.Sprintf("ferry mirror deserialize %s %s", s.Archive, s.Received),
		fmt.Sprintf("ferry mirror scatter -r %s %s", s.Received, s.Mapping),
	}
}

// Push pushes the practice images to host's low side (plain HTTP, as to
// the built-in registry on loopback), then writes the sources list and the
// mapping rules to dir. Pushing again changes nothing.
func Push(ctx context.Context, host, dir string) (*Set, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("practice directory: %w", err)
	}
	s := &Set{
		Host:     host,
		Dir:      dir,
		Sources:  filepath.Join(dir, SourcesFile),
		Rules:    filepath.Join(dir, RulesFile),
		Archive:  filepath.Join(dir, ArchiveFile),
		Gathered: host + "/" + Low + "/transfer:practice",
		Received: host + "/" + High + "/transfer:practice",
	}
	s.Mapping = "first-prefix=" + s.Rules
	// A previous practice's archive would make serialize refuse to overwrite it.
	if err := os.Remove(s.Archive); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("practice directory: %w", err)
	}
	p := pusher{ctx: ctx, host: host}
	multi, err := p.multi()
	if err != nil {
		return nil, err
	}
	docker, err := p.docker()
	if err != nil {
		return nil, err
	}
	artifact, err := p.artifact()
	if err != nil {
		return nil, err
	}
	sig, err := p.signature(multi)
	if err != nil {
		return nil, err
	}
	s.Images, s.Signature = []Image{multi, docker, artifact}, sig
	if err := s.writeFiles(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Set) writeFiles() error {
	var src strings.Builder
	src.WriteString("# Practice images on the low side: one reference a line, then labels.\n")
	for _, img := range s.Images {
		fmt.Fprintf(&src, "%s,kind=%s\n", img.Ref, strings.ReplaceAll(img.Kind, " ", "-"))
	}
	rules := fmt.Sprintf("# Practice mapping (first-prefix): low side -> high side.\n%s/%s/apps,%s/%s/apps\n%s/%s/artifacts,%s/%s/artifacts\n",
		s.Host, Low, s.Host, High, s.Host, Low, s.Host, High)
	for path, text := range map[string]string{s.Sources: src.String(), s.Rules: rules} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return fmt.Errorf("practice files: %w", err)
		}
	}
	return nil
}

type pusher struct {
	ctx  context.Context
	host string
}

func (p pusher) ref(path string) (name.Reference, error) {
	r, err := name.ParseReference(p.host+"/"+Low+"/"+path, name.Insecure)
	if err != nil {
		return nil, fmt.Errorf("practice image %s: %w", path, err)
	}
	return r, nil
}

func (p pusher) opts() []remote.Option { return []remote.Option{remote.WithContext(p.ctx)} }

func (p pusher) fail(path string, err error) error {
	return fmt.Errorf("pushing practice image %s/%s/%s: %w", p.host, Low, path, err)
}

// layer is a gzipped tar holding one file of size pseudo-random bytes.
func layer(seed int64, file string, size int, mt types.MediaType) (v1.Layer, error) {
	data := make([]byte, size)
	rand.New(rand.NewSource(seed)).Read(data)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: file, Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }, tarball.WithMediaType(mt))
}

// image is a one-layer image of the given manifest and config types.
func image(seed int64, p v1.Platform, manifest, cfg, layerType types.MediaType) (v1.Image, error) {
	l, err := layer(seed, "practice/"+p.Architecture+".bin", 640<<10, layerType)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(mutate.ConfigMediaType(mutate.MediaType(empty.Image, manifest), cfg), l)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Config.Cmd = []string{"/bin/true"}
	return mutate.ConfigFile(img, cf)
}

func (p pusher) multi() (Image, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for i, pl := range []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}} {
		img, err := image(int64(101+i), pl, types.OCIManifestSchema1, types.OCIConfigJSON, types.OCILayer)
		if err != nil {
			return Image{}, p.fail(MultiPath, err)
		}
		pl := pl
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &pl}})
	}
	ref, err := p.ref(MultiPath)
	if err != nil {
		return Image{}, err
	}
	if err := remote.WriteIndex(ref, idx, p.opts()...); err != nil {
		return Image{}, p.fail(MultiPath, err)
	}
	d, err := idx.Digest()
	if err != nil {
		return Image{}, p.fail(MultiPath, err)
	}
	return Image{Ref: ref.String(), Digest: d.String(), Kind: "index"}, nil
}

func (p pusher) docker() (Image, error) {
	img, err := image(201, v1.Platform{OS: "linux", Architecture: "amd64"}, types.DockerManifestSchema2, types.DockerConfigJSON, types.DockerLayer)
	if err != nil {
		return Image{}, p.fail(DockerPath, err)
	}
	ref, err := p.ref(DockerPath)
	if err != nil {
		return Image{}, err
	}
	if err := remote.Write(ref, img, p.opts()...); err != nil {
		return Image{}, p.fail(DockerPath, err)
	}
	d, err := img.Digest()
	if err != nil {
		return Image{}, p.fail(DockerPath, err)
	}
	return Image{Ref: ref.String(), Digest: d.String(), Kind: "docker image"}, nil
}

// manifest is raw manifest bytes with their media type, for remote.Put.
type manifest struct {
	raw []byte
	mt  types.MediaType
}

func (m manifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m manifest) MediaType() (types.MediaType, error) { return m.mt, nil }

// artifactManifest pushes blobs and an OCI manifest with the empty config
// to ref (a tag, or the manifest's digest when subject is set).
func (p pusher) artifactManifest(path, artifactType string, data []byte, dataType types.MediaType, subject *v1.Descriptor, annotations map[string]string) (Image, error) {
	ref, err := p.ref(path)
	if err != nil {
		return Image{}, err
	}
	var descs []v1.Descriptor
	for _, b := range []struct {
		data []byte
		mt   types.MediaType
	}{{[]byte("{}"), "application/vnd.oci.empty.v1+json"}, {data, dataType}} {
		l := static.NewLayer(b.data, b.mt)
		if err := remote.WriteLayer(ref.Context(), l, p.opts()...); err != nil {
			return Image{}, p.fail(path, err)
		}
		d, _ := l.Digest()
		descs = append(descs, v1.Descriptor{MediaType: b.mt, Digest: d, Size: int64(len(b.data))})
	}
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.OCIManifestSchema1,
		"artifactType":  artifactType,
		"config":        descs[0],
		"layers":        descs[1:],
		"annotations":   annotations,
	}
	if subject != nil {
		m["subject"] = subject
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return Image{}, err
	}
	d, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return Image{}, err
	}
	if subject != nil {
		ref = ref.Context().Digest(d.String())
	}
	if err := remote.Put(ref, manifest{raw, types.OCIManifestSchema1}, p.opts()...); err != nil {
		return Image{}, p.fail(path, err)
	}
	return Image{Ref: ref.String(), Digest: d.String()}, nil
}

func (p pusher) artifact() (Image, error) {
	notes := []byte("Practice notes: this artifact is not an image. Ferry carries it across the gap like any other manifest.\n")
	img, err := p.artifactManifest(ArtifactPath, NotesType, notes, "text/plain",
		nil, map[string]string{"org.opencontainers.image.title": "practice notes"})
	img.Kind = "artifact"
	return img, err
}

// signature is a cosign-style signature referring to subject.
func (p pusher) signature(subject Image) (Image, error) {
	h, err := v1.NewHash(subject.Digest)
	if err != nil {
		return Image{}, err
	}
	ref, err := name.ParseReference(subject.Ref, name.Insecure)
	if err != nil {
		return Image{}, err
	}
	desc, err := remote.Head(ref, p.opts()...)
	if err != nil || desc.Digest != h {
		return Image{}, fmt.Errorf("practice index %s: %v (digest %v)", subject.Ref, err, desc)
	}
	payload := []byte(`{"critical":{"identity":{"docker-reference":"` + ref.Context().String() + `"},"image":{"docker-manifest-digest":"` + subject.Digest + `"},"type":"practice signature"}}`)
	sub := v1.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size}
	img, err := p.artifactManifest(MultiPath, SignatureType, payload, "application/vnd.dev.cosign.simplesigning.v1+json",
		&sub, map[string]string{"dev.ferry.practice": "not a real signature"})
	img.Kind = "signature"
	return img, err
}
