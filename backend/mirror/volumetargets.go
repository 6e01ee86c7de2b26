package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"syscall"

	"ferry/backend/archive"
	"ferry/backend/medium"
	"ferry/backend/tape"
)

// volumeDevice is the medium one volume is written to.
type volumeDevice interface {
	// Write writes one block (one record on a tape).
	Write(p []byte) (int, error)
	// records says how many records a write that put n bytes made.
	records(n int) int64
	// cutTo drops everything after the first keep bytes of this volume
	// (keep is a multiple of the block size; written is the records the
	// volume holds), so the next write continues from there.
	cutTo(keep, written int64) error
	// full reports whether err means the medium is full.
	full(err error) bool
	// finish ends a complete volume; more says another one follows.
	finish(more bool) error
	// abort ends a failed volume; keep keeps a partial file.
	abort(keep bool) error
	// name is where the volume went: the file or the device.
	name() string
	// setTrailer lifts the volume size limit for the closing entries.
	setTrailer()
}

// volumeTarget opens the medium for each volume in turn.
type volumeTarget interface {
	open(ctx context.Context, env Env, n int, syncID string) (volumeDevice, error)
	// canCut reports whether a full medium starts a new volume.
	canCut() bool
	// pad reports whether the last block of a volume is padded.
	pad() bool
	// isTape reports whether the target is a tape drive.
	isTape() bool
	// writeBlock is the size of every write to the medium.
	writeBlock() int
}

// fileVolumeBlock is the write size on file volumes that are not padded to
// the tape block size: a file takes writes of any size, so a volume's size
// does not depend on the tape's block size (a few MiB per volume work).
const fileVolumeBlock = 64 << 10

// errVolumeFull means a file volume reached its size.
var errVolumeFull = fmt.Errorf("the volume size is reached: %w", syscall.ENOSPC)

// fileVolumes writes NAME.001.tar, NAME.002.tar, ... of at most size bytes.
type fileVolumes struct {
	dest    string
	size    int64
	block   int
	padded  bool
	force   bool
	reserve *atomic.Int64 // room kept at the end of each volume for its closing entries
}

func (f *fileVolumes) canCut() bool { return true }

func (f *fileVolumes) pad() bool { return f.padded }

func (f *fileVolumes) isTape() bool { return false }

func (f *fileVolumes) writeBlock() int {
	if f.padded {
		return f.block // an image of a tape: blocks as the tape will have them
	}
	return min(f.block, fileVolumeBlock)
}

func (f *fileVolumes) open(_ context.Context, _ Env, n int, _ string) (volumeDevice, error) {
	path := VolumeFileName(f.dest, n)
	dst, err := medium.Create(path, f.force)
	if err != nil {
		return nil, fmt.Errorf("volume %d: %w", n, err)
	}
	if dst.Kind != medium.KindFile {
		dst.Abort(false)
		return nil, fmt.Errorf("volume %d: %s is not a regular file; --volume-size writes files", n, path)
	}
	return &fileVolume{dst: dst, size: f.size, reserve: f.reserve}, nil
}

type fileVolume struct {
	dst     *medium.Destination
	size    int64
	reserve *atomic.Int64
	written int64
	trailer bool
}

func (v *fileVolume) Write(p []byte) (int, error) {
	if !v.trailer && v.written+int64(len(p)) > v.size-v.reserve.Load() {
		return 0, &os.PathError{Op: "write", Path: v.dst.Path, Err: errVolumeFull}
	}
	n, err := v.dst.Write(p)
	v.written += int64(n)
	return n, err
}

func (v *fileVolume) records(n int) int64 {
	if n > 0 {
		return 1
	}
	return 0
}

func (v *fileVolume) cutTo(keep, _ int64) error {
	f := v.dst.File()
	if err := f.Truncate(keep); err != nil {
		return err
	}
	if _, err := f.Seek(keep, io.SeekStart); err != nil {
		return err
	}
	v.written = keep
	return nil
}

func (v *fileVolume) full(err error) bool { return errors.Is(err, errVolumeFull) }

func (v *fileVolume) finish(bool) error { return v.dst.Close() }

func (v *fileVolume) abort(keep bool) error { return v.dst.Abort(keep) }

func (v *fileVolume) name() string { return v.dst.Path }

func (v *fileVolume) setTrailer() { v.trailer = true }

// tapeTarget writes volumes to a tape drive, one cartridge each.
type tapeTarget struct {
	path  string
	open_ OpenDeviceFunc
	block int
	fixed bool // fixed-block mode: the drive's block size is the block size
	cut   bool // a full tape starts a new volume (not with compression)
}

func (t *tapeTarget) canCut() bool { return t.cut }

