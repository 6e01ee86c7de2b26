package mirror

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"golang.org/x/sync/semaphore"
)

func spoolData(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// A blob larger than the whole budget goes through, and the budget is whole
// again afterwards.
func TestSpoolCarriesABlobLargerThanItsBudget(t *testing.T) {
	budget := semaphore.NewWeighted(2 * spoolChunk)
	data := spoolData(5*spoolChunk + 123)
	sp := newSpool(context.Background(), budget)
	done := make(chan error, 1)
	go func() {
		err := sp.fill(bytes.NewReader(data))
		sp.closeWrite(err)
		done <- err
	}()
	got, err := io.ReadAll(sp)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes (want %d), err %v", len(got), len(data), err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sp.abandon()
	if !budget.TryAcquire(2 * spoolChunk) {
		t.Error("the budget was not given back")
	}
}

// failAtEnd gives its data, then an error instead of io.EOF, as the archive
// reader does for content that does not match its name.
type failAtEnd struct {
	r   io.Reader
	err error
}

func (f *failAtEnd) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// The upload never sees the end of a blob whose reader failed at its last
// byte: it gets errMediumRead, not io.EOF.
func TestSpoolEndsInAnErrorWhenTheMediumFails(t *testing.T) {
	bad := errors.New("content does not match its name")
	data := spoolData(spoolChunk + 7)
	sp := newSpool(context.Background(), semaphore.NewWeighted(4*spoolChunk))
	go func() { sp.closeWrite(sp.fill(&failAtEnd{r: bytes.NewReader(data), err: bad})) }()
	got, err := io.ReadAll(sp)
	if !errors.Is(err, errMediumRead) || len(got) != len(data) {
		t.Fatalf("read %d bytes, err %v; want all %d and errMediumRead", len(got), err, len(data))
	}
	sp.abandon()
	if !errors.Is(sp.writerErr(), bad) {
		t.Errorf("writerErr = %v", sp.writerErr())
	}
}

// An upload that stops reading (the target has the blob) does not hold the
// medium's reader up, whatever the budget.
func TestAbandonedSpoolLetsTheWriterFinish(t *testing.T) {
	budget := semaphore.NewWeighted(spoolChunk)
	sp := newSpool(context.Background(), budget)
	done := make(chan error, 1)
	go func() {
		err := sp.fill(bytes.NewReader(spoolData(8 * spoolChunk)))
		sp.closeWrite(err)
		done <- err
	}()
	sp.abandon() // waits for the writer
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the writer is still blocked after abandon")
	}
	if !budget.TryAcquire(spoolChunk) {
		t.Error("the budget was not given back")
	}
}

// A cancelled context stops a writer waiting for budget.
func TestSpoolWriterStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	sp := newSpool(ctx, semaphore.NewWeighted(spoolChunk))
	done := make(chan error, 1)
	go func() { done <- sp.fill(bytes.NewReader(spoolData(3 * spoolChunk))) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("fill = %v, want context.Canceled", err)
	}
}
