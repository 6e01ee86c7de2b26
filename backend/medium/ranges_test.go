package medium

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func rangeFile(t *testing.T) (string, []byte) {
	t.Helper()
	data := make([]byte, 3<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	p := filepath.Join(t.TempDir(), "medium.tar")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

func TestRangeReadsItsBytesOnly(t *testing.T) {
	p, data := rangeFile(t)
	r := RangesOf(p)
	if r == nil {
		t.Fatal("no ranges for a regular file")
	}
	rng, err := r.Open(1000, 5000)
	if err != nil {
		t.Fatal(err)
	}
	defer rng.Close()
	got, err := io.ReadAll(rng)
	if err != nil || !bytes.Equal(got, data[1000:6000]) {
		t.Fatalf("read %d bytes (%v), want bytes 1000 to 6000", len(got), err)
	}
}

// Sent to a socket under a limit, as net/http sends a body with a
// Content-Length (by sendfile, since a Range is a syscall.Conn), the range
// arrives whole and nothing past it is read after.
func TestRangeCopiedToASocketUnderALimitIsItsBytes(t *testing.T) {
	p, data := rangeFile(t)
	off, n := int64(4096), int64(2<<20)
	rng, err := RangesOf(p).Open(off, n)
	if err != nil {
		t.Fatal(err)
	}
	defer rng.Close()
	if _, ok := any(rng).(syscall.Conn); !ok {
		t.Fatal("a Range is no syscall.Conn: the kernel cannot copy it")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(c)
		c.Close()
		got <- b
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sent, err := io.Copy(conn, io.LimitReader(rng, n))
	if err != nil || sent != n {
		t.Fatalf("sent %d bytes (%v), want %d", sent, err, n)
	}
	// net/http reads on to make sure the body holds nothing more.
	if extra, err := io.Copy(io.Discard, rng); extra != 0 || err != nil {
		t.Errorf("%d bytes read past the range (%v)", extra, err)
	}
	conn.Close()
	if b := <-got; !bytes.Equal(b, data[off:off+n]) {
		t.Errorf("the socket got %d bytes, not the range's %d", len(b), n)
	}
}

func TestRangeOfAFileReplacedOrCutIsRefused(t *testing.T) {
	p, data := rangeFile(t)
	r := RangesOf(p)
	if r.Holds(0, int64(len(data))+1) || !r.Holds(0, int64(len(data))) {
		t.Error("Holds does not follow the file's size")
	}
	if _, err := r.Open(int64(len(data))-10, 20); err == nil || !strings.Contains(err.Error(), "past its end") {
		t.Errorf("a range past the end: err = %v", err)
	}
	// A new file moved over the old one, as a copy tool replaces a file.
	if err := os.WriteFile(p+".new", data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p+".new", p); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Open(0, 10); err == nil || !strings.Contains(err.Error(), "replaced") {
		t.Errorf("a replaced file: err = %v", err)
	}
}

func TestOnlyRegularFilesHaveRanges(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{Stdio, fifo, t.TempDir(), filepath.Join(t.TempDir(), "missing")} {
		if RangesOf(p) != nil {
			t.Errorf("%s has ranges", p)
		}
	}
}
