package mirror

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/archive"
	"ferry/backend/medium"
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
type OpenDeviceFunc func(path string, write bool) (tape.Device, error)

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

// ---------------------------------------------------------------------
// Writing

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
func (f *fileVolumes) pad() bool    { return f.padded }
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

func (v *fileVolume) full(err error) bool   { return errors.Is(err, errVolumeFull) }
func (v *fileVolume) finish(bool) error     { return v.dst.Close() }
func (v *fileVolume) abort(keep bool) error { return v.dst.Abort(keep) }
func (v *fileVolume) name() string          { return v.dst.Path }
func (v *fileVolume) setTrailer()           { v.trailer = true }

// tapeTarget writes volumes to a tape drive, one cartridge each.
type tapeTarget struct {
	path   string
	open_  OpenDeviceFunc
	block  int
	fixed  bool // fixed-block mode: the drive's block size is the block size
	cut    bool // a full tape starts a new volume (not with compression)
	drives tape.Drives
}

func (t *tapeTarget) canCut() bool    { return t.cut }
func (t *tapeTarget) pad() bool       { return t.fixed }
func (t *tapeTarget) isTape() bool    { return true }
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

// mediumProblem is something wrong with the medium the operator loaded:
// asking again for the right one may fix it.
type mediumProblem struct{ err error }

func (p *mediumProblem) Error() string { return p.err.Error() }
func (p *mediumProblem) Unwrap() error { return p.err }

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
	dev, err := t.open_(t.path, false)
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
	_ = dev.SetBlockSize(0)
	ann, perr := peekVolume(tape.NewRecordReader(dev))
	if err := dev.Rewind(); err != nil {
		return tape.Problem(t.path, err)
	}
	if perr == nil && ann[archive.AnnotationSyncID] == syncID {
		return &mediumProblem{fmt.Errorf("the tape in %s already holds volume %s of this transfer", t.path, ann[archive.AnnotationVolumeNumber])}
	}
	return nil // blank, another transfer, or other data: written over from the start
}

type tapeVolume struct {
	path  string
	dev   tape.Device
	block int
}

func (v *tapeVolume) Write(p []byte) (int, error) { return v.dev.Write(p) }

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

func (v *tapeVolume) finish(more bool) error {
	err := v.dev.WriteFilemark(1)
	if err == nil && more {
		err = v.dev.Eject() // ready for the operator to swap cartridges
	}
	if cerr := v.dev.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return tape.Problem(v.path, err)
	}
	return nil
}

func (v *tapeVolume) abort(bool) error { return v.dev.Close() } // the driver ends the file with a filemark
func (v *tapeVolume) name() string     { return v.path }
func (v *tapeVolume) setTrailer()      {}

// cutPoint is the end of an entry: a place where a volume can be closed.
type cutPoint struct {
	offset    int64  // stream offset just after the entry
	items     int    // entries of the volume's list complete at offset
	manifests int    // manifests among them
	hash      []byte // the sha256 state of the stream before offset
	prefix    []byte // the bytes of the block holding offset, before it
	valid     bool
}

// cutWriter sits between a volume's block writer and its device. It
// counts what the device accepted and keeps the last cut point the
// device holds entirely, with the start of its block, so that a volume cut
// by the end of the medium can be closed right after that entry.
type cutWriter struct {
	dev   volumeDevice
	block int64

	mu      sync.Mutex
	written int64 // bytes the device holds
	records int64
	marks   []cutPoint // boundaries beyond written, in order
	cut     cutPoint   // the last boundary within written
}

func (c *cutWriter) Write(p []byte) (int, error) {
	n, err := c.dev.Write(p)
	c.mu.Lock()
	start := c.written
	c.written += int64(n)
	c.records += c.dev.records(n)
	if err == nil && n == len(p) {
		c.advance(start, p)
	}
	c.mu.Unlock()
	return n, err
}

// advance moves the cut point over the marks the block just written
// completes; the caller holds c.mu.
func (c *cutWriter) advance(start int64, blk []byte) {
	end := start + int64(len(blk))
	i := 0
	for i < len(c.marks) && c.marks[i].offset <= end {
		i++
	}
	if i == 0 {
		return
	}
	cp := c.marks[i-1]
	keep := cp.offset / c.block * c.block
	if keep >= start && cp.offset > keep && keep < end {
		cp.prefix = bytes.Clone(blk[keep-start : cp.offset-start])
	}
	cp.valid = true
	c.cut = cp
	c.marks = c.marks[i:]
}

// mark records the end of an entry, as the producer wrote it.
func (c *cutWriter) mark(cp cutPoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cp.offset <= c.written {
		// Only when the entry ended exactly on a block already written.
		if cp.offset%c.block == 0 {
			cp.valid = true
			c.cut = cp
		}
		return
	}
	c.marks = append(c.marks, cp)
}

