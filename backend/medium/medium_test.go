package medium

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestCreateRefusesExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.tar")
	if err := os.WriteFile(path, []byte("earlier archive, longer than the new one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(path, false); !errors.Is(err, ErrExists) {
		t.Fatalf("err = %v, want ErrExists", err)
	}
	d, err := Create(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != KindFile {
		t.Errorf("kind %v", d.Kind)
	}
	d.Write([]byte("new"))
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new" {
		t.Errorf("content %q: forced overwrite must truncate, never append", got)
	}
}

func TestAbortRemovesPartialFile(t *testing.T) {
	dir := t.TempDir()
	gone := filepath.Join(dir, "failed.tar")
	d, err := Create(gone, false)
	if err != nil {
		t.Fatal(err)
	}
	d.Write([]byte("partial"))
	if err := d.Abort(false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(gone); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial file still there after Abort: %v", err)
	}

	kept := filepath.Join(dir, "resume.tar")
	d, _ = Create(kept, false)
	d.Write([]byte("partial"))
	if err := d.Abort(true); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(kept); string(got) != "partial" {
		t.Errorf("kept file holds %q", got)
	}
}

func TestFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	got := make(chan string, 1)
	go func() {
		s, err := Open(path)
		if err != nil {
			got <- err.Error()
			return
		}
		defer s.Close()
		if s.Kind != KindFIFO {
			got <- "source kind " + s.Kind.String()
			return
		}
		b, _ := io.ReadAll(s)
		got <- string(b)
	}()
	d, err := Create(path, false) // an existing FIFO needs no force
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != KindFIFO {
		t.Errorf("kind %v", d.Kind)
	}
	d.Write([]byte("through the pipe"))
	if err := d.Abort(false); err != nil { // never removes what it did not create
		t.Fatal(err)
	}
	if s := <-got; s != "through the pipe" {
		t.Errorf("read %q", s)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("Abort removed the FIFO: %v", err)
	}
}

func TestCharacterDevice(t *testing.T) {
	d, err := Create(os.DevNull, false)
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != KindDevice {
		t.Errorf("%s kind %v, want device", os.DevNull, d.Kind)
	}
	d.Close()
	s, err := Open(os.DevNull)
	if err != nil || s.Kind != KindDevice {
		t.Fatalf("Open(%s) = %v, %v", os.DevNull, s, err)
	}
	s.Close()
}

func TestRefusedPaths(t *testing.T) {
	dir := t.TempDir()
	if _, err := Create(dir, true); err == nil {
		t.Error("Create accepted a directory")
	}
	if _, err := Open(dir); err == nil {
		t.Error("Open accepted a directory")
	}
	if _, err := Open(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) = %v", err)
	}
	if _, err := Create(filepath.Join(dir, "no", "such", "dir"), false); err == nil {
		t.Error("Create in a missing directory succeeded")
	}
}

func TestOpenFileAndStdio(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.tar")
	os.WriteFile(path, []byte("data"), 0o644)
	s, err := Open(path)
	if err != nil || s.Kind != KindFile {
		t.Fatalf("Open = %v, %v", s, err)
	}
	b, _ := io.ReadAll(s)
	s.Close()
	if string(b) != "data" {
		t.Errorf("read %q", b)
	}
	in, err := Open(Stdio)
	if err != nil || in.Kind != KindStdio || in.File() != os.Stdin {
		t.Fatalf("Open(-) = %v, %v", in, err)
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stdin.Stat(); err != nil {
		t.Error("closing the stdio source closed standard input")
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindFile: "file", KindFIFO: "fifo", KindStdio: "stdio", KindDevice: "device"} {
		if !strings.EqualFold(k.String(), want) {
			t.Errorf("%d: %s", k, k)
		}
	}
}