func (t *tapeTarget) pad() bool { return t.fixed }

func (t *tapeTarget) isTape() bool { return true }

func (t *tapeTarget) writeBlock() int { return t.block }

func (t *tapeTarget) open(ctx context.Context, env Env, n int, syncID string) (volumeDevice, error) {
	if n == 1 {
		return t.openWritable(n, syncID)
	}
	problem := ""
	for {
		if err := env.askMedium(ctx, MediumRequest{Device: t.path, SyncID: syncID, Volume: n, Write: true, Problem: problem}); err != nil {
			return nil, err
		}
		dev, err := t.openWritable(n, syncID)
		if err == nil {
			return dev, nil
		}
		var mp *mediumProblem
		if !errors.As(err, &mp) {
			return nil, err
		}
		problem = mp.Error()
		env.logf("volume %d: %s", n, problem)
	}
}

// openWritable opens the drive for volume n: a tape must be loaded,
// online and writable, and, from volume 2 on, not already hold a volume of
// this transfer. Nothing is written before all of that holds.
func (t *tapeTarget) openWritable(n int, syncID string) (volumeDevice, error) {
	if n > 1 {
		if err := t.checkNotOurs(syncID); err != nil {
			return nil, err
		}
	}
	dev, err := t.open_(t.path, true)
	if err != nil {
		err = tape.Problem(t.path, err)
		if errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.ENOMEDIUM) || errors.Is(err, syscall.EBUSY) {
			return nil, &mediumProblem{err}
		}
		return nil, err
	}
	st, err := dev.Status()
	if err == nil {
		if werr := tape.CheckWritable(t.path, st); werr != nil {
			dev.Close()
			return nil, &mediumProblem{werr}
		}
	}
	size := 0
	if t.fixed {
		size = t.block
	}
	if err := dev.SetBlockSize(size); err != nil {
		dev.Close()
		return nil, fmt.Errorf("setting the block size of %s to %s: %w", t.path, tape.BlockSizeText(size), tape.Problem(t.path, err))
	}
	return &tapeVolume{path: t.path, dev: dev, block: t.block}, nil
}

// checkNotOurs reads the first index.json of the loaded tape, if any, and
// refuses a tape that already holds a volume of this transfer.
func (t *tapeTarget) checkNotOurs(syncID string) error {
	dev, err := tape.OpenRead(t.open_, t.path)
	if err != nil {
		err = tape.Problem(t.path, err)
		if errors.Is(err, syscall.ENOMEDIUM) || errors.Is(err, syscall.EBUSY) {
			return &mediumProblem{err}
		}
		return err
	}
	defer dev.Close()
	if err := dev.Rewind(); err != nil {
		return tape.Problem(t.path, err)
	}
	ann, perr := peekVolume(tape.NewRecordReader(dev))
	if err := dev.Rewind(); err != nil {
		return tape.Problem(t.path, err)
	}
	if perr == nil && ann[archive.AnnotationSyncID] == syncID {
		return &mediumProblem{fmt.Errorf("the tape in %s already holds volume %s of this transfer", t.path, ann[archive.AnnotationVolumeNumber])}
	}
	return nil // blank, another transfer, or other data: written over from the start
}

// mediumProblem is something wrong with the medium the operator loaded:
// asking again for the right one may fix it.
type mediumProblem struct{ err error }

func (p *mediumProblem) Error() string { return p.err.Error() }

func (p *mediumProblem) Unwrap() error { return p.err }

type tapeVolume struct {
	path    string
	dev     tape.Device
	block   int
	trailer bool
}

func (v *tapeVolume) Write(p []byte) (int, error) {
	if v.trailer {
		return tape.WriteNearEnd(v.dev, p)
	}
	return v.dev.Write(p)
}

func (v *tapeVolume) records(n int) int64 {
	// One record per block in both modes: in fixed-block mode the drive's
	// block size is the block size.
	return int64((n + v.block - 1) / v.block)
}

func (v *tapeVolume) cutTo(keep, written int64) error {
	back := written - keep/int64(v.block)
	if back <= 0 {
		return nil
	}
	return v.dev.SpaceRecords(-int(back))
}

func (v *tapeVolume) full(err error) bool { return tape.IsEndOfMedium(err) }

// finish ends the volume's file; another volume to come unloads the
// cartridge, ready for the operator to swap it.
func (v *tapeVolume) finish(more bool) error { return tape.FinishWrite(v.dev, v.path, more) }

func (v *tapeVolume) abort(bool) error { return v.dev.Close() } // the driver ends the file with a filemark

func (v *tapeVolume) name() string { return v.path }

func (v *tapeVolume) setTrailer() { v.trailer = true }
