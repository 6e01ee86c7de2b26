package mirror

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"ferry/backend/registry"
)

// RemoteRepo is a repository in a registry. Pulls go through the
// configured endpoints (mirrors, rewrites); pushes go to the push target.
type RemoteRepo struct {
	repo   name.Repository
	client *registry.Client
	opts   []remote.Option // push target options
}

// NewRemoteRepo returns a registry repository reached through client.
func NewRemoteRepo(client *registry.Client, repo name.Repository) *RemoteRepo {
	r := &RemoteRepo{repo: repo, client: client}
	if t, err := client.PushTarget(repo.Tag("latest")); err == nil {
		r.opts = t.Options()
		r.repo = t.Ref.Context()
	} else {
		r.opts = client.Options(repo.Tag("latest"))
	}
	return r
}

func (r *RemoteRepo) explain(err error, ref string) error { return registry.Explain(err, ref) }

func (r *RemoteRepo) String() string { return r.repo.String() }

// Repository is the registry repository.
func (r *RemoteRepo) Repository() name.Repository { return r.repo }

func (r *RemoteRepo) with(ctx context.Context) []remote.Option {
	return append([]remote.Option{remote.WithContext(ctx)}, r.opts...)
}

func (r *RemoteRepo) ref(tagOrDigest string) (name.Reference, error) {
	if len(tagOrDigest) > 7 && tagOrDigest[:7] == "sha256:" {
		return name.NewDigest(r.repo.String()+"@"+tagOrDigest, name.WeakValidation)
	}
	return name.NewTag(r.repo.String()+":"+tagOrDigest, name.WeakValidation)
}

func (r *RemoteRepo) digest(d v1.Descriptor) name.Digest {
	return r.repo.Digest(d.Digest.String())
}

func (r *RemoteRepo) Resolve(ctx context.Context, tagOrDigest string) (v1.Descriptor, []byte, error) {
	ref, err := r.ref(tagOrDigest)
	if err != nil {
		return v1.Descriptor{}, nil, err
	}
	desc, err := r.client.Get(ctx, ref)
	if err != nil {
		return v1.Descriptor{}, nil, err
	}
	return desc.Descriptor, desc.Manifest, nil
}

func (r *RemoteRepo) Manifest(ctx context.Context, d v1.Descriptor) ([]byte, error) {
	desc, err := r.client.Get(ctx, r.digest(d))
	if err != nil {
		return nil, err
	}
	return desc.Manifest, nil
}

func (r *RemoteRepo) Blob(ctx context.Context, d v1.Descriptor) (io.ReadCloser, error) {
	return r.client.Blob(ctx, r.digest(d))
}

func (r *RemoteRepo) Has(ctx context.Context, d v1.Descriptor) (bool, error) {
	var err error
	if IsManifest(d.MediaType) {
		_, err = remote.Head(r.digest(d), r.with(ctx)...)
	} else {
		var l v1.Layer
		if l, err = remote.Layer(r.digest(d), r.with(ctx)...); err == nil {
			_, err = l.Size() // a HEAD request
		}
	}
	if err == nil {
		return true, nil
	}
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return false, nil
	}
	return false, r.explain(err, r.digest(d).String())
}

// PushBlob uploads the blob unless the registry has it.
func (r *RemoteRepo) PushBlob(ctx context.Context, d v1.Descriptor, rd io.Reader) error {
	_, err := r.pushMissing(ctx, d, rd)
	return err
}

// pushMissing uploads the blob unless the registry has it (the upload asks
// first, with a HEAD); sent says whether rd was read. The content is not
// hashed here: the registry verifies the digest when the upload is
// committed, and Ferry verifies what it reads where it reads it (a pull
// from a registry, the medium).
func (r *RemoteRepo) pushMissing(ctx context.Context, d v1.Descriptor, rd io.Reader) (sent bool, err error) {
	l := &streamLayer{desc: d, r: rd}
	if err := remote.WriteLayer(r.repo, l, r.with(ctx)...); err != nil {
		if rerr := l.readErr(); rerr != nil {
			return true, rerr // the source failed: say so, not how the upload ended
		}
		return l.opened.Load(), r.explain(err, r.digest(d).String())
	}
	return l.opened.Load(), nil
}

