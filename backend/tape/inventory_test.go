package tape

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestCheckWritable(t *testing.T) {
	for _, tc := range []struct {
		st    Status
		want  string
		errno syscall.Errno
	}{
		{Status{}, "no tape in /dev/nst0", syscall.ENOMEDIUM},
		{Status{Loaded: true}, "not ready yet", syscall.EAGAIN},
		{Status{Loaded: true, Online: true, WriteProtected: true}, "write-protected", syscall.EROFS},
	} {
		err := CheckWritable("/dev/nst0", tc.st)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.errno) {
			t.Errorf("%+v: %v, want %q", tc.st, err, tc.want)
		}
	}
	if err := CheckWritable("/dev/nst0", Status{Loaded: true, Online: true}); err != nil {
		t.Errorf("a ready tape: %v", err)
	}
}

func TestDrivesControlSimulated(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nst0")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	sim := NewSimulator(&Medium{WriteProtected: true})
	d := Drives{SysfsRoot: filepath.Join(dir, "sys"), DevDir: dir, OpenStatus: func(string) (Device, error) { return sim.OpenStatus() }}
	st, err := d.Status(path)
	if err != nil || !st.WriteProtected || StatusState(st) != "ready" {
		t.Fatalf("status: %+v, %v", st, err)
	}
	if _, err := d.SetBlockSize(path, MaxBlockSize+1); err == nil {
		t.Error("a block size above the driver's limit was accepted")
	}
	if st, err := d.SetBlockSize(path, 1<<20); err != nil || st.BlockSize != 1<<20 || BlockSizeText(st.BlockSize) != "1 MiB blocks" {
		t.Errorf("setblk: %+v, %v", st, err)
	}
	if _, err := d.Eject(path); err != nil || sim.Medium() != nil {
		t.Errorf("eject: %v", err)
	}
	if _, err := d.Rewind(path); err == nil || !strings.Contains(err.Error(), "no tape loaded") {
		t.Errorf("rewind an empty drive: %v", err)
	}
	if got := Problem(path, &os.PathError{Op: "open", Path: path, Err: syscall.EBUSY}); !strings.Contains(got.Error(), "is busy") || !errors.Is(got, syscall.EBUSY) {
		t.Errorf("Problem(EBUSY) = %v", got)
	}
	if !IsRewindingNode("/dev/st0") || IsRewindingNode("/dev/nst0") {
		t.Error("IsRewindingNode")
	}
}