func (c *cutWriter) state() (cutPoint, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cut, c.records
}

// hashingWriter hashes the stream on its way to the block writer, so the
// digest of the stream before any cut point can be restored.
type hashingWriter struct {
	w io.Writer
	h hash.Hash
}

func (h *hashingWriter) Write(p []byte) (int, error) {
	n, err := h.w.Write(p)
	h.h.Write(p[:n])
	return n, err
}

func (h *hashingWriter) state() []byte {
	b, _ := h.h.(encoding.BinaryMarshaler).MarshalBinary()
	return b
}

// volumeTrailer renders the closing entries of a volume cut at cp: the
// final index.json (its stream digest the sha256 of the stream before cp)
// and the end-of-archive marker, exactly as archive.Writer.Finish does.
func volumeTrailer(final archive.Index, hashState []byte) ([]byte, error) {
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(hashState); err != nil {
		return nil, err
	}
	final = final.With(map[string]string{archive.AnnotationStreamSHA256: hex.EncodeToString(h.Sum(nil))})
	data, err := final.Bytes()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: archive.IndexFile, Size: int64(len(data)), Mode: 0o666, ModTime: time.Unix(0, 0).UTC()}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// closeCutVolume closes a volume the end of the medium cut: back to the
// block holding the cut point, then the start of that block again, the
// final index.json and the end-of-archive marker. Near the end of a tape
// every other write fails while the drive still has room (see
// tape.IsEndOfMedium), so a refused block is tried once more.
func closeCutVolume(c *cutWriter, cp cutPoint, trailer []byte, pad bool) (int64, error) {
	_, records := c.state()
	keep := cp.offset / c.block * c.block
	if err := c.dev.cutTo(keep, records); err != nil {
		return 0, fmt.Errorf("moving back to the end of the last whole entry: %w", err)
	}
	c.dev.setTrailer()
	data := append(append([]byte(nil), cp.prefix...), trailer...)
	total := keep
	for len(data) > 0 {
		n := min(int64(len(data)), c.block)
		blk := data[:n]
		if n < c.block && pad {
			blk = append(append(make([]byte, 0, c.block), blk...), make([]byte, c.block-n)...)
		}
		var err error
		for try := 0; try < 2; try++ {
			var w int
			w, err = c.dev.Write(blk)
			if err == nil && w != len(blk) {
				err = io.ErrShortWrite
			}
			if err == nil || !c.dev.full(err) || w > 0 {
				break
			}
		}
		if err != nil {
			return 0, fmt.Errorf("writing the closing index.json: %w", err)
		}
		total += int64(len(blk))
		data = data[n:]
	}
	return total, nil
}

// manifestReserve estimates the room one manifest takes in a final
// index.json, generously.
func manifestReserve(d v1.Descriptor) int64 {
	b, _ := json.Marshal(d)
	return int64(len(b))*2 + 64
}

// ---------------------------------------------------------------------
// Reading

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

// openedVolume is one volume open for reading.
type openedVolume struct {
	r     io.Reader
	close func() error
	path  string
	info  VolumeInfo
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
		r, closeFn, err := OpenMediumReader(path, s.blockSize)
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
	r, closeFn, err := OpenMediumReader(path, s.blockSize)
	if err != nil {
		return nil, err
	}
	return &openedVolume{r: r, close: closeFn, path: path}, nil
}

func (s *volumeSource) lastIsTape() bool { return s.last != "" && s.isTape(s.last) }

// isTape reports whether path is a tape drive (or, in tests, the simulated one).
func (s *volumeSource) isTape(path string) bool {
	if s.openDev != nil {
		return true
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	_, err = tape.ReadStatus(path)
	return !errors.Is(err, syscall.ENOTTY) && !errors.Is(err, errors.ErrUnsupported)
}

func (s *volumeSource) openDevice(path string) (tape.Device, error) {
	if s.openDev != nil {
		return s.openDev(path, false)
	}
	return tape.Open(path, false)
}

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
		dev, err := s.openDevice(path)
		if err != nil {
			err = tape.Problem(path, err)
			if n > 1 && (errors.Is(err, syscall.ENOMEDIUM) || errors.Is(err, syscall.EBUSY)) {
				problem = err.Error()
				continue
			}
			return nil, fmt.Errorf("source: %w", err)
		}
		_ = dev.SetBlockSize(0) // variable-block mode: each read returns one record
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

// eject unloads the cartridge of a volume that was read, when another follows.
func (s *volumeSource) eject(path string) {
	if !s.isTape(path) {
		return
	}
	dev, err := s.openDevice(path)
	if err != nil {
		return
	}
	_ = dev.Eject()
	dev.Close()
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
		r, closeFn, err := OpenMediumReader(p, o.BlockSize)
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
		r, closeFn, err = OpenMediumReader(p, o.BlockSize)
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
