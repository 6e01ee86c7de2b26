package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"ferry/backend/medium"
	"ferry/backend/tape"
)

// openedVolume is one volume open for reading.
type openedVolume struct {
	r     io.Reader
	close func() error
	path  string
	info  VolumeInfo
	// ranges reopens parts of a volume that is a regular file, so that
	// uploads can send them straight from it; nil for other media.
	ranges *medium.FileRanges
}

// volumeSource opens the volumes of a transfer for reading, in order.
type volumeSource struct {
	env       Env
	paths     []string // the media given, in order
	blockSize int
	openDev   OpenDeviceFunc
	last      string // the path of the volume read last
}

// open opens volume n (from 1) and checks it is that volume of syncID.
// Files come from the list given, then from the names that follow the
// previous volume's (sync-45.002.tar after sync-45.001.tar); a tape drive
// asks the operator for each next cartridge.
func (s *volumeSource) open(ctx context.Context, n int, syncID string) (*openedVolume, error) {
	var path string
	switch {
	case n <= len(s.paths):
		path = s.paths[n-1]
	case s.lastIsTape():
		path = s.last
	default:
		next, ok := nextVolumeFile(s.last, n)
		if !ok {
			return nil, fmt.Errorf("volume %d of sync %s is missing: give every volume of the transfer, in order, after %s", n, syncID, s.last)
		}
		if _, err := os.Stat(next); err != nil {
			return nil, fmt.Errorf("volume %d of sync %s is missing: %s does not exist (give every volume, in order)", n, syncID, next)
		}
		path = next
	}
	s.last = path
	if s.isTape(path) {
		return s.openTape(ctx, path, n, syncID)
	}
	if path != medium.Stdio {
		// Check the identity first, so a wrong file is refused before
		// anything from it is pushed.
		r, closeFn, err := medium.OpenReader(path, s.blockSize)
		if err != nil {
			return nil, err
		}
		ann, perr := peekVolume(r)
		closeFn()
		if perr == nil {
			if err := checkVolume(path, volumeInfo(ann), n, syncID); err != nil {
				return nil, err
			}
		}
	}
	r, closeFn, err := medium.OpenReader(path, s.blockSize)
	if err != nil {
		return nil, err
	}
	return &openedVolume{r: r, close: closeFn, path: path, ranges: medium.RangesOf(path)}, nil
}

func (s *volumeSource) lastIsTape() bool { return s.last != "" && s.isTape(s.last) }

// isTape reports whether path is a tape drive (or, in tests, the simulated one).
func (s *volumeSource) isTape(path string) bool { return s.openDev != nil || tape.IsDrive(path) }

// openTape opens volume n on a tape drive, asking for the cartridge from
// volume 2 on and again while the one loaded is not the volume expected.
func (s *volumeSource) openTape(ctx context.Context, path string, n int, syncID string) (*openedVolume, error) {
	problem := ""
	for {
		if n > 1 {
			if err := s.env.askMedium(ctx, MediumRequest{Device: path, SyncID: syncID, Volume: n, Problem: problem}); err != nil {
				return nil, err
			}
		}
		dev, err := tape.OpenRead(s.openDev, path)
		if err != nil {
			err = tape.Problem(path, err)
			if n > 1 && (errors.Is(err, syscall.ENOMEDIUM) || errors.Is(err, syscall.EBUSY)) {
				problem = err.Error()
				continue
			}
			return nil, fmt.Errorf("source: %w", err)
		}
		var start int64
		if n > 1 {
			err = dev.Rewind() // a volume starts its cartridge
		} else {
			start, err = dev.Tell()
		}
		if err != nil {
			dev.Close()
			return nil, fmt.Errorf("source: %w", tape.Problem(path, err))
		}
		ann, perr := peekVolume(tape.NewRecordReader(dev, tape.WithInitialRecordSize(s.blockSize)))
		if err := dev.SeekBlock(start); err != nil {
			dev.Close()
			return nil, fmt.Errorf("source: moving back to the start of the archive: %w", tape.Problem(path, err))
		}
		if perr == nil {
			if verr := checkVolume(path, volumeInfo(ann), n, syncID); verr != nil {
				if n == 1 {
					dev.Close()
					return nil, verr
				}
				s.env.logf("%v", verr)
				problem = verr.Error()
				_ = dev.Eject()
				dev.Close()
				continue
			}
		}
		rr := tape.NewRecordReader(dev, tape.WithInitialRecordSize(s.blockSize))
		return &openedVolume{r: rr, close: dev.Close, path: path, info: volumeInfo(ann)}, nil
	}
}

// eject unloads the cartridge of a volume that was read, when another
// follows; a drive that cannot eject leaves it to the operator.
func (s *volumeSource) eject(path string) {
	if s.isTape(path) {
		_ = tape.Unload(s.openDev, path)
	}
}

// VerifyVolumes verifies a multi-volume transfer given as its volumes in
// order: each volume's identity (one sync id, numbers 1, 2, ... up to the
// one marked last), and the whole set as one transfer, so children on a
// later volume count. Missing volumes, a repeated or foreign volume, and a
// set that stops before the last volume are problems.
func VerifyVolumes(ctx context.Context, env Env, o VerifyOptions, volumes []string) (VerifyReport, error) {
	if len(volumes) <= 1 {
		if len(volumes) == 1 {
			o.Source = volumes[0]
		}
		return VerifyMedium(ctx, env, o)
	}
	var syncID string
	var readers []io.Reader
	for i, p := range volumes {
		r, closeFn, err := medium.OpenReader(p, o.BlockSize)
		if err != nil {
			return VerifyReport{Source: p}, err
		}
		ann, perr := peekVolume(r)
		closeFn()
		if perr != nil {
			return VerifyReport{Source: p}, fmt.Errorf("%s: %w", p, perr)
		}
		info := volumeInfo(ann)
		if i == 0 {
			syncID = info.SyncID
			if syncID == "" {
				return VerifyReport{Source: p}, fmt.Errorf("%s carries no sync id: it is not a volume of a multi-volume transfer; verify it on its own", p)
			}
		}
		if err := checkVolume(p, info, i+1, syncID); err != nil {
			return VerifyReport{Source: p}, err
		}
		r, closeFn, err = medium.OpenReader(p, o.BlockSize)
		if err != nil {
			return VerifyReport{Source: p}, err
		}
		defer closeFn()
		readers = append(readers, r)
	}
	o.Source = volumes[0]
	rep, err := verifyFrom(ctx, env, io.MultiReader(readers...), o)
	rep.Source = fmt.Sprintf("%s (%d volumes)", volumes[0], len(volumes))
	var ve *VerifyError
	if (err == nil || errors.As(err, &ve)) && rep.LastVolume != "true" {
		rep.Problems = append([]string{fmt.Sprintf("the set ends with volume %s, which is not the last volume of sync %s: give every volume", rep.Volume, syncID)}, rep.Problems...)
		return rep, &VerifyError{Problems: rep.Problems}
	}
	return rep, err
}
