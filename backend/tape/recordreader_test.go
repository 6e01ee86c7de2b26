package tape

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
)

// tapeWith writes each file's records followed by a filemark, rewinds and
// returns a read handle positioned at the start.
func tapeWith(t *testing.T, files ...[][]byte) Device {
	t.Helper()
	sim := NewSimulator(&Medium{})
	dev := openSim(t, sim, true)
	for _, records := range files {
		for _, r := range records {
			mustWrite(t, dev, r)
		}
		must(t, dev.WriteFilemark(1))
	}
	must(t, dev.Close())
	dev = openSim(t, sim, false)
	t.Cleanup(func() { dev.Close() })
	must(t, dev.Rewind())
	return dev
}

// randomRecords makes records of the given sizes with distinct contents, so a
// skipped or repeated record changes the stream.
func randomRecords(seed uint64, sizes ...int) [][]byte {
	rng := rand.New(rand.NewPCG(seed, seed))
	out := make([][]byte, len(sizes))
	for i, n := range sizes {
		out[i] = make([]byte, n)
		for j := range out[i] {
			out[i][j] = byte(rng.Uint32())
		}
	}
	return out
}

func TestRecordReaderGrowsBufferForMiBRecords(t *testing.T) {
	const mib = 1 << 20
	file1 := randomRecords(1, mib, mib, mib, 300<<10) // as Ferry and the reference write
	file2 := randomRecords(2, 10)
	dev := tapeWith(t, file1, file2)

	// Start far below the record size, as a reader that guesses 64 KiB would.
	rr := NewRecordReader(dev, WithInitialRecordSize(64<<10))
	got, err := io.ReadAll(rr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, bytes.Join(file1, nil)) {
		t.Fatalf("read %d bytes that differ from the %d written", len(got), len(bytes.Join(file1, nil)))
	}
	if rr.Records() != 4 || rr.BufferSize() != mib {
		t.Errorf("records = %d, buffer = %d; want 4 records and a 1 MiB buffer", rr.Records(), rr.BufferSize())
	}

	// The filemark ends the reader for good, and leaves the tape at the next file.
	if n, err := rr.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("read after the filemark = %d, %v; want 0, io.EOF", n, err)
	}
	next, err := io.ReadAll(NewRecordReader(dev))
	if err != nil || !bytes.Equal(next, file2[0]) {
		t.Errorf("second file = %d bytes, %v", len(next), err)
	}
}

func TestRecordReaderDefaultsReadRecordsAboveOneMiB(t *testing.T) {
	file := randomRecords(3, 5<<20/2, 5<<20/2, 17)
	dev := tapeWith(t, file)
	rr := NewRecordReader(dev)
	var out bytes.Buffer
	n, err := io.Copy(&out, rr) // uses WriteTo: one write per record
	if err != nil || n != int64(out.Len()) {
		t.Fatalf("copy = %d, %v", n, err)
	}
	if !bytes.Equal(out.Bytes(), bytes.Join(file, nil)) {
		t.Fatal("copied stream differs from the records written")
	}
	if rr.BufferSize() != 4<<20 {
		t.Errorf("buffer = %d, want 4 MiB (1 MiB doubled twice)", rr.BufferSize())
	}
}

func TestRecordReaderRecordAboveLimit(t *testing.T) {
	dev := tapeWith(t, randomRecords(4, 1<<20))
	rr := NewRecordReader(dev, WithInitialRecordSize(64<<10), WithMaxRecordSize(256<<10))
	_, err := io.ReadAll(rr)
	if !errors.Is(err, syscall.ENOMEM) || !strings.Contains(err.Error(), "larger than 262144 bytes") {
		t.Errorf("error = %v; want ENOMEM naming the limit", err)
	}
	if _, again := rr.Read(make([]byte, 1)); again != err {
		t.Errorf("second read error = %v; want the same error", again)
	}
}

func TestRecordReaderReportsDeviceErrors(t *testing.T) {
	sim := NewSimulator(&Medium{})
	dev := openSim(t, sim, false)
	defer dev.Close()
	_, err := io.ReadAll(NewRecordReader(dev)) // a blank tape
	if !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), "record 1") {
		t.Errorf("error = %v; want EIO for record 1", err)
	}
}

// failingBackspace reports ENOMEM and cannot space back, like a drive
// without MTBSR support.
type failingBackspace struct{ Device }

func (failingBackspace) Read([]byte) (int, error) { return 0, syscall.ENOMEM }
func (failingBackspace) SpaceRecords(int) error   { return syscall.EIO }

func TestRecordReaderStopsWhenItCannotSpaceBack(t *testing.T) {
	_, err := io.ReadAll(NewRecordReader(failingBackspace{}, WithInitialRecordSize(1024)))
	if !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), "step back") {
		t.Errorf("error = %v; want the failed step back", err)
	}
}
