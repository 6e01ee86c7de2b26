// Package mirror implements Ferry's operations: gather, scatter, clone,
// serialize, deserialize, archive, unarchive and verify. It knows repositories
// (registries and local OCI layouts) through the Repo interface, reports
// through callbacks, and knows nothing of SQLite, the UI or the terminal.
package mirror

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"

	"ferry/backend/progress"
)

// Env is what an operation needs from its caller.
type Env struct {
	// Open returns the repository for a name (a registry repository, or a
	// local store when the operation has no registry on that side).
	Open func(repo name.Repository) Repo
	// Concurrency bounds blobs moved at once.
	Concurrency int
	Progress    progress.Func
	// Item receives the outcome of each image and destination.
	Item func(Item)
	// Checkpoint receives each blob written to or read from a medium; with
	// Confirmed set only once the medium accepted its bytes. Resume relies on it.
	Checkpoint func(Checkpoint)
	// Logf receives lines worth keeping in the job log.
	Logf func(format string, args ...any)
	// Version is written into indexes and archives.
	Version string
	// NextMedium asks the operator for the next medium of a multi-volume
	// transfer (load the tape, then confirm) and returns once it is in
	// place. An error (ErrMediumCancelled when the operator declined) ends
	// the operation; what was written or read before it is kept. Nil: a
	// transfer that needs another tape fails with a clear message.
	NextMedium func(ctx context.Context, req MediumRequest) error
	// Medium receives each volume written or read, once it is complete.
	Medium func(MediumRecord)
}

// Item is the outcome of one image or destination.
type Item struct {
	Source      string
	Destination string
	Digest      string
	Status      string // done, skipped, failed, planned
	Error       string
	Bytes       int64
}

// Checkpoint is one blob on a medium: its end offset on the uncompressed
// stream of its volume.
type Checkpoint struct {
	Digest    string
	Size      int64
	MediaType string
	Volume    int
	Offset    int64
	Confirmed bool
}

func (e *Env) checkpoint(c Checkpoint) {
	if e.Checkpoint != nil {
		e.Checkpoint(c)
	}
}

// Item statuses.
const (
	ItemDone    = "done"
	ItemSkipped = "skipped"
	ItemFailed  = "failed"
	ItemPlanned = "planned"
)

func (e *Env) item(it Item) {
	if e.Item != nil {
		e.Item(it)
	}
}

func (e *Env) logf(format string, args ...any) {
	if e.Logf != nil {
		e.Logf(format, args...)
	}
}

func (e *Env) concurrency() int {
	if e.Concurrency < 1 {
		return 4
	}
	return e.Concurrency
}

// repoOf opens the repository of a parsed reference.
func (e *Env) repoOf(ref name.Reference) Repo { return e.Open(ref.Context()) }

// parseRef parses a reference the user wrote, accepting plain-HTTP loopback
// registries as the rest of Ferry does.
func parseRef(s string) (name.Reference, error) {
	ref, err := name.ParseReference(s, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("invalid reference %q: %w", s, err)
	}
	return ref, nil
}
