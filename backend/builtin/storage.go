package builtin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/registry/storage"
	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sirupsen/logrus"
)

// ErrInUse is returned for an operation that needs the storage directory
// to itself while a registry serves it.
var ErrInUse = errors.New("registry storage in use")

// Size is the space the storage directory takes, in bytes of file content.
func Size(root string) (int64, error) {
	var total int64
	err := filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			total += info.Size()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("registry storage size: %w", err)
	}
	return total, nil
}

// open is Distribution's view of the storage directory, with deletes enabled.
func open(ctx context.Context, root string) (storagedriver.StorageDriver, distribution.Namespace, error) {
	driver := filesystem.New(filesystem.DriverParameters{RootDirectory: root, MaxThreads: 25})
	ns, err := storage.NewRegistry(ctx, driver, storage.EnableDelete)
	if err != nil {
		return nil, nil, fmt.Errorf("registry storage: %w", err)
	}
	return driver, ns, nil
}

// Repositories lists the repositories stored under root, sorted; none for
// a directory that does not exist yet.
func Repositories(ctx context.Context, root string) ([]string, error) {
	_, ns, err := open(ctx, root)
	if err != nil {
		return nil, err
	}
	repos := []string{}
	err = ns.(distribution.RepositoryEnumerator).Enumerate(ctx, func(repo string) error {
		repos = append(repos, repo)
		return nil
	})
	var notFound storagedriver.PathNotFoundError
	if err != nil && !errors.As(err, &notFound) {
		return nil, fmt.Errorf("listing repositories: %w", err)
	}
	sort.Strings(repos)
	return repos, nil
}

// Deleted is what Delete removed.
type Deleted struct {
	Repository string
	Digest     string
	// Tags are the tags that pointed at the manifest, now gone.
	Tags []string
}

// Delete removes an image, given as repository:tag or repository@digest (a
// leading host, such as the registry's own address, is ignored): its
// manifest and every tag pointing at it. Its blobs stay until GC. It may run
// while the registry serves.
func Delete(ctx context.Context, root, image string) (Deleted, error) {
	ref, err := name.ParseReference(image, name.WithDefaultRegistry("builtin.invalid"))
	if err != nil {
		return Deleted{}, fmt.Errorf("image %q: want repository:tag or repository@sha256:..., e.g. low/apps/web:1.0", image)
	}
	repoName := ref.Context().RepositoryStr()
	_, ns, err := open(ctx, root)
	if err != nil {
		return Deleted{}, err
	}
	named, err := reference.WithName(repoName)
	if err != nil {
		return Deleted{}, fmt.Errorf("image %q: %w", image, err)
	}
	repo, err := ns.Repository(ctx, named)
	if err != nil {
		return Deleted{}, fmt.Errorf("image %q: %w", image, err)
	}
	var dgst digest.Digest
	switch r := ref.(type) {
	case name.Digest:
		dgst = digest.Digest(r.DigestStr())
	case name.Tag:
		desc, err := repo.Tags(ctx).Get(ctx, r.TagStr())
		if err != nil {
			return Deleted{}, fmt.Errorf("%s:%s is not in the built-in registry: %w", repoName, r.TagStr(), err)
		}
		dgst = desc.Digest
	}
	ms, err := repo.Manifests(ctx)
	if err != nil {
		return Deleted{}, err
	}
	if ok, err := ms.Exists(ctx, dgst); err != nil || !ok {
		return Deleted{}, fmt.Errorf("%s@%s is not in the built-in registry", repoName, dgst)
	}
	tags, err := repo.Tags(ctx).Lookup(ctx, v1.Descriptor{Digest: dgst})
	if err != nil {
		return Deleted{}, fmt.Errorf("tags of %s@%s: %w", repoName, dgst, err)
	}
	// Tags first: a tag left pointing at a deleted manifest would answer
	// with an error instead of "not found".
	for _, t := range tags {
		if err := repo.Tags(ctx).Untag(ctx, t); err != nil {
			return Deleted{}, fmt.Errorf("removing tag %s of %s: %w", t, repoName, err)
		}
	}
	if err := ms.Delete(ctx, dgst); err != nil {
		return Deleted{}, fmt.Errorf("deleting %s@%s: %w", repoName, dgst, err)
	}
	sort.Strings(tags)
	return Deleted{Repository: repoName, Digest: dgst.String(), Tags: tags}, nil
}

// GCResult is the storage size around a garbage collection.
type GCResult struct {
	Before, After int64
}

// Freed is the space the collection gave back.
func (r GCResult) Freed() int64 { return r.Before - r.After }

// GC runs Distribution's garbage collection (mark and sweep) on root: blobs
// no manifest refers to are removed. With deleteUntagged, manifests without
// a tag go too, and with them referrers such as signatures. It refuses to
// run while a registry serves root. Distribution's lines go to log (nil:
// nowhere), one for every file removed at debug.
func GC(ctx context.Context, root string, deleteUntagged bool, log *logrus.Logger) (GCResult, error) {
	if _, err := os.Stat(root); err != nil {
		return GCResult{}, fmt.Errorf("registry storage: %w", err)
	}
	unlock, err := lockRoot(root)
	if err != nil {
		return GCResult{}, err
	}
	defer unlock()
	routeLogs(log)
	var res GCResult
	if res.Before, err = Size(root); err != nil {
		return res, err
	}
	driver, ns, err := open(ctx, root)
	if err != nil {
		return res, err
	}
	err = storage.MarkAndSweep(ctx, driver, ns, storage.GCOpts{RemoveUntagged: deleteUntagged, Quiet: true})
	var notFound storagedriver.PathNotFoundError
	if err != nil && !errors.As(err, &notFound) {
		return res, fmt.Errorf("garbage collection: %w", err)
	}
	res.After, err = Size(root)
	return res, err
}
