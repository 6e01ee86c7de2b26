package medium

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
)

// fakeTape imitates a variable-block tape drive: each read returns one whole
// block; a read shorter than the block fails with ENOMEM and moves past
// the block, as Linux's st driver does.
type fakeTape struct {
	blocks [][]byte
	pos    int
	reads  []int
}

func (t *fakeTape) Read(p []byte) (int, error) {
	t.reads = append(t.reads, len(p))
	if t.pos == len(t.blocks) {
		return 0, nil // filemark
	}
	b := t.blocks[t.pos]
	t.pos++
	if len(b) > len(p) {
		return 0, syscall.ENOMEM
	}
	return copy(p, b), nil
}

func (t *fakeTape) backspace() error { t.pos--; return nil }

func TestBlockReaderVariableBlocks(t *testing.T) {
	dev := &fakeTape{blocks: [][]byte{pattern(100), pattern(300), pattern(50), pattern(700)}}
	r, err := NewBlockReader(dev, WithReadBlockSize(64), WithMaxBlockSize(1024), WithReposition(dev.backspace))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Join(dev.blocks, nil)
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, want the %d bytes of all blocks in order", len(got), len(want))
	}
	if r.BlockSize() != 1024 {
		t.Errorf("grew to %d, want 1024 (the first power-of-two step above 700)", r.BlockSize())
	}
}

func TestBlockReaderBlockTooLarge(t *testing.T) {
	dev := &fakeTape{blocks: [][]byte{pattern(5000)}}
	r, _ := NewBlockReader(dev, WithReadBlockSize(512), WithMaxBlockSize(2048), WithReposition(dev.backspace))
	_, err := io.ReadAll(r)
	if !errors.Is(err, syscall.ENOMEM) || !strings.Contains(err.Error(), "2048") {
		t.Fatalf("err = %v, want ENOMEM naming the 2048-byte limit", err)
	}
}

func TestBlockReaderFixedBlocks(t *testing.T) {
	dev := &fakeTape{blocks: [][]byte{pattern(512), pattern(512), pattern(512)}}
	r, _ := NewBlockReader(dev, WithReadBlockSize(512), WithMaxBlockSize(512))
	small := make([]byte, 100) // callers may read less than a block
	var got []byte
	for {
		n, err := r.Read(small)
		got = append(got, small[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 1536 {
		t.Errorf("read %d bytes, want 1536", len(got))
	}
	for i, n := range dev.reads {
		if n != 512 {
			t.Errorf("device read %d asked for %d bytes, want exactly the block size", i, n)
		}
	}
}

func TestBlockReaderPassesErrors(t *testing.T) {
	r, _ := NewBlockReader(io.MultiReader(strings.NewReader("abc"), errReader{syscall.EIO}))
	got, err := io.ReadAll(r)
	if string(got) != "abc" || !errors.Is(err, syscall.EIO) {
		t.Errorf("got %q, %v; want the data then EIO", got, err)
	}
	if _, err := NewBlockReader(r, WithReadBlockSize(0)); err == nil {
		t.Error("block size 0 accepted")
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
