package textfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadRegularFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sources.list")
	if err := os.WriteFile(path, []byte("reg.example/a:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := Read(path, Limit)
	if err != nil || string(b) != "reg.example/a:1\n" {
		t.Fatalf("Read = %q, %v", b, err)
	}
}

// Each special file fails at once with its kind named: the call returning
// at all proves that /dev/zero is not read to the end and a FIFO without a
// writer is not waited on.
func TestReadRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, want string }{
		{"/dev/zero", "is a device, not a regular file"},
		{fifo, "is a named pipe (FIFO), not a regular file"},
		{dir, "is a folder, not a regular file"},
	} {
		_, err := Read(tt.path, Limit)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Read(%s) error = %v, want %q", tt.path, err, tt.want)
		}
	}
}

func TestReadRefusesLargeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(path, make([]byte, 2<<20+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path, 2<<20); err == nil || !strings.Contains(err.Error(), "larger than 2 MiB") {
		t.Errorf("error = %v, want the size limit", err)
	}
	if _, err := Read(path, 3<<20); err != nil {
		t.Errorf("a file under the limit: %v", err)
	}
}

func TestReadMissingFile(t *testing.T) {
	if _, err := Read(filepath.Join(t.TempDir(), "none"), Limit); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error = %v, want not exist", err)
	}
}

func TestClean(t *testing.T) {
	for _, tt := range []struct {
		name, text, want string
		utf16            bool
	}{
		{"plain", "reg.example/a:1\n", "reg.example/a:1\n", false},
		{"utf-8 bom dropped", "\ufeffreg.example/a:1", "reg.example/a:1", false},
		{"utf-16 le bom", "\xff\xfer\x00e\x00", "", true},
		{"utf-16 be bom", "\xfe\xff\x00r\x00e", "", true},
		{"bom replaced on the way from a browser", "\ufffd\ufffdr", "", true},
		{"utf-16 without bom", "r\x00e\x00g\x00", "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Clean(tt.text)
			if tt.utf16 {
				if !errors.Is(err, ErrUTF16) || !strings.Contains(err.Error(), "save it as UTF-8") {
					t.Errorf("error = %v, want the UTF-16 hint", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Clean = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	if got := Quote(`a"b`); got != `"a\"b"` {
		t.Errorf("short text: %s", got)
	}
	long := strings.Repeat("é", 5<<20) // 10 MiB, two bytes a rune
	got := Quote(long)
	if want := `"` + strings.Repeat("é", 40) + `"… (10485760 bytes)`; got != want {
		t.Errorf("long text: %s", got)
	}
}
