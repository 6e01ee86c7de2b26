package tape

import (
	"bytes"
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
)

func openSim(t *testing.T, s *Simulator, write bool) Device {
	t.Helper()
	dev, err := s.Open(write)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return dev
}

func mustWrite(t *testing.T, dev Device, p []byte) {
	t.Helper()
	if n, err := dev.Write(p); err != nil || n != len(p) {
		t.Fatalf("write %d bytes = %d, %v", len(p), n, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErrno(t *testing.T, what string, err error, errno syscall.Errno) {
	t.Helper()
	if !errors.Is(err, errno) {
		t.Errorf("%s: error = %v, want %v", what, err, errno)
	}
}

func status(t *testing.T, dev Device) Status {
	t.Helper()
	st, err := dev.Status()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// summary lists a medium as record sizes, with -1 for a filemark.
func summary(m *Medium) []int {
	var out []int
	for _, r := range m.Records() {
		if r.Filemark {
			out = append(out, -1)
		} else {
			out = append(out, len(r.Data))
		}
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSimulatorVariableRecordsKeepTheirSizes(t *testing.T) {
	m := &Medium{}
	sim := NewSimulator(m)
	dev := openSim(t, sim, true)
	records := [][]byte{bytes.Repeat([]byte("a"), 1000), []byte("bb"), bytes.Repeat([]byte("c"), 70000)}
	for _, r := range records {
		mustWrite(t, dev, r)
	}
	must(t, dev.Close()) // closing after writes ends the file with a filemark
	if got := summary(m); !equalInts(got, []int{1000, 2, 70000, -1}) {
		t.Fatalf("medium = %v", got)
	}

	dev = openSim(t, sim, false)
	defer dev.Close()
	must(t, dev.Rewind())
	buf := make([]byte, 1<<20)
	for i, want := range records {
		n, err := dev.Read(buf)
		if err != nil || !bytes.Equal(buf[:n], want) {
			t.Fatalf("record %d: read %d bytes, %v", i, n, err)
		}
	}
	// The driver's end-of-data signal: a zero-length read at the filemark,
	// another at the blank tape after it, then errors.
	if n, err := dev.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("read at filemark = %d, %v; want 0, io.EOF", n, err)
	}
	if n, err := dev.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("read at end of data = %d, %v; want 0, io.EOF", n, err)
	}
	if !status(t, dev).AtEOD {
		t.Error("status after reading to the end: not at EOD")
	}
	_, err := dev.Read(buf)
	wantErrno(t, "read past end of data", err, syscall.EIO)
	if _, err := dev.Write([]byte("x")); !errors.Is(err, syscall.EBADF) {
		t.Errorf("write on a read-only handle: %v, want EBADF", err)
	}
	if m.Used() != 71002 {
		t.Errorf("used = %d", m.Used())
	}
}

func TestSimulatorShortReadBufferSkipsRecordWithENOMEM(t *testing.T) {
	m := &Medium{}
	sim := NewSimulator(m)
	dev := openSim(t, sim, true)
	mustWrite(t, dev, bytes.Repeat([]byte("1"), 1000))
	mustWrite(t, dev, []byte("second"))
	must(t, dev.Close())

	dev = openSim(t, sim, false)
	defer dev.Close()
	must(t, dev.Rewind()) // the non-rewinding node left the tape at the end
	buf := make([]byte, 999)
	_, err := dev.Read(buf)
	wantErrno(t, "read 1000-byte record into 999 bytes", err, syscall.ENOMEM)
	if pos, _ := dev.Tell(); pos != 1 {
		t.Errorf("position after ENOMEM = %d, want 1 (the drive moved past the record)", pos)
	}
	must(t, dev.SpaceRecords(-1))
	big := make([]byte, 1000)
	if n, err := dev.Read(big); n != 1000 || err != nil {
		t.Fatalf("reread after spacing back = %d, %v", n, err)
	}
	if n, err := dev.Read(big); string(big[:n]) != "second" || err != nil {
		t.Fatalf("next record = %q, %v", big[:n], err)
	}
}

func TestSimulatorFixedBlockMode(t *testing.T) {
	m := &Medium{}
	sim := NewSimulator(m)
	dev := openSim(t, sim, true)
	must(t, dev.SetBlockSize(512))
	if st := status(t, dev); st.BlockSize != 512 {
		t.Errorf("status block size = %d, want 512", st.BlockSize)
	}
	_, err := dev.Write(make([]byte, 1000))
	wantErrno(t, "write of 1000 bytes with 512-byte blocks", err, syscall.EINVAL)
	data := make([]byte, 1536)
	for i := range data {
		data[i] = byte(i / 512)
	}
	mustWrite(t, dev, data)
	must(t, dev.SetBlockSize(0))
	mustWrite(t, dev, make([]byte, 100)) // a variable-length record after the fixed blocks
	must(t, dev.Close())
	if got := summary(m); !equalInts(got, []int{512, 512, 512, 100, -1}) {
		t.Fatalf("medium = %v; want one record per block", got)
	}

	dev = openSim(t, sim, false)
	defer dev.Close()
	must(t, dev.Rewind())
	must(t, dev.SetBlockSize(512))
	_, err = dev.Read(make([]byte, 1000))
	wantErrno(t, "read of 1000 bytes with 512-byte blocks", err, syscall.EINVAL)
	buf := make([]byte, 1024)
	if n, err := dev.Read(buf); n != 1024 || err != nil || !bytes.Equal(buf, data[:1024]) {
		t.Fatalf("read two blocks = %d, %v", n, err)
	}
	big := make([]byte, 4096)
	if n, err := dev.Read(big); n != 512 || err != nil || !bytes.Equal(big[:n], data[1024:]) {
		t.Fatalf("read stopping before the odd-sized record = %d, %v", n, err)
	}
	_, err = dev.Read(big)
	wantErrno(t, "read a 100-byte record with 512-byte blocks", err, syscall.EIO)
}

func TestSimulatorRejectsOversizedRecordAndBadBlockSize(t *testing.T) {
	dev := openSim(t, NewSimulator(&Medium{}), true)
	defer dev.Close()
	_, err := dev.Write(make([]byte, SimulatorMaxRecord+1))
	wantErrno(t, "record above the drive's block limit", err, syscall.EINVAL)
	wantErrno(t, "negative block size", dev.SetBlockSize(-1), syscall.EINVAL)
	wantErrno(t, "block size beyond 24 bits", dev.SetBlockSize(1<<24), syscall.EINVAL)
}

// The st driver's documented sequence: the write reaching early warning
// succeeds; then writes fail and succeed alternately; at the physical end
// every write fails.
func TestSimulatorEarlyWarningThenHardEnd(t *testing.T) {
	m := &Medium{Capacity: 10_000, EarlyWarning: 3_000}
	dev := openSim(t, NewSimulator(m), true)
	record := make([]byte, 1000)
	var got []bool
	for range 16 {
		n, err := dev.Write(record)
		switch {
		case err == nil && n == len(record):
			got = append(got, true)
		case IsEndOfMedium(err) && n == 0:
			got = append(got, false)
		default:
			t.Fatalf("write = %d, %v", n, err)
		}
		if len(got) == 7 && !status(t, dev).PastEarlyWarning {
			t.Error("status after reaching the early-warning zone: not past early warning")
		}
	}
	want := []bool{
		true, true, true, true, true, true, true, // the 7th reaches 7000 = early warning
		false, true, false, true, false, true, // room for trailers, alternately
		false, false, false, // the medium is full
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("write results = %v\nwant            %v", got, want)
		}
	}
	if m.Used() != 10_000 {
		t.Errorf("used = %d, want the full capacity", m.Used())
	}
	must(t, dev.WriteFilemark(1)) // drives keep room for filemarks
	must(t, dev.Close())
	if got := summary(m); got[len(got)-1] != -1 || len(got) != 11 {
		t.Errorf("medium = %v; want 10 records and one filemark", got)
	}
}

func TestSimulatorFixedBlockWriteCutAtHardEnd(t *testing.T) {
	m := &Medium{Capacity: 2048}
	dev := openSim(t, NewSimulator(m), true)
	defer dev.Close()
	must(t, dev.SetBlockSize(512))
	n, err := dev.Write(make([]byte, 4096))
	if n != 2048 || !IsEndOfMedium(err) {
		t.Fatalf("write past the end = %d, %v; want 2048 bytes and ENOSPC", n, err)
	}
}

func TestSimulatorWriteProtect(t *testing.T) {
	m := &Medium{WriteProtected: true}
	sim := NewSimulator(m)
	_, err := sim.Open(true)
	wantErrno(t, "open a write-protected cartridge for writing", err, syscall.EROFS)

	dev := openSim(t, sim, false)
	defer dev.Close()
	if !status(t, dev).WriteProtected {
		t.Error("status: not write-protected")
	}
	wantErrno(t, "filemark on a read-only handle", dev.WriteFilemark(1), syscall.EACCES)
	if len(m.Records()) != 0 {
		t.Error("write-protected medium was changed")
	}
}

func TestSimulatorOneUserAtATime(t *testing.T) {
	sim := NewSimulator(&Medium{})
	dev := openSim(t, sim, true)
	_, err := sim.Open(false)
	wantErrno(t, "second open", err, syscall.EBUSY)
	_, err = sim.OpenStatus()
	wantErrno(t, "status open while in use", err, syscall.EBUSY)
	must(t, dev.Close())
	if err := dev.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second close: %v, want os.ErrClosed", err)
	}
	if _, err := dev.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("write after close: %v, want os.ErrClosed", err)
	}
	must(t, openSim(t, sim, false).Close())
}

func TestSimulatorEmptyDriveAndMediaChange(t *testing.T) {
	sim := NewSimulator(nil)
	_, err := sim.Open(true)
	wantErrno(t, "open an empty drive", err, errNoMedium)

	// A status handle opens at once and follows the drive.
	watch, err := sim.OpenStatus()
	must(t, err)
	if st := status(t, watch); st.Loaded || st.Online {
		t.Errorf("empty drive status = %+v", st)
	}
	first := &Medium{Density: 0x60}
	must(t, sim.Load(first))
	if st := status(t, watch); !st.Loaded || !st.Online || !st.AtBOT || st.Density != 0x60 {
		t.Errorf("status after load = %+v", st)
	}
	must(t, watch.Close())

	dev := openSim(t, sim, true)
	mustWrite(t, dev, []byte("volume 1"))
	must(t, dev.Eject()) // writes the filemark first
	_, err = dev.Write([]byte("x"))
	wantErrno(t, "write after eject", err, errNoMedium)
	if sim.Medium() != nil {
		t.Error("medium still loaded after eject")
	}

	second := &Medium{}
	must(t, sim.Load(second))
	wantErrno(t, "load into a full drive", sim.Load(&Medium{}), syscall.EBUSY)
	_, err = dev.Write([]byte("x"))
	wantErrno(t, "write through a handle opened on the previous cartridge", err, syscall.EIO)
	must(t, dev.Close())

	dev = openSim(t, sim, true)
	mustWrite(t, dev, []byte("volume 2"))
	must(t, dev.Close())
	if got := summary(first); !equalInts(got, []int{8, -1}) {
		t.Errorf("first cartridge = %v", got)
	}
	if got := second.Records(); len(got) != 2 || string(got[0].Data) != "volume 2" {
		t.Errorf("second cartridge = %v", summary(second))
	}
}

// Three files: A (2 records), B (3 records), C (1 record), each ended by a filemark.
func threeFiles(t *testing.T) (*Simulator, *Medium) {
	t.Helper()
	m := &Medium{}
	sim := NewSimulator(m)
	dev := openSim(t, sim, true)
	for _, file := range []string{"AA", "BBB", "C"} {
		for _, c := range file {
			mustWrite(t, dev, []byte{byte(c)})
		}
		must(t, dev.WriteFilemark(1))
	}
	must(t, dev.Close()) // no extra filemark: the last operation was not a write
	if got := summary(m); !equalInts(got, []int{1, 1, -1, 1, 1, 1, -1, 1, -1}) {
		t.Fatalf("medium = %v", got)
	}
	return sim, m
}

func TestSimulatorPositions(t *testing.T) {
	sim, _ := threeFiles(t)
	dev := openSim(t, sim, false)
	defer dev.Close()
	buf := make([]byte, 16)
	readByte := func() string {
		t.Helper()
		n, err := dev.Read(buf)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		return string(buf[:n])
	}
	pos := func(wantFile, wantBlock int64) Status {
		t.Helper()
		st := status(t, dev)
		if st.FileNumber != wantFile || st.BlockNumber != wantBlock {
			t.Errorf("position = file %d block %d, want file %d block %d", st.FileNumber, st.BlockNumber, wantFile, wantBlock)
		}
		return st
	}

	must(t, dev.Rewind())
	if !pos(0, 0).AtBOT {
		t.Error("not at BOT after rewind")
	}
	must(t, dev.SpaceFilemarks(1))
	if st := pos(1, 0); !st.AtFilemark || st.AtBOT {
		t.Errorf("after spacing one filemark: %+v", st)
	}
	if got := readByte(); got != "B" {
		t.Errorf("first record of file 1 = %q", got)
	}
	pos(1, 1)
	if block, _ := dev.Tell(); block != 4 {
		t.Errorf("tell = %d, want 4 (two records, a filemark, one record)", block)
	}

	wantErrno(t, "space records back over a filemark", dev.SpaceRecords(-2), syscall.EIO)
	pos(0, -1) // stopped before the filemark ending A
	if n, err := dev.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("read at A's filemark = %d, %v", n, err)
	}
	must(t, dev.SpaceRecords(2))
	pos(1, 2)
	wantErrno(t, "space records over a filemark", dev.SpaceRecords(5), syscall.EIO)
	pos(2, 0) // stopped just after the filemark
	if got := readByte(); got != "C" {
		t.Errorf("after the filemark = %q", got)
	}

	must(t, dev.SpaceFilemarks(-2)) // back over the filemarks ending B and A...
	pos(0, -1)                      // ...to just before A's; the block is unknown
	if n, err := dev.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("read at A's filemark = %d, %v", n, err)
	}
	pos(1, 0)

	must(t, dev.SeekBlock(3))
	pos(-1, -1) // the driver does not know file and block after a seek
	if got := readByte(); got != "B" {
		t.Errorf("record at block 3 = %q", got)
	}
	wantErrno(t, "seek beyond end of data", dev.SeekBlock(99), syscall.EIO)

	must(t, dev.SpaceToEOD())
	if st := pos(3, 0); !st.AtEOD {
		t.Errorf("after space to EOD: %+v", st)
	}
	if block, _ := dev.Tell(); block != 9 {
		t.Errorf("tell at EOD = %d, want 9", block)
	}
	wantErrno(t, "space forward past EOD", dev.SpaceFilemarks(1), syscall.EIO)
	_, err := dev.Read(buf)
	wantErrno(t, "read at EOD reached by spacing", err, syscall.EIO)
}

