package mirror

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"ferry/backend/archive"
)

// receiptLedger writes deserialize's --checkpoint file: the checkpoint
// ledger serialize writes (FORMAT.md section 3.1), one line per blob that is
// in the target once read from the medium, with the offset just after its
// entry on the medium (across volumes, from the start of volume 1). Lines
// follow the order the target confirmed the blobs, which concurrent pushes
// make close to, but not exactly, medium order; a ledger reader takes every
// line below an offset, so the order does not matter. The far side can
// give it to serialize --existing-from-checkpoint FILE:OFFSET, and a
// resumed deserialize continues it.
type receiptLedger struct {
	f      *os.File
	ledger *archive.Ledger

	mu   sync.Mutex
	seen map[v1.Hash]bool
	base map[int]int64 // stream offset at which each volume starts
	err  error
}

// withCheckpointFile returns env extended to write o.CheckpointFile, and
// the function that closes it (nil error when there is none). A new file
// refuses to replace an existing one without o.Force; a resumed run
// (o.ContinueCheckpoint) keeps the lines already there and adds the rest.
func withCheckpointFile(env Env, o DeserializeOptions) (Env, func() error, error) {
	done := func() error { return nil }
	if o.CheckpointFile == "" {
		return env, done, nil
	}
	if o.DryRun {
		return env, done, errors.New("a dry run puts nothing into the target, so it has no checkpoint to write: leave out --checkpoint or --dry-run")
	}
	r := &receiptLedger{seen: map[v1.Hash]bool{}, base: map[int]int64{1: 0}}
	var err error
	if o.ContinueCheckpoint {
		r.f, err = r.reopen(o.CheckpointFile)
	} else {
		r.f, err = createExclusive(o.CheckpointFile, o.Force)
	}
	if err != nil {
		return env, done, fmt.Errorf("checkpoint ledger: %w", err)
	}
	r.ledger = archive.NewLedger(r.f)
	next := env
	next.Checkpoint = func(c Checkpoint) {
		r.record(c)
		env.checkpoint(c)
	}
	next.Medium = func(m MediumRecord) {
		r.volumeRead(m)
		env.medium(m)
	}
	return next, r.close, nil
}

// reopen opens an existing ledger for appending and notes what it holds, so
// that a resumed run lists each blob once; a missing one is created.
func (r *receiptLedger) reopen(path string) (*os.File, error) {
	had, err := archive.Checkpoint{Path: path, Offset: math.MaxInt64}.Delivered()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for h := range had {
		r.seen[h] = true
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o666)
}

func (r *receiptLedger) record(c Checkpoint) {
	h, err := v1.NewHash(c.Digest)
	if err != nil || c.Offset <= 0 {
		// Not a blob the ledger can name, or not an entry of this medium
		// (a manifest read back from the target and put has no offset; its
		// entry, when the medium has one, is recorded with it).
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[h] || r.err != nil {
		return
	}
	r.seen[h] = true
	desc := v1.Descriptor{MediaType: types.MediaType(c.MediaType), Digest: h, Size: c.Size}
	// The line is written at once: the target holds the blob already.
	r.err = r.ledger.Record(desc, archive.Position{Stream: r.base[c.Volume] + c.Offset})
}

// volumeRead notes where the next volume starts on the transfer's stream.
func (r *receiptLedger) volumeRead(m MediumRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.base[m.Volume+1] = r.base[m.Volume] + m.Bytes
}

func (r *receiptLedger) close() error {
	r.mu.Lock()
	err := r.err
	r.mu.Unlock()
	if err == nil {
		err = r.ledger.Err()
	}
	if serr := r.f.Sync(); err == nil && serr != nil {
		err = fmt.Errorf("checkpoint ledger: %w", serr)
	}
	if cerr := r.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("checkpoint ledger: %w", cerr)
	}
	return err
}
