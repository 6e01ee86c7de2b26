package medium

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"ferry/backend/progress"
)

// recorder is a device that records the size of every write.
type recorder struct {
	mu     sync.Mutex
	sizes  []int
	data   bytes.Buffer
	gate   chan struct{} // when set, each write waits for a token
	failAt int           // when > 0, the write with this number (from 1) fails
	failed error
	wrote  chan int // when set, receives each write's size
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.gate != nil {
		<-r.gate
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failAt > 0 && len(r.sizes)+1 == r.failAt {
		return 0, r.failed
	}
	r.sizes = append(r.sizes, len(p))
	r.data.Write(p)
	if r.wrote != nil {
		r.wrote <- len(p)
	}
	return len(p), nil
}

func (r *recorder) writes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.sizes...)
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// waitConfirmed waits up to 5 s for want bytes to be confirmed; exact also
// fails on more.
func waitConfirmed(t *testing.T, w *BlockWriter, want int64, exact bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for w.Confirmed() < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if c := w.Confirmed(); c < want || exact && c != want {
		t.Fatalf("confirmed %d, want %d", c, want)
	}
}

func newWriter(t *testing.T, dst io.Writer, opts ...BlockOption) *BlockWriter {
	t.Helper()
	w, err := NewBlockWriter(context.Background(), dst, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestExactBlockWrites(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
		pad  bool
	}{
		{"partial last block", 10*1024 + 300, false},
		{"whole blocks", 8 * 1024, false},
		{"padded last block", 5*1024 + 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dev := &recorder{}
			opts := []BlockOption{WithBlockSize(1024), WithBufferSize(4096), WithHighWaterMark(50)}
			if tc.pad {
				opts = append(opts, WithPadFinalBlock())
			}
			w := newWriter(t, dev, opts...)
			data := pattern(tc.size)
			// Odd-sized writes, as a tar writer makes.
			for rest := data; len(rest) > 0; {
				n := min(len(rest), 333)
				if _, err := w.Write(rest[:n]); err != nil {
					t.Fatal(err)
				}
				rest = rest[n:]
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			sizes := dev.writes()
			for i, s := range sizes[:len(sizes)-1] {
				if s != 1024 {
					t.Fatalf("write %d is %d bytes, want exactly 1024 (all: %v)", i, s, sizes)
				}
			}
			last := sizes[len(sizes)-1]
			switch {
			case tc.pad && last != 1024:
				t.Errorf("padded last write is %d bytes", last)
			case !tc.pad && last != (tc.size-1)%1024+1:
				t.Errorf("last write is %d bytes, want %d", last, (tc.size-1)%1024+1)
			}
			got := dev.data.Bytes()
			if !bytes.Equal(got[:tc.size], data) || !allZero(got[tc.size:]) {
				t.Error("device content differs from what was written")
			}
			if w.Confirmed() != int64(tc.size) {
				t.Errorf("confirmed %d, want %d (padding not counted)", w.Confirmed(), tc.size)
			}
		})
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func TestNothingWrittenBeforeHighWaterMark(t *testing.T) {
	dev := &recorder{wrote: make(chan int, 100)}
	w := newWriter(t, dev, WithBlockSize(1024), WithBufferSize(10*1024), WithHighWaterMark(50))
	defer w.Close()
	if _, err := w.Write(pattern(5*1024 - 1)); err != nil {
		t.Fatal(err)
	}
	if fill := w.Fill(); fill < 0.499 || fill > 0.5 {
		t.Errorf("fill = %v, want just under 0.5", fill)
	}
	select {
	case n := <-dev.wrote:
		t.Fatalf("wrote %d bytes below the high water mark", n)
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := w.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-dev.wrote:
	case <-time.After(5 * time.Second):
		t.Fatal("no write after reaching the high water mark")
	}
	// Once started it drains until less than a block is left.
	deadline := time.Now().Add(5 * time.Second)
	for len(dev.writes()) < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := len(dev.writes()); n != 5 {
		t.Errorf("%d blocks written, want all 5", n)
	}
}

// Whatever the mark and however the stream is cut into writes, a full
// buffer is drained: a chunk the drain started before the mark was reached
// must not leave the producer waiting for room forever.
func TestFullBufferAlwaysDrains(t *testing.T) {
	data := pattern(1<<20 + 123)
	for _, hwm := range []int{0, 50, 75, 100} {
		for _, piece := range []int{1000, 1024, 4096 + 7, 70000} {
			dev := &recorder{}
			w := newWriter(t, dev, WithBlockSize(1024), WithBufferSize(8*1024), WithHighWaterMark(hwm))
			done := make(chan error, 1)
			go func() {
				for p := data; len(p) > 0; {
					n := min(piece, len(p))
					if _, err := w.Write(p[:n]); err != nil {
						done <- err
						return
					}
					p = p[n:]
				}
				done <- w.Close()
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("mark %d%%, writes of %d: %v", hwm, piece, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("mark %d%%, writes of %d: stalled with %d bytes confirmed", hwm, piece, w.Confirmed())
			}
			if !bytes.Equal(dev.data.Bytes(), data) {
				t.Fatalf("mark %d%%, writes of %d: the device holds other bytes", hwm, piece)
			}
			sizes := dev.writes()
			for i, n := range sizes[:len(sizes)-1] {
				if n != 1024 {
					t.Fatalf("mark %d%%, writes of %d: device write %d is %d bytes", hwm, piece, i, n)
				}
			}
		}
	}
}

// The drain can stop in the middle of a chunk (it had caught up with the
// producer); that chunk is not free until written out, so the buffer fills
// up below a 100 % mark, and the waiting producer must start the drain.
func TestPartlyWrittenChunkDoesNotStall(t *testing.T) {
	dev := &recorder{gate: make(chan struct{})}
	// Eight blocks of 1 KiB in four chunks of two.
	ctx, cancel := context.WithCancel(context.Background())
	w, err := NewBlockWriter(ctx, dev, WithBlockSize(1024), WithBufferSize(8*1024), WithHighWaterMark(100))
	if err != nil {
		t.Fatal(err)
	}
	stopFeeding := make(chan struct{})
	var feeding sync.WaitGroup
	defer func() {
		cancel() // releases a stalled producer, which Close would wait for
		close(stopFeeding)
		feeding.Wait()
		close(dev.gate) // every later device write goes through
		w.Close()
	}()
	if _, err := w.Write(pattern(8 * 1024)); err != nil { // the mark: the drain starts
		t.Fatal(err)
	}
	for range 7 {
		dev.gate <- struct{}{}
	}
	waitConfirmed(t, w, 7*1024, true)
	if _, err := w.Write(pattern(1024)); err != nil { // half of a reused chunk
		t.Fatal(err)
	}
	dev.gate <- struct{}{}
	dev.gate <- struct{}{}
	waitConfirmed(t, w, 9*1024, true) // the drain caught up inside that chunk and waits for the mark
	done := make(chan error, 1)
	go func() {
		_, err := w.Write(pattern(8 * 1024)) // fills the buffer below the mark, then needs room
		done <- err
	}()
	feeding.Go(func() {
		for {
			select {
			case dev.gate <- struct{}{}:
			case <-stopFeeding:
				return
			}
		}
	})
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("producer stalled: %d bytes confirmed, buffer %.0f%% full", w.Confirmed(), 100*w.Fill())
	}
}

// An underrun is the buffer running out of blocks while the stream goes on
// (a tape would stop): not the fill up to the mark, not the end at Close.
func TestUnderrunReported(t *testing.T) {
	var underruns atomic.Int32
	dev := &recorder{}
	w := newWriter(t, dev, WithBlockSize(1024), WithBufferSize(8*1024), WithHighWaterMark(50),
		WithUnderrun(func() { underruns.Add(1) }))
	w.Write(pattern(3 * 1024)) // below the mark: nothing written, no underrun
	time.Sleep(20 * time.Millisecond)
	if n := underruns.Load(); n != 0 || w.Confirmed() != 0 {
		t.Fatalf("below the mark: %d underruns, %d bytes confirmed", n, w.Confirmed())
	}
	w.Write(pattern(1024)) // the mark: four blocks go out, then the buffer is dry
	waitConfirmed(t, w, 4*1024, false)
	time.Sleep(10 * time.Millisecond) // the drain goes idle after its last confirmation
	if n := underruns.Load(); n != 1 {
		t.Fatalf("after the first run: %d underruns, want 1", n)
	}
	w.Write(pattern(4*1024 + 10))
	waitConfirmed(t, w, 8*1024, false)
	time.Sleep(10 * time.Millisecond)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := underruns.Load(); n != 2 || w.Confirmed() != 8*1024+10 {
		t.Errorf("after Close: %d underruns (want 2: the end of the stream is not one), %d bytes confirmed", n, w.Confirmed())
	}
}

// A reader that claims more bytes than it was given is an error, not a
// corrupt buffer.
func TestReadFromRejectsLyingReader(t *testing.T) {
	w := newWriter(t, io.Discard, WithBlockSize(1024), WithBufferSize(4*1024))
	defer w.Close()
	if _, err := w.ReadFrom(lyingReader{}); err == nil {
		t.Fatal("ReadFrom accepted a reader returning more bytes than asked")
	}
}

type lyingReader struct{}

func (lyingReader) Read(p []byte) (int, error) { return len(p) + 1, nil }

// ReadFrom, which io.Copy uses, fills the buffer straight from the reader
// with the same block semantics as Write.
func TestReadFromKeepsBlocks(t *testing.T) {
	data := pattern(10*1024 + 300)
	dev := &recorder{}
	w := newWriter(t, dev, WithBlockSize(1024), WithBufferSize(4*1024), WithHighWaterMark(0), WithPadFinalBlock())
	n, err := io.Copy(w, io.MultiReader(bytes.NewReader(data[:5000]), bytes.NewReader(data[5000:])))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("io.Copy: %d, %v", n, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := dev.data.Bytes()
	if !bytes.Equal(got[:len(data)], data) || !allZero(got[len(data):]) || len(got) != 11*1024 {
		t.Errorf("device holds %d bytes; want the data padded to 11 blocks", len(got))
	}
	for i, n := range dev.writes() {
		if n != 1024 {
			t.Errorf("device write %d is %d bytes", i, n)
		}
	}
	if w.Confirmed() != int64(len(data)) {
		t.Errorf("confirmed %d, want %d (padding is not counted)", w.Confirmed(), len(data))
	}
}

// A reader's error ends ReadFrom with what was read so far still written.
func TestReadFromReaderError(t *testing.T) {
	dev := &recorder{}
	w := newWriter(t, dev, WithBlockSize(1024), WithBufferSize(4*1024), WithHighWaterMark(0))
	boom := errors.New("source went away")
	n, err := w.ReadFrom(io.MultiReader(bytes.NewReader(pattern(3000)), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) || n != 3000 {
		t.Fatalf("ReadFrom: %d, %v; want 3000 and the reader's error", n, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Confirmed() != 3000 {
		t.Errorf("confirmed %d, want 3000", w.Confirmed())
	}
}

// Confirmations follow the device: a byte is confirmed only after the write
// holding it returned.
func TestConfirmationFollowsDevice(t *testing.T) {
	dev := &recorder{gate: make(chan struct{})}
	var mu sync.Mutex
	var confirmations []int64
	var events []progress.Event
	w := newWriter(t, dev, WithBlockSize(1024), WithBufferSize(8*1024), WithHighWaterMark(0),
		WithConfirm(func(n int64) { mu.Lock(); confirmations = append(confirmations, n); mu.Unlock() }),
		WithProgress(func(e progress.Event) { mu.Lock(); events = append(events, e); mu.Unlock() }))
	if _, err := w.Write(pattern(3 * 1024)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // the drain is now blocked inside the first device write
	if c := w.Confirmed(); c != 0 {
		t.Fatalf("confirmed %d before the device returned", c)
	}
	for want := int64(1024); want <= 3072; want += 1024 {
		dev.gate <- struct{}{}
		deadline := time.Now().Add(5 * time.Second)
		for w.Confirmed() < want && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if c := w.Confirmed(); c != want {
			t.Fatalf("confirmed %d after %d device writes", c, want/1024)
		}
	}
	close(dev.gate)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(confirmations) != 3 || confirmations[0] != 1024 || confirmations[2] != 3072 {
		t.Errorf("confirmations %v, want 1024, 2048, 3072", confirmations)
	}
	if len(events) != 3 || events[2].BytesDone != 3072 || events[2].Phase != "write" {
		t.Errorf("progress events %+v", events)
	}
}

func TestDeviceErrorReachesProducer(t *testing.T) {
	dev := &recorder{failAt: 3, failed: syscall.ENOSPC}
	w := newWriter(t, dev, WithBlockSize(1024), WithBufferSize(4096), WithHighWaterMark(0))
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = w.Write(pattern(1024))
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Write: err = %v, want ENOSPC", err)
	}
	if c := w.Confirmed(); c != 2048 {
		t.Errorf("confirmed %d, want the 2048 bytes written before the failure", c)
	}
	if err := w.Close(); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Close: err = %v, want ENOSPC", err)
	}
	if _, err := w.Write([]byte{1}); err == nil {
		t.Error("Write after a failure succeeded")
	}
}

func TestDeviceErrorOnClose(t *testing.T) {
	dev := &recorder{failAt: 1, failed: syscall.EIO}
	w := newWriter(t, dev, WithBlockSize(1024), WithBufferSize(4096), WithHighWaterMark(100))
	if _, err := w.Write(pattern(100)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); !errors.Is(err, syscall.EIO) {
		t.Errorf("Close: err = %v, want EIO", err)
	}
}

func TestCancelUnblocksProducer(t *testing.T) {
	dev := &recorder{gate: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := NewBlockWriter(ctx, dev, WithBlockSize(1024), WithBufferSize(2048), WithHighWaterMark(0))
	if err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() {
		_, err := w.Write(pattern(10 * 1024)) // far more than the buffer holds
		result <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-result:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Write: err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Write still blocked after cancel")
	}
	close(dev.gate) // the device write in progress returns
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Errorf("Close: err = %v, want context.Canceled", err)
	}
	if n := len(dev.writes()); n > 1 {
		t.Errorf("%d device writes after cancel, want at most the one in progress", n)
	}
}

func TestCloseWithoutWrites(t *testing.T) {
	dev := &recorder{}
	confirmed := false
	w := newWriter(t, dev, WithBlockSize(1024), WithBufferSize(4096), WithPadFinalBlock(),
		WithConfirm(func(int64) { confirmed = true }))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(dev.writes()); n != 0 || confirmed {
		t.Errorf("%d device writes and confirmed=%v for an empty stream", n, confirmed)
	}
	if _, err := w.Write([]byte{1}); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestBlockWriterOptions(t *testing.T) {
	for name, opts := range map[string][]BlockOption{
		"zero block":      {WithBlockSize(0)},
		"buffer < block":  {WithBlockSize(1024), WithBufferSize(1000)},
		"mark above 100%": {WithHighWaterMark(101)},
		"negative mark":   {WithHighWaterMark(-1)},
	} {
		if _, err := NewBlockWriter(context.Background(), io.Discard, opts...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A buffer that is not whole blocks is rounded down.
	w := newWriter(t, io.Discard, WithBlockSize(1000), WithBufferSize(2500), WithHighWaterMark(100))
	w.Write(pattern(2000))
	if f := w.Fill(); f != 1 {
		t.Errorf("fill %v with 2000 bytes in a buffer of 2 blocks, want 1", f)
	}
	w.Close()
}

func BenchmarkBlockWriter(b *testing.B) {
	const total = 64 << 20
	chunk := pattern(32 << 10)
	run := func(b *testing.B, dst io.Writer) {
		b.SetBytes(total)
		for b.Loop() {
			w, err := NewBlockWriter(context.Background(), dst, WithBlockSize(1<<20), WithBufferSize(16<<20), WithHighWaterMark(50))
			if err != nil {
				b.Fatal(err)
			}
			for n := 0; n < total; n += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("discard", func(b *testing.B) { run(b, io.Discard) })
	b.Run("file", func(b *testing.B) {
		f, err := os.Create(filepath.Join(b.TempDir(), "out"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		run(b, &truncating{f})
	})
}

// truncating rewinds the file before each run so the benchmark does not fill the disk.
type truncating struct{ f *os.File }

func (t *truncating) Write(p []byte) (int, error) {
	if off, _ := t.f.Seek(0, io.SeekCurrent); off >= 256<<20 {
		t.f.Truncate(0)
		t.f.Seek(0, io.SeekStart)
	}
	return t.f.Write(p)
}
