// Package medium opens the places serialized streams go to and come from
// (regular files, FIFOs, standard input/output and character devices such
// as tape drives) and provides the block-exact buffered writer and the
// block reader that tape drives need.
package medium

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/mattn/go-isatty"
)

// Kind is what a medium path names.
type Kind int

// Medium kinds.
const (
	KindFile   Kind = iota // a regular file
	KindFIFO               // a named pipe
	KindStdio              // "-": standard output or input
	KindDevice             // a character device, e.g. a tape drive
)

func (k Kind) String() string {
	switch k {
	case KindFile:
		return "file"
	case KindFIFO:
		return "fifo"
	case KindStdio:
		return "stdio"
	case KindDevice:
		return "device"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// Stdio is the path that names standard output (Create) or input (Open).
const Stdio = "-"

// ErrExists means Create found a regular file at the path and was not told
// to overwrite it.
var ErrExists = errors.New("destination already exists")

// Destination is a medium opened for writing. A regular file is written in
// place at its final path; if the job fails, Abort removes it unless the
// caller keeps it to resume from its checkpoint, so a partial file is only
// ever left on purpose.
type Destination struct {
	Path string
	Kind Kind

	f       *os.File
	owned   bool // a regular file this Destination created or truncated
	stdout  bool
	closed  bool
	removed bool
}

// Create opens path for writing. A regular file that exists is refused
// (ErrExists) unless force is set, in which case it is truncated: Create
// never appends. A FIFO blocks until a reader opens it; a character device
// is opened write-only; "-" is standard output, refused when it is a
// terminal. Directories, sockets and block devices are refused.
func Create(path string, force bool) (*Destination, error) {
	if path == Stdio {
		if isatty.IsTerminal(os.Stdout.Fd()) || isatty.IsCygwinTerminal(os.Stdout.Fd()) {
			return nil, errors.New("refusing to write an archive to a terminal; redirect standard output")
		}
		return &Destination{Path: path, Kind: KindStdio, f: os.Stdout, stdout: true}, nil
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%s: %w", path, ErrExists)
		}
		if err != nil {
			return nil, err
		}
		return &Destination{Path: path, Kind: KindFile, f: f, owned: true}, nil
	case err != nil:
		return nil, err
	}
	kind, err := kindOf(path, fi)
	if err != nil {
		return nil, err
	}
	flags := os.O_WRONLY
	if kind == KindFile {
		if !force {
			return nil, fmt.Errorf("%s: %w; refusing to overwrite it", path, ErrExists)
		}
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		return nil, err
	}
	return &Destination{Path: path, Kind: kind, f: f, owned: kind == KindFile}, nil
}

// Write writes p to the medium; unless the device accepts less, that is one
// write(2), so a block-sized p is one block on a tape.
func (d *Destination) Write(p []byte) (int, error) { return d.f.Write(p) }

// File returns the open file, for device control (e.g. tape ioctls).
func (d *Destination) File() *os.File { return d.f }

// Close completes the destination: a regular file is synced to stable
// storage before it is closed. Standard output is left open.
func (d *Destination) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	if d.stdout {
		return nil
	}
	var syncErr error
	if d.Kind == KindFile {
		syncErr = d.f.Sync()
	}
	if err := d.f.Close(); err != nil {
		return err
	}
	if syncErr != nil {
		return fmt.Errorf("%s: %w", d.Path, syncErr)
	}
	return nil
}

// Abort ends a failed write. A regular file that Create made or truncated is
// removed unless keepPartial is set (resuming from a checkpoint needs it);
// other kinds are only closed.
func (d *Destination) Abort(keepPartial bool) error {
	var closeErr error
	if !d.closed && !d.stdout {
		closeErr = d.f.Close()
	}
	d.closed = true
	if d.owned && !keepPartial && !d.removed {
		d.removed = true
		if err := os.Remove(d.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return closeErr
}

// Source is a medium opened for reading.
type Source struct {
	Path string
	Kind Kind

	f     *os.File
	stdin bool
}

// Open opens path for reading: a regular file, a FIFO, a character device,
// or "-" for standard input.
func Open(path string) (*Source, error) {
	if path == Stdio {
		return &Source{Path: path, Kind: KindStdio, f: os.Stdin, stdin: true}, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	kind, err := kindOf(path, fi)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &Source{Path: path, Kind: kind, f: f}, nil
}

// Read reads from the medium.
func (s *Source) Read(p []byte) (int, error) { return s.f.Read(p) }

// Seek moves the position in a regular file (a reader passes over parts
// of it unread); on a pipe or a device it fails, and the medium is read.
func (s *Source) Seek(offset int64, whence int) (int64, error) { return s.f.Seek(offset, whence) }

// File returns the open file, for device control (e.g. tape ioctls).
func (s *Source) File() *os.File { return s.f }

// Close closes the medium; standard input is left open.
func (s *Source) Close() error {
	if s.stdin {
		return nil
	}
	return s.f.Close()
}

func kindOf(path string, fi fs.FileInfo) (Kind, error) {
	m := fi.Mode()
	switch {
	case m.IsRegular():
		return KindFile, nil
	case m&fs.ModeNamedPipe != 0:
		return KindFIFO, nil
	case m&fs.ModeCharDevice != 0:
		return KindDevice, nil
	case m.IsDir():
		return 0, fmt.Errorf("%s: %w", path, syscall.EISDIR)
	case m&fs.ModeDevice != 0:
		return 0, fmt.Errorf("%s is a block device; write to a file on it, or to a tape's character device", path)
	default:
		return 0, fmt.Errorf("%s: unsupported file type %s", path, m.Type())
	}
}
