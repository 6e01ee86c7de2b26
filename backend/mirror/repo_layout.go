package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"

	"ferry/backend/digestcheck"
)

// LayoutRepo is a repository in a local OCI image layout: the store that
// archive and unarchive use when there is no registry on that side. Tags
// are index.json entries annotated with org.opencontainers.image.ref.name.
type LayoutRepo struct {
	path layout.Path
	mu   sync.Mutex // index.json updates
}

// OpenLayout opens the OCI layout at dir, creating an empty one if needed.
func OpenLayout(dir string) (*LayoutRepo, error) {
	if p, err := layout.FromPath(dir); err == nil {
		return &LayoutRepo{path: p}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create OCI layout %s: %w", dir, err)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return nil, fmt.Errorf("create OCI layout %s: %w", dir, err)
	}
	return &LayoutRepo{path: p}, nil
}

func (l *LayoutRepo) String() string { return "oci-layout:" + string(l.path) }

func (l *LayoutRepo) Resolve(ctx context.Context, tagOrDigest string) (v1.Descriptor, []byte, error) {
	idx, err := l.path.ImageIndex()
	if err != nil {
		return v1.Descriptor{}, nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return v1.Descriptor{}, nil, err
	}
	for i := len(im.Manifests) - 1; i >= 0; i-- {
		d := im.Manifests[i]
		if d.Annotations[AnnotationRefName] == tagOrDigest || d.Digest.String() == tagOrDigest {
			raw, err := l.Manifest(ctx, d)
			return d, raw, err
		}
	}
	if h, err := v1.NewHash(tagOrDigest); err == nil {
		raw, err := l.path.Bytes(h)
		if err == nil {
			mt := mediaTypeOf(raw)
			return v1.Descriptor{MediaType: mt, Digest: h, Size: int64(len(raw))}, raw, nil
		}
	}
	return v1.Descriptor{}, nil, fmt.Errorf("%s: no manifest tagged or with digest %q", l, tagOrDigest)
}

func (l *LayoutRepo) Manifest(ctx context.Context, d v1.Descriptor) ([]byte, error) {
	raw, err := l.path.Bytes(d.Digest)
	if err != nil {
		return nil, fmt.Errorf("%s: manifest %s: %w", l, d.Digest, err)
	}
	return raw, nil
}

func (l *LayoutRepo) Blob(ctx context.Context, d v1.Descriptor) (io.ReadCloser, error) {
	rc, err := l.path.Blob(d.Digest)
	if err != nil {
		return nil, fmt.Errorf("%s: blob %s: %w", l, d.Digest, err)
	}
	return rc, nil
}

func (l *LayoutRepo) blobPath(d v1.Descriptor) string {
	return filepath.Join(string(l.path), "blobs", d.Digest.Algorithm, d.Digest.Hex)
}

func (l *LayoutRepo) Has(ctx context.Context, d v1.Descriptor) (bool, error) {
	fi, err := os.Stat(l.blobPath(d))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return fi.Size() == d.Size, nil
}

// PushBlob writes through a temporary file renamed into place only after the
// content matched its digest, so a half-written blob is never taken as present.
func (l *LayoutRepo) PushBlob(ctx context.Context, d v1.Descriptor, r io.Reader) error {
	if ok, _ := l.Has(ctx, d); ok {
		_, err := io.Copy(io.Discard, r)
		return err
	}
	dst := l.blobPath(d)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".incoming-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, digestcheck.NewReader(r, d, nil))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: write blob %s: %w", l, d.Digest, err)
	}
	return os.Rename(tmp.Name(), dst)
}

func (l *LayoutRepo) PushManifest(ctx context.Context, d v1.Descriptor, raw []byte, tags ...string) error {
	if d.Size == 0 {
		d.Size = int64(len(raw))
	}
	if err := l.PushBlob(ctx, d, bytesReader(raw)); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	entry := v1.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size, ArtifactType: d.ArtifactType, Platform: d.Platform}
	if len(tags) == 0 {
		return l.replace(entry, match.Digests(d.Digest))
	}
	for _, t := range tags {
		e := entry
		e.Annotations = map[string]string{AnnotationRefName: t}
		if err := l.replace(e, match.Annotation(AnnotationRefName, t)); err != nil {
			return err
		}
	}
	return nil
}

// Referrers scans the layout's manifests for ones whose subject is d.
func (l *LayoutRepo) Referrers(ctx context.Context, d v1.Descriptor) ([]v1.Descriptor, error) {
	idx, err := l.path.ImageIndex()
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []v1.Descriptor
	for _, e := range im.Manifests {
		raw, err := l.path.Bytes(e.Digest)
		if err != nil {
			continue
		}
		m, err := parseManifest(raw)
		if err != nil || m.Subject == nil || m.Subject.Digest != d.Digest {
			continue
		}
		e.ArtifactType = m.ArtifactType
		if e.ArtifactType == "" && m.Config != nil {
			e.ArtifactType = string(m.Config.MediaType)
		}
		e.Annotations = m.Annotations
		out = append(out, e)
	}
	return out, nil
}

func (l *LayoutRepo) replace(d v1.Descriptor, m match.Matcher) error {
	if err := l.path.RemoveDescriptors(m); err != nil {
		return err
	}
	return l.path.AppendDescriptor(d)
}
