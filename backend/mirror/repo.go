package mirror

import (
	"context"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Repo is one repository, in a registry or in a local OCI layout, that the
// operations read from and write to. Both kinds flow through the same copy,
// serialize and deserialize code.
type Repo interface {
	// String names the repository for messages.
	String() string
	// Resolve returns the descriptor and raw bytes of the manifest that a tag
	// or digest ("sha256:...") names.
	Resolve(ctx context.Context, tagOrDigest string) (v1.Descriptor, []byte, error)
	// Manifest returns a manifest's raw bytes by descriptor.
	Manifest(ctx context.Context, d v1.Descriptor) ([]byte, error)
	// Blob streams a blob's content.
	Blob(ctx context.Context, d v1.Descriptor) (io.ReadCloser, error)
	// Has reports whether the repository already has a blob or manifest.
	Has(ctx context.Context, d v1.Descriptor) (bool, error)
	// PushBlob stores a blob read from r; the content is verified against d.
	PushBlob(ctx context.Context, d v1.Descriptor, r io.Reader) error
	// PushManifest stores a manifest by digest and under each tag given.
	PushManifest(ctx context.Context, d v1.Descriptor, raw []byte, tags ...string) error
	// Referrers lists the manifests whose subject is d.
	Referrers(ctx context.Context, d v1.Descriptor) ([]v1.Descriptor, error)
}

// BlobCopier is implemented by repositories that can take a blob from
// another repository without streaming it through Ferry, e.g. a
// cross-repository mount within one registry. Copy reports whether it did.
type BlobCopier interface {
	CopyBlobFrom(ctx context.Context, src Repo, d v1.Descriptor) (bool, error)
}
