//go:build linux && (386 || amd64 || arm || arm64 || loong64 || riscv64 || s390x)

package tape

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// stDevice is a tape drive opened through Linux's st driver. It uses the raw
// file descriptor rather than *os.File: os.File turns a 0-byte read into
// io.EOF without telling why and retries short writes, which on a tape would
// turn one record into two.
type stDevice struct {
	fd   int
	path string
}

// Open opens a tape device such as /dev/nst0 for reading, or for writing when
// write is true. The driver waits up to two minutes (ST_BLOCK_SECONDS) for the
// drive to become ready, then fails with ENOMEDIUM when it is still empty;
// opening a write-protected cartridge for writing fails with EROFS. Set the block
// size with SetBlockSize before the first write (0, variable, is what Ferry
// writes and reads). Use the non-rewinding node (nstN), or the medium is
// rewound on Close.
func Open(path string, write bool) (Device, error) {
	mode := unix.O_RDONLY
	if write {
		mode = unix.O_WRONLY
	}
	return openDrive(path, mode)
}

// OpenStatus opens a tape device for status and control only (Status,
// Rewind, Eject...). It returns at once even when the drive is empty or not
// ready, so a UI can poll it safely. The driver allows one open at a time, so
// it fails with EBUSY while a job holds the drive: follow a running job
// through Drive.Stats instead.
func OpenStatus(path string) (Device, error) {
	return openDrive(path, unix.O_RDONLY|unix.O_NONBLOCK)
}

// ReadStatus opens path with OpenStatus, reads its Status and closes it.
func ReadStatus(path string) (Status, error) {
	dev, err := OpenStatus(path)
	if err != nil {
		return Status{}, err
	}
	st, err := dev.Status()
	if cerr := dev.Close(); err == nil {
		err = cerr
	}
	return st, err
}

func openDrive(path string, mode int) (*stDevice, error) {
	var fd int
	err := retryEINTR(func() (err error) {
		fd, err = unix.Open(path, mode|unix.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return &stDevice{fd: fd, path: path}, nil
}

func (d *stDevice) Read(p []byte) (int, error) {
	if d.fd < 0 {
		return 0, d.closedError("read")
	}
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	err := retryEINTR(func() (err error) {
		n, err = unix.Read(d.fd, p)
		return err
	})
	if err != nil {
		return 0, &os.PathError{Op: "read", Path: d.path, Err: err}
	}
	if n == 0 {
		return 0, io.EOF // a filemark or the end of data
	}
	return n, nil
}

func (d *stDevice) Write(p []byte) (int, error) {
	if d.fd < 0 {
		return 0, d.closedError("write")
	}
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	err := retryEINTR(func() (err error) {
		n, err = unix.Write(d.fd, p)
		return err
	})
	if err != nil {
		return 0, &os.PathError{Op: "write", Path: d.path, Err: err}
	}
	if n < len(p) {
		// st returns a short count only when a fixed-block write met the
		// end of the medium.
		return n, &os.PathError{Op: "write", Path: d.path, Err: syscall.ENOSPC}
	}
	return n, nil
}

func (d *stDevice) Status() (Status, error) {
	var g mtget
	if err := d.ioctl("MTIOCGET", reqMTIOCGET, unsafe.Pointer(&g)); err != nil {
		return Status{}, err
	}
	return decodeStatus(g), nil
}

func (d *stDevice) Rewind() error     { return d.op("rewind", mtREW, 1) }
func (d *stDevice) Eject() error      { return d.op("eject", mtOFFL, 1) }
func (d *stDevice) SpaceToEOD() error { return d.op("space to end of data", mtEOM, 1) }

func (d *stDevice) WriteFilemark(count int) error {
	if count < 0 {
		return d.invalid("write filemark", "negative count %d", count)
	}
	return d.op("write filemark", mtWEOF, count)
}

func (d *stDevice) SpaceFilemarks(count int) error {
	switch {
	case count > 0:
		return d.op("space forward over filemarks", mtFSF, count)
	case count < 0:
		return d.op("space backward over filemarks", mtBSF, -count)
	}
	return nil
}

func (d *stDevice) SpaceRecords(count int) error {
	switch {
	case count > 0:
		return d.op("space forward over records", mtFSR, count)
	case count < 0:
		return d.op("space backward over records", mtBSR, -count)
	}
	return nil
}

func (d *stDevice) SetBlockSize(size int) error {
	if size < 0 || size > maxBlockSize {
		return d.invalid("set block size", "block size %d outside 0..%d", size, maxBlockSize)
	}
	return d.op("set block size", mtSETBLK, size)
}

func (d *stDevice) Tell() (int64, error) {
	var p mtpos
	if err := d.ioctl("MTIOCPOS", reqMTIOCPOS, unsafe.Pointer(&p)); err != nil {
		return 0, err
	}
	return int64(p.blkno), nil
}

func (d *stDevice) SeekBlock(block int64) error {
	if block < 0 || block > math.MaxInt32 {
		return d.invalid("seek", "block %d outside 0..%d", block, math.MaxInt32)
	}
	return d.op("seek", mtSEEK, int(block))
}

func (d *stDevice) Close() error {
	if d.fd < 0 {
		return d.closedError("close")
	}
	fd := d.fd
	d.fd = -1
	// The driver writes the closing filemark here; its error matters, and
	// close must not be retried on EINTR.
	if err := unix.Close(fd); err != nil {
		return &os.PathError{Op: "close", Path: d.path, Err: err}
	}
	return nil
}

func (d *stDevice) op(name string, code int16, count int) error {
	if count > math.MaxInt32 {
		return d.invalid(name, "count %d too large", count)
	}
	arg := mtop{op: code, count: int32(count)}
	return d.ioctl(name, reqMTIOCTOP, unsafe.Pointer(&arg))
}

func (d *stDevice) ioctl(name string, req uintptr, arg unsafe.Pointer) error {
	if d.fd < 0 {
		return d.closedError(name)
	}
	err := retryEINTR(func() error {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(d.fd), req, uintptr(arg))
		if errno != 0 {
			return errno
		}
		return nil
	})
	if err != nil {
		return &os.PathError{Op: name, Path: d.path, Err: err}
	}
	return nil
}

func (d *stDevice) invalid(op, format string, args ...any) error {
	return &os.PathError{Op: op, Path: d.path, Err: fmt.Errorf("%w: "+format, append([]any{syscall.EINVAL}, args...)...)}
}

func (d *stDevice) closedError(op string) error {
	return &os.PathError{Op: op, Path: d.path, Err: os.ErrClosed}
}

func retryEINTR(f func() error) error {
	for {
		err := f()
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

var _ Device = (*stDevice)(nil)