func TestSimulatorAppendAndOverwrite(t *testing.T) {
	sim, m := threeFiles(t)
	dev := openSim(t, sim, true)
	must(t, dev.SpaceToEOD())
	mustWrite(t, dev, []byte("DD"))
	must(t, dev.Rewind()) // after a write the driver ends the file first
	must(t, dev.Close())  // and close adds nothing more
	if got := summary(m); !equalInts(got, []int{1, 1, -1, 1, 1, 1, -1, 1, -1, 2, -1}) {
		t.Fatalf("after append = %v", got)
	}

	dev = openSim(t, sim, true)
	must(t, dev.Rewind())
	must(t, dev.SpaceFilemarks(1))
	mustWrite(t, dev, []byte("X")) // writing in the middle makes a new end of data
	must(t, dev.Close())
	if got := summary(m); !equalInts(got, []int{1, 1, -1, 1, -1}) {
		t.Fatalf("after overwrite = %v", got)
	}

	dev = openSim(t, sim, false)
	must(t, dev.Close()) // closing after reads or nothing writes no filemark
	if got := summary(m); len(got) != 5 {
		t.Errorf("medium changed by a read-only open: %v", got)
	}
}

func TestSimulatorKeepsPositionAcrossOpens(t *testing.T) {
	sim, _ := threeFiles(t)
	dev := openSim(t, sim, false)
	must(t, dev.Rewind())
	must(t, dev.SpaceFilemarks(2))
	must(t, dev.Close())

	dev = openSim(t, sim, false) // a non-rewinding node: still at file 2
	defer dev.Close()
	buf := make([]byte, 8)
	if n, err := dev.Read(buf); err != nil || string(buf[:n]) != "C" {
		t.Errorf("first read after reopening = %q, %v; want file 2's record", buf[:n], err)
	}
}

// An operator inserts the cartridge while the job polls the drive, as the UI
// does; run with -race this checks the simulator's locking.
func TestSimulatorLoadWhilePolling(t *testing.T) {
	sim := NewSimulator(nil)
	m := &Medium{}
	go func() {
		if err := sim.Load(m); err != nil {
			t.Error(err)
		}
	}()
	for loaded := false; !loaded; {
		watch, err := sim.OpenStatus()
		must(t, err)
		loaded = status(t, watch).Online
		must(t, watch.Close())
	}
	dev := openSim(t, sim, true)
	mustWrite(t, dev, []byte("after the swap"))
	must(t, dev.Close())
	if len(m.Records()) != 2 {
		t.Errorf("medium = %v", summary(m))
	}
}
