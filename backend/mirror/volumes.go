package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"

	"ferry/backend/archive"
	"ferry/backend/tape"
)

// A multi-volume transfer (FORMAT.md section 7) is a sequence of complete
// archives sharing one sync id. Serialize starts a new volume when a tape
// reports the end of the medium, or when a file reaches --volume-size. The
// volume is cut back to the end of the last entry the medium fully holds
// and closed there with its final index.json, so it reads on its own; the
// entry the end of the medium cut is written again, whole, on the next
// volume. Blobs are never split across volumes.

// MediumRequest asks the operator for the next medium of a transfer.
type MediumRequest struct {
	Device  string `json:"device"`            // the drive (or file) the medium goes into
	SyncID  string `json:"syncId"`            // the transfer
	Volume  int    `json:"volume"`            // the volume wanted, from 1
	Write   bool   `json:"write"`             // the medium will be written (else read)
	Problem string `json:"problem,omitempty"` // what was wrong with the medium offered last
	Message string `json:"message"`           // the whole request in words, ready to show
}

// MediumRecord is one volume written or read, for the run's history.
type MediumRecord struct {
	Label  string `json:"label"`  // e.g. "sync-45 volume 2" or the file name
	Device string `json:"device"` // the drive or the file's path
	SyncID string `json:"syncId"`
	Volume int    `json:"volume"`
	Last   bool   `json:"last"`
	Bytes  int64  `json:"bytes"` // bytes on the medium
}

// ErrMediumCancelled is returned by a NextMedium callback when the operator
// declined to load the next medium.
var ErrMediumCancelled = errors.New("cancelled at the request for the next medium")

// OpenDeviceFunc opens a tape device for reading or writing; tape.Open by
// default, a Simulator's Open in tests.
type OpenDeviceFunc = tape.OpenFunc

func (e *Env) medium(m MediumRecord) {
	if e.Medium != nil {
		e.Medium(m)
	}
}

// askMedium asks for volume n through env.NextMedium.
func (e *Env) askMedium(ctx context.Context, req MediumRequest) error {
	what := "tape"
	req.Message = fmt.Sprintf("Insert volume %d of transfer %s into %s and press Enter", req.Volume, req.SyncID, req.Device)
	if req.Problem != "" {
		req.Message = req.Problem + ". " + req.Message
	}
	if e.NextMedium == nil {
		return fmt.Errorf("volume %d of transfer %s needs another %s in %s, and there is no way to ask for it here (run interactively, or from the application)", req.Volume, req.SyncID, what, req.Device)
	}
	if err := e.NextMedium(ctx, req); err != nil {
		return fmt.Errorf("waiting for volume %d in %s: %w", req.Volume, req.Device, err)
	}
	return ctx.Err()
}

// VolumeFileName names volume n of a split serialize to dest:
// sync-45.tar -> sync-45.001.tar; a name without .tar gets .001 appended.
func VolumeFileName(dest string, n int) string {
	dir, base := filepath.Split(dest)
	num := fmt.Sprintf(".%03d", n)
	for _, ext := range []string{".tar.gz", ".tar.zst", ".tgz", ".tar"} {
		if len(base) > len(ext) && base[len(base)-len(ext):] == ext {
			return filepath.Join(dir, base[:len(base)-len(ext)]+num+ext)
		}
	}
	return filepath.Join(dir, base+num)
}

// volumeFilePattern recognises a volume file name: NAME.NNN[.tar...].
var volumeFilePattern = regexp.MustCompile(`^(.*\.)([0-9]{3,})((?:\.tar)?(?:\.gz|\.zst)?|\.tgz)$`)

// nextVolumeFile derives the file of volume n from the file of an earlier
// volume; ok is false when the name does not follow VolumeFileName.
func nextVolumeFile(path string, n int) (string, bool) {
	dir, base := filepath.Split(path)
	m := volumeFilePattern.FindStringSubmatch(base)
	if m == nil {
		return "", false
	}
	return filepath.Join(dir, fmt.Sprintf("%s%0*d%s", m[1], len(m[2]), n, m[3])), true
}

// peekVolume reads the start of an archive up to its first index.json and
// returns that index's annotations.
func peekVolume(r io.Reader) (map[string]string, error) {
	ar, err := archive.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer ar.Close()
	for range 8 {
		e, err := ar.Next()
		if err != nil {
			return nil, err
		}
		if e.Kind == archive.KindIndex {
			if e.Index.Annotations == nil {
				return map[string]string{}, nil
			}
			return e.Index.Annotations, nil
		}
	}
	return nil, errors.New("no index.json at the start")
}

// VolumeInfo is a volume's identity, from its first index.json.
type VolumeInfo struct {
	SyncID string `json:"syncId"`
	Number int    `json:"number"` // 0 when the archive carries no volume number
}

func volumeInfo(ann map[string]string) VolumeInfo {
	n, _ := strconv.Atoi(ann[archive.AnnotationVolumeNumber])
	return VolumeInfo{SyncID: ann[archive.AnnotationSyncID], Number: n}
}

// VolumeError says a medium is not the volume expected.
type VolumeError struct {
	Source   string
	Got      VolumeInfo
	Want     int
	WantSync string
}

func (e *VolumeError) Error() string {
	switch {
	case e.WantSync != "" && e.Got.SyncID != e.WantSync:
		if e.Got.SyncID == "" {
			return fmt.Sprintf("%s is not a volume of a multi-volume transfer; expected volume %d of sync %s", e.Source, e.Want, e.WantSync)
		}
		return fmt.Sprintf("%s is volume %d of another transfer (sync %s); expected volume %d of sync %s", e.Source, e.Got.Number, e.Got.SyncID, e.Want, e.WantSync)
	case e.Got.Number < e.Want:
		return fmt.Sprintf("%s is volume %d of sync %s, which was already read; expected volume %d", e.Source, e.Got.Number, e.Got.SyncID, e.Want)
	default:
		return fmt.Sprintf("%s is volume %d of sync %s, expected volume %d", e.Source, e.Got.Number, e.Got.SyncID, e.Want)
	}
}

// checkVolume compares a volume's identity with what the transfer expects:
// volume want of syncID ("" for the first volume, whose sync id is not
// known yet).
func checkVolume(source string, got VolumeInfo, want int, syncID string) error {
	if want == 1 {
		if got.SyncID != "" && got.Number != 1 && got.Number != 0 {
			return &VolumeError{Source: source, Got: got, Want: 1}
		}
		return nil
	}
	if got.SyncID != syncID || got.Number != want {
		return &VolumeError{Source: source, Got: got, Want: want, WantSync: syncID}
	}
	return nil
}
