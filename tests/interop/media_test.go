//go:build interop

package interop

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// medium is what a tar file holds: entry names in order, and the bytes of
// the entries that are not blobs (oci-layout, index.json, manifest.json).
type medium struct {
	names []string
	files map[string][]byte
	blobs map[string]bool // "sha256:<hex>" of every blob entry
}

// readMedium reads a tar file, plain or compressed as a whole (gzip, zstd).
func readMedium(t testing.TB, file string) *medium {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, _ := br.Peek(4)
	var r io.Reader = br
	switch compressionOf(magic) {
	case "gzip":
		gz, err := gzip.NewReader(br)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	case "zstd":
		zr, err := zstd.NewReader(br)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	}
	m := &medium{files: map[string][]byte{}, blobs: map[string]bool{}}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return m
		}
		if err != nil {
			t.Fatalf("reading %s: %v", file, err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		m.names = append(m.names, name)
		if dir, hex := path.Split(name); strings.HasPrefix(dir, "blobs/") && h.Typeflag == tar.TypeReg {
			m.blobs[strings.TrimSuffix(strings.TrimPrefix(dir, "blobs/"), "/")+":"+hex] = true
			continue
		}
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			m.files[name] = b
		}
	}
}

// compression reports how a medium file is compressed: gzip, zstd or "".
func compression(t testing.TB, file string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	magic := make([]byte, 4)
	_, _ = io.ReadFull(f, magic)
	return compressionOf(magic)
}

// compressionOf names the compression that a stream starting with magic uses.
func compressionOf(magic []byte) string {
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return "gzip"
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "zstd"
	}
	return ""
}

// ledgerLine is one line of a checkpoint ledger.
type ledgerLine struct {
	Digest      string            `json:"digest"`
	Annotations map[string]string `json:"annotations"`
}

func readLedger(t testing.TB, file string) []ledgerLine {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var lines []ledgerLine
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l == "" {
			continue
		}
		var ll ledgerLine
		if err := json.Unmarshal([]byte(l), &ll); err != nil {
			t.Fatalf("ledger %s: line %q: %v", file, l, err)
		}
		lines = append(lines, ll)
	}
	return lines
}
