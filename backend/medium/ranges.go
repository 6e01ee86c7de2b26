package medium

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// FileRanges opens parts of one regular file anew, each on a file
// descriptor of its own, while the file is read through from start to end
// elsewhere (see Range).
type FileRanges struct {
	path string
	info fs.FileInfo
}

// RangesOf returns the ranges of path when it is a regular file, and nil
// for any other medium (a pipe, standard input, a device), which can be
// read only once.
func RangesOf(path string) *FileRanges {
	if path == Stdio {
		return nil
	}
	info, err := os.Stat(path)
	if err != nil || !info.Mode().IsRegular() {
		return nil
	}
	return &FileRanges{path: path, info: info}
}

// Holds reports whether the file, as RangesOf found it, holds the n bytes
// from offset off: a range past the end of a file cut short is read, not
// opened, so that the reader of the whole file says where it was cut.
func (r *FileRanges) Holds(off, n int64) bool {
	return off >= 0 && n >= 0 && off+n <= r.info.Size()
}

// Open opens the n bytes of the file from offset off. It refuses a file
// that is no longer the one RangesOf found, or too short to hold the range.
func (r *FileRanges) Open(off, n int64) (*Range, error) {
	f, err := os.Open(r.path)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	switch {
	case err != nil:
	case !os.SameFile(info, r.info):
		err = fmt.Errorf("%s was replaced while it was read", r.path)
	case !r.Holds(off, n) || off+n > info.Size():
		err = fmt.Errorf("%s: bytes %d to %d are past its end (%d bytes)", r.path, off, off+n, info.Size())
	}
	if err == nil {
		_, err = f.Seek(off, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Range{f: f, end: off + n}, nil
}

// Range is a part of a file on a descriptor of its own. It is read as any
// reader is, or copied by the kernel: a socket it is copied to under a
// limit (an HTTP request body with a Content-Length is) is filled by
// sendfile, never through a buffer of Ferry's.
type Range struct {
	f   *os.File
	end int64
}

// Read reads the range up to its end. The descriptor's position, which a
// kernel copy moves too, says how much of it is left.
func (r *Range) Read(p []byte) (int, error) {
	pos, err := r.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	if pos >= r.end {
		return 0, io.EOF
	}
	if rest := r.end - pos; int64(len(p)) > rest {
		p = p[:rest]
	}
	return r.f.Read(p)
}

// SyscallConn exposes the descriptor for the kernel's copy (net's sendfile
// looks for it). That copy knows no end of its own: it must be bounded to
// the range's length, as net/http bounds a body by its Content-Length.
func (r *Range) SyscallConn() (syscall.RawConn, error) { return r.f.SyscallConn() }

// Close releases the descriptor.
func (r *Range) Close() error { return r.f.Close() }