// CopyBlobFrom mounts a blob from another repository of the same registry,
// so it never travels through Ferry. It reports false when the registry
// refuses the mount; the caller then sends the blob itself, with progress.
func (r *RemoteRepo) CopyBlobFrom(ctx context.Context, src Repo, d v1.Descriptor) (bool, error) {
	s, ok := src.(*RemoteRepo)
	if !ok || s.repo.RegistryStr() != r.repo.RegistryStr() {
		return false, nil
	}
	l := &remote.MountableLayer{Layer: mountOnly{d}, Reference: s.digest(d)}
	err := remote.WriteLayer(r.repo, l, r.with(ctx)...)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, errMountRefused):
		return false, nil
	default:
		return false, r.explain(err, r.digest(d).String())
	}
}

// errMountRefused stops go-containerregistry from streaming the blob itself,
// out of sight of progress and statistics, when a mount is refused.
var errMountRefused = errors.New("the registry refused to mount the blob")

// mountOnly is a layer that can be mounted but not read.
type mountOnly struct{ desc v1.Descriptor }

func (m mountOnly) Digest() (v1.Hash, error)             { return m.desc.Digest, nil }
func (m mountOnly) DiffID() (v1.Hash, error)             { return v1.Hash{}, errMountRefused }
func (m mountOnly) Compressed() (io.ReadCloser, error)   { return nil, errMountRefused }
func (m mountOnly) Uncompressed() (io.ReadCloser, error) { return nil, errMountRefused }
func (m mountOnly) Size() (int64, error)                 { return m.desc.Size, nil }
func (m mountOnly) MediaType() (types.MediaType, error)  { return m.desc.MediaType, nil }

func (r *RemoteRepo) PushManifest(ctx context.Context, d v1.Descriptor, raw []byte, tags ...string) error {
	m := rawManifest{raw: raw, mediaType: d.MediaType}
	if len(tags) == 0 {
		if err := remote.Put(r.digest(d), m, r.with(ctx)...); err != nil {
			return r.explain(err, r.digest(d).String())
		}
	}
	for _, t := range tags {
		ref := r.repo.Tag(t)
		if err := remote.Put(ref, m, r.with(ctx)...); err != nil {
			return r.explain(err, ref.String())
		}
	}
	return nil
}

func (r *RemoteRepo) Referrers(ctx context.Context, d v1.Descriptor) ([]v1.Descriptor, error) {
	return r.client.Referrers(ctx, r.digest(d))
}

// rawManifest lets remote.Put send manifest bytes exactly as they are.
type rawManifest struct {
	raw       []byte
	mediaType types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mediaType, nil }

// streamLayer is a blob of known digest and size whose content comes from a
// reader; the first error the reader gives is kept (the upload runs on the
// HTTP client's goroutines, hence the lock).
type streamLayer struct {
	desc   v1.Descriptor
	r      io.Reader
	opened atomic.Bool

	mu  sync.Mutex
	err error
}

func (l *streamLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *streamLayer) DiffID() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *streamLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *streamLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }
func (l *streamLayer) Uncompressed() (io.ReadCloser, error) {
	return nil, errors.New("uncompressed content is not available for a streamed blob")
}
func (l *streamLayer) Compressed() (io.ReadCloser, error) {
	l.opened.Store(true)
	return io.NopCloser(l), nil
}

func (l *streamLayer) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if err != nil && err != io.EOF {
		l.mu.Lock()
		if l.err == nil {
			l.err = err
		}
		l.mu.Unlock()
	}
	return n, err
}

func (l *streamLayer) readErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}
