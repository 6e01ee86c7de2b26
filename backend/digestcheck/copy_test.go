package digestcheck

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// Copy passes content of every size through whole and in order, and the
// Verifier then proves it or names what it was instead; a failing writer
// or reader ends the copy with its error.
func TestCopyHashesWhatPassesInLineOrBeside(t *testing.T) {
	for _, size := range []int{0, 10, pipelineMin - 1, pipelineMin, 3*pipelineMin + 12345} {
		content := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
		desc := descOf(t, string(content))
		for _, bad := range []bool{false, true} {
			src := content
			if bad && size > 0 {
				src = append([]byte(nil), content...)
				src[size/2] ^= 1
			}
			v, err := New(desc.Digest)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			// One byte a read for small content, odd sizes for large: the
			// copy must not depend on how the reader splits it.
			var r io.Reader = iotest.HalfReader(bytes.NewReader(src))
			n, err := v.Copy(&out, r, int64(size))
			if err != nil || n != int64(size) || !bytes.Equal(out.Bytes(), src) {
				t.Fatalf("size %d: copied %d, err %v, same %v", size, n, err, bytes.Equal(out.Bytes(), src))
			}
			if err := v.Check(); (err != nil) != (bad && size > 0) {
				t.Errorf("size %d, altered %v: check %v", size, bad, err)
			}
		}
	}
	big := strings.Repeat("x", 2*pipelineMin)
	v, _ := New(descOf(t, big).Digest)
	boom := errors.New("boom")
	if _, err := v.Copy(&failingWriter{after: pipelineBuffer + 1, err: boom}, strings.NewReader(big), int64(len(big))); !errors.Is(err, boom) {
		t.Errorf("writer failure: %v", err)
	}
	v, _ = New(descOf(t, big).Digest)
	if _, err := v.Copy(io.Discard, io.MultiReader(strings.NewReader(big[:pipelineMin]), iotest.ErrReader(boom)), int64(len(big))); !errors.Is(err, boom) {
		t.Errorf("reader failure: %v", err)
	}
}

// failingWriter takes after bytes, then fails.
type failingWriter struct {
	after int
	err   error
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.after {
		n := f.after
		f.after = 0
		return n, f.err
	}
	f.after -= len(p)
	return len(p), nil
}
