package mirror

import (
	"context"
	"io"
	"sync"
	"syscall"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"ferry/backend/registry"
)

// RemoteRepo is a repository in a registry. Pulls go through the
// configured endpoints (mirrors, rewrites); pushes go to the push target.
type RemoteRepo struct {
	repo   name.Repository
	client *registry.Client
	target registry.Target // the push target
	opts   []remote.Option // its options
}

// NewRemoteRepo returns a registry repository reached through client.
func NewRemoteRepo(client *registry.Client, repo name.Repository) *RemoteRepo {
	t, err := client.PushTarget(repo.Tag("latest"))
	if err != nil {
		t = client.Origin(repo.Tag("latest"))
	}
	return &RemoteRepo{repo: t.Ref.Context(), client: client, target: t, opts: t.Options()}
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

// rawBlob is Blob unverified, for a reader that verifies it (see rawBlobOf).
func (r *RemoteRepo) rawBlob(ctx context.Context, d v1.Descriptor) (io.ReadCloser, error) {
	return r.client.RawBlob(ctx, r.digest(d))
}

func (r *RemoteRepo) Has(ctx context.Context, d v1.Descriptor) (bool, error) {
	if IsManifest(d.MediaType) {
		return r.client.HasManifest(ctx, r.target, d)
	}
	return r.client.HasBlob(ctx, r.target, d)
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
	if _, ok := rd.(syscall.Conn); ok {
		// A file (a part of the medium): sent as it is, so the kernel
		// copies it (sendfile), which a wrapper would prevent. It is
		// local, so a failure to read it shows as the upload's.
		return r.client.UploadBlob(ctx, r.target, d, rd)
	}
	kr := &keepErr{r: rd}
	sent, err = r.client.UploadBlob(ctx, r.target, d, kr)
	if rerr := kr.get(); rerr != nil {
		return true, rerr // the source failed: say so, not how the upload ended
	}
	return sent, err
}

// verifiesPushes: the registry checks every upload against its digest
// (see pushVerifier).
func (r *RemoteRepo) verifiesPushes() {}

// CopyBlobFrom mounts a blob from another repository of the same registry,
// so it never travels through Ferry. It reports false when the registry
// refuses the mount; the caller then sends the blob itself, with progress.
func (r *RemoteRepo) CopyBlobFrom(ctx context.Context, src Repo, d v1.Descriptor) (bool, error) {
	s, ok := src.(*RemoteRepo)
	if !ok || s.repo.RegistryStr() != r.repo.RegistryStr() {
		return false, nil
	}
	return r.client.MountBlob(ctx, r.target, d, s.repo)
}

// PushManifest puts the manifest by digest, or under each tag. One with a
// subject goes through go-containerregistry's put, which also keeps the
// subject's referrers tag where the registry lacks the referrers API.
func (r *RemoteRepo) PushManifest(ctx context.Context, d v1.Descriptor, raw []byte, tags ...string) error {
	refs := tags
	if len(tags) == 0 {
		refs = []string{d.Digest.String()}
	}
	withSubject := hasSubject(raw)
	for _, t := range refs {
		ref, err := r.ref(t)
		if err != nil {
			return err
		}
		if !withSubject {
			if err := r.client.PutManifest(ctx, r.target, t, d.MediaType, raw); err != nil {
				return err
			}
			continue
		}
		if err := remote.Put(ref, rawManifest{raw: raw, mediaType: d.MediaType}, r.with(ctx)...); err != nil {
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

// keepErr passes a reader through and keeps the first error it gives (the
// upload reads it on the HTTP client's goroutines, hence the lock).
type keepErr struct {
	r   io.Reader
	mu  sync.Mutex
	err error
}

func (k *keepErr) Read(p []byte) (int, error) {
	n, err := k.r.Read(p)
	if err != nil && err != io.EOF {
		k.mu.Lock()
		if k.err == nil {
			k.err = err
		}
		k.mu.Unlock()
	}
	return n, err
}

func (k *keepErr) get() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.err
}
