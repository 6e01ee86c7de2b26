package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"ferry/backend/textfile"
)

// The editors' file reader fails at once, with the reason, on what an
// operator may type as a path by mistake; returning at all proves that
// /dev/zero is not read to the end and the FIFO is not waited on.
func TestReadTextFileRefusesWhatIsNotATextFile(t *testing.T) {
	a := newTestApp(t, t.TempDir())
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.csv")
	if err := os.WriteFile(big, make([]byte, textfile.Limit+1), 0o644); err != nil {
		t.Fatal(err)
	}
	utf16 := filepath.Join(dir, "utf16.list")
	if err := os.WriteFile(utf16, []byte("\xff\xfer\x00e\x00g\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, want string }{
		{"/dev/zero", "is a device, not a regular file"},
		{fifo, "is a named pipe (FIFO), not a regular file"},
		{dir, "is a folder, not a regular file"},
		{big, "larger than 16 MiB"},
		{utf16, "looks like UTF-16; save it as UTF-8"},
	} {
		got, err := a.ReadTextFile(tt.path)
		if err == nil || !strings.Contains(err.Error(), tt.want) || got != "" {
			t.Errorf("ReadTextFile(%s) = %d bytes, %v; want the error %q", tt.path, len(got), err, tt.want)
		}
	}
}
