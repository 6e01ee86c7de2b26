//go:build linux && (386 || amd64 || arm || arm64 || loong64 || riscv64 || s390x)

package tape

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// No tape hardware is needed: these check what the wrapper does around the
// system calls, using files that are not tapes.

func TestOpenMissingDevice(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "nst9"), false)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error = %v, want not exist", err)
	}
	_, err = ReadStatus(filepath.Join(t.TempDir(), "nst9"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("status error = %v, want not exist", err)
	}
}

func TestTapeIoctlsOnANonTapeFail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not-a-tape")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadStatus(path)
	if !errors.Is(err, syscall.ENOTTY) || !strings.Contains(err.Error(), path) {
		t.Errorf("status of a regular file: %v; want ENOTTY naming the path", err)
	}
	dev, err := Open(path, true)
	if err != nil {
		t.Fatal(err)
	}
	for name, op := range map[string]func() error{
		"rewind":          dev.Rewind,
		"eject":           dev.Eject,
		"space to EOD":    dev.SpaceToEOD,
		"filemark":        func() error { return dev.WriteFilemark(1) },
		"space files +":   func() error { return dev.SpaceFilemarks(1) },
		"space files -":   func() error { return dev.SpaceFilemarks(-1) },
		"space records +": func() error { return dev.SpaceRecords(1) },
		"space records -": func() error { return dev.SpaceRecords(-1) },
		"set block size":  func() error { return dev.SetBlockSize(0) },
		"seek":            func() error { return dev.SeekBlock(5) },
	} {
		if err := op(); !errors.Is(err, syscall.ENOTTY) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v; want ENOTTY naming the path", name, err)
		}
	}
	if err := dev.SpaceRecords(0); err != nil {
		t.Errorf("spacing zero records: %v; want a no-op", err)
	}
	if _, err := dev.Tell(); !errors.Is(err, syscall.ENOTTY) {
		t.Errorf("tell: %v, want ENOTTY", err)
	}
	if err := dev.SetBlockSize(-1); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("negative block size: %v, want EINVAL before any ioctl", err)
	}
	if err := dev.SeekBlock(1 << 40); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("seek beyond 32 bits: %v, want EINVAL", err)
	}
	if n, err := dev.Write([]byte("one record")); n != 10 || err != nil {
		t.Errorf("write = %d, %v", n, err)
	}
	if _, err := dev.Read(make([]byte, 4)); !errors.Is(err, syscall.EBADF) {
		t.Errorf("read on a write-only device: %v, want EBADF", err)
	}
	if err := dev.Close(); err != nil {
		t.Fatal(err)
	}
	if err := dev.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second close: %v, want os.ErrClosed", err)
	}

	dev, err = Open(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	buf := make([]byte, 64)
	if n, err := dev.Read(buf); n != 10 || err != nil {
		t.Errorf("read = %d, %v", n, err)
	}
	if n, err := dev.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("zero-length read = %d, %v; want 0, io.EOF as at a filemark", n, err)
	}
}
