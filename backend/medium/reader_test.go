package medium

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenReaderFilesAndDevices(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.tar")
	want := bytes.Repeat([]byte("ferry"), 1000)
	if err := os.WriteFile(path, want, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, bs := range []int{0, 512} {
		r, closeFn, err := OpenReader(path, bs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		closeFn()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("block size %d: read %d bytes, %v", bs, len(got), err)
		}
	}
	if _, _, err := OpenReader(filepath.Join(t.TempDir(), "none"), 0); err == nil || !strings.HasPrefix(err.Error(), "source: ") {
		t.Errorf("a missing medium: %v", err)
	}
	// A character device that is no tape drive is read in whole blocks.
	r, closeFn, err := OpenReader("/dev/zero", 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	buf := make([]byte, 10000)
	if n, err := io.ReadFull(r, buf); err != nil || n != len(buf) || !bytes.Equal(buf, make([]byte, len(buf))) {
		t.Errorf("/dev/zero: %d bytes, %v", n, err)
	}
}
