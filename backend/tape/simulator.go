package tape

import (
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
)

// Medium is a simulated tape cartridge: records and filemarks in order.
// Set the exported fields before loading it into a Simulator.
type Medium struct {
	// Capacity is how many data bytes fit; 0 means unlimited. Filemarks
	// take no room.
	Capacity int64
	// EarlyWarning is the size of the zone before Capacity in which writes
	// report the end of the medium (see IsEndOfMedium).
	EarlyWarning int64
	// WriteProtected is the cartridge's write-protect tab.
	WriteProtected bool
	// Density is the density code the drive reports (e.g. 0x60 for LTO-9).
	Density uint8

	mu      sync.Mutex
	records []Record
	used    int64 // data bytes in records
}

// Record is one record of a medium: a block of data or a filemark.
type Record struct {
	Filemark bool
	Data     []byte
}

// Records returns a copy of everything written on the medium, in order.
func (m *Medium) Records() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Record, len(m.records))
	for i, r := range m.records {
		out[i] = Record{Filemark: r.Filemark, Data: append([]byte(nil), r.Data...)}
	}
	return out
}

// Used returns the data bytes recorded on the medium.
func (m *Medium) Used() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.used
}

// truncate drops everything from record i on: writing on tape makes the
// write position the new end of data. The caller holds m.mu.
func (m *Medium) truncate(i int) {
	for _, r := range m.records[i:] {
		m.used -= int64(len(r.Data))
	}
	m.records = m.records[:i]
}

// appendRecord adds a copy of data as one record. The caller holds m.mu.
func (m *Medium) appendRecord(data []byte) {
	m.records = append(m.records, Record{Data: append([]byte(nil), data...)})
	m.used += int64(len(data))
}

// eomState follows the st driver's end-of-medium handshake for writes.
type eomState int

const (
	eomNone   eomState = iota
	eomWarned          // the last write reached the early-warning zone: the next one fails
	eomGrace           // a write failed with ENOSPC: the next one may proceed
)

// readState follows what reads have met, for the driver's "two zero-length
// reads mean end of data" rule.
type readState int

const (
	readNone      readState = iota
	readFilemark            // the last read crossed a filemark
	readEndOfData           // at end of data: reads fail with EIO
)

// Simulator is an in-memory tape drive that behaves like a drive under
// Linux's st driver through its non-rewinding node, for tests: the position
// survives Close and reopening, one user at a time (EBUSY), ENOMEDIUM when
// empty (at once; a real drive first waits for a cartridge), EROFS when opening a write-protected cartridge for writing, EBADF
// for writes through a read-only handle (EACCES for its filemarks), fixed- and
// variable-block modes (EINVAL for a write that is not a multiple of a fixed
// block size or a record above SimulatorMaxRecord), ENOMEM
// for a read buffer smaller than a variable-length record (the record is then
// skipped, as on a real drive), the early-warning and end-of-medium sequence
// described on IsEndOfMedium, a filemark written on Close, Rewind, Eject,
// backward spacing and SeekBlock after writes, and file/block positions as the
// driver reports them. Fixed-block reads must ask for a multiple of the block
// size (the driver's portable behaviour).
//
// It is safe for concurrent use, so a test can play the operator who swaps
// cartridges (Load) while another goroutine polls the drive.
type Simulator struct {
	name string

	mu         sync.Mutex
	medium     *Medium
	generation int // bumped at every load and eject
	inUse      bool
	pos        int   // index of the next record on the medium
	fileNo     int64 // -1 when unknown
	blockNo    int64 // -1 when unknown
	blockSize  int
	eom        eomState
	read       readState
	atEOD      bool // positioned at end of data by spacing or reading
	lastWrite  bool // the last operation wrote data: a filemark is due
}

// SimulatorMaxRecord is the largest variable-length record the Simulator
// accepts (EINVAL above it), the block limit LTO drives report.
const SimulatorMaxRecord = 8 << 20

// NewSimulator returns a drive with m loaded; m may be nil for an empty drive.
func NewSimulator(m *Medium) *Simulator {
	s := &Simulator{name: "simulated-tape"}
	if m != nil {
		s.load(m)
	}
	return s
}

// Load inserts a cartridge, as an operator changing media does. It fails
// when the drive already holds one (Eject it first).
func (s *Simulator) Load(m *Medium) error {
	if m == nil {
		return fmt.Errorf("%s: load: no medium given", s.name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.medium != nil {
		return &os.PathError{Op: "load", Path: s.name, Err: syscall.EBUSY}
	}
	s.load(m)
	return nil
}

func (s *Simulator) load(m *Medium) {
	s.medium = m
	s.generation++
	s.blockSize = 0 // a new session starts from the drive's default, variable
	s.rewind()
}

// Medium returns the loaded cartridge, or nil when the drive is empty.
func (s *Simulator) Medium() *Medium {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.medium
}

// Open opens the drive for reading, or writing when write is true, like
// Open does for a real drive.
func (s *Simulator) Open(write bool) (Device, error) {
	return s.open(write, false)
}

// OpenStatus opens the drive for status and control, even when it is empty.
func (s *Simulator) OpenStatus() (Device, error) {
	return s.open(false, true)
}

func (s *Simulator) open(write, nonblock bool) (Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(errno syscall.Errno) (Device, error) {
		return nil, &os.PathError{Op: "open", Path: s.name, Err: errno}
	}
	if s.inUse {
		return fail(syscall.EBUSY)
	}
	if !nonblock {
		if s.medium == nil {
			return fail(errNoMedium)
		}
		if write && s.medium.WriteProtected {
			return fail(syscall.EROFS)
		}
	}
	s.inUse = true
	return &simHandle{s: s, write: write, generation: s.generation}, nil
}

// simHandle is one open of a Simulator.
type simHandle struct {
	s          *Simulator
	write      bool
	generation int // the medium this handle was opened with
	closed     bool
}

// begin locks the drive and checks the handle may act on the medium.
func (h *simHandle) begin(op string) (*Simulator, error) {
	s := h.s
	s.mu.Lock()
	if h.closed {
		s.mu.Unlock()
		return nil, &os.PathError{Op: op, Path: s.name, Err: os.ErrClosed}
	}
	if s.medium == nil {
		s.mu.Unlock()
		return nil, &os.PathError{Op: op, Path: s.name, Err: errNoMedium}
	}
	if s.generation != h.generation {
		// The cartridge changed since this handle was opened: reopen.
		s.mu.Unlock()
		return nil, &os.PathError{Op: op, Path: s.name, Err: syscall.EIO}
	}
	return s, nil
}

func (s *Simulator) fail(op string, errno syscall.Errno) error {
	return &os.PathError{Op: op, Path: s.name, Err: errno}
}

func (h *simHandle) Read(p []byte) (int, error) {
	s, err := h.begin("read")
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	if !h.readable() {
		return 0, s.fail("read", syscall.EBADF)
	}
	s.lastWrite = false
	m := s.medium
	m.mu.Lock()
	defer m.mu.Unlock()

	if s.pos >= len(m.records) {
		// Blank tape: the driver turns the first blank check after a
		// filemark into a zero-length read, and fails every other.
		if s.read == readFilemark {
			s.read, s.atEOD = readEndOfData, true
			return 0, io.EOF
		}
		s.read, s.atEOD = readEndOfData, true
		return 0, s.fail("read", syscall.EIO)
	}
	if m.records[s.pos].Filemark {
		s.pos++
		s.crossFilemarkForward()
		s.read = readFilemark
		return 0, io.EOF
	}
	s.read = readNone
	if s.blockSize == 0 {
		rec := m.records[s.pos].Data
		s.pos++
		s.countBlocks(1)
		if len(p) < len(rec) {
			return 0, s.fail("read", syscall.ENOMEM)
		}
		return copy(p, rec), nil
	}
	if len(p)%s.blockSize != 0 {
		return 0, s.fail("read", syscall.EINVAL)
	}
	n := 0
	for n < len(p) && s.pos < len(m.records) && !m.records[s.pos].Filemark {
		rec := m.records[s.pos].Data
		if len(rec) != s.blockSize {
			if n > 0 {
				break // deliver what fits; the next read reports the mismatch
			}
			return 0, s.fail("read", syscall.EIO) // "incorrect block size"
		}
		n += copy(p[n:], rec)
		s.pos++
		s.countBlocks(1)
	}
	return n, nil
}

func (h *simHandle) Write(p []byte) (int, error) {
	s, err := h.begin("write")
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	if !h.write {
		return 0, s.fail("write", syscall.EBADF)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if (s.blockSize != 0 && len(p)%s.blockSize != 0) || (s.blockSize == 0 && len(p) > SimulatorMaxRecord) {
		return 0, s.fail("write", syscall.EINVAL)
	}
	m := s.medium
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.WriteProtected {
		return 0, s.fail("write", syscall.EACCES)
	}
	s.read, s.atEOD = readNone, false
	if s.eom == eomWarned {
		s.eom = eomGrace
		return 0, s.fail("write", syscall.ENOSPC)
	}

	m.truncate(s.pos)
	used := m.used
	n := len(p)
	var short error
	if m.Capacity > 0 && used+int64(n) > m.Capacity {
		room := int(m.Capacity - used)
		if s.blockSize == 0 {
			room = 0 // a variable-length record is all or nothing
		} else {
			room -= room % s.blockSize
		}
		n = room
		short = s.fail("write", syscall.ENOSPC)
		s.eom = eomWarned
	}
	written := 0
	for written < n {
		size := n - written
		if s.blockSize != 0 {
			size = s.blockSize
		}
		m.appendRecord(p[written : written+size])
		written += size
		s.pos++
		s.countBlocks(1)
	}
	if written > 0 {
		s.lastWrite = true
	}
	if short != nil {
		return written, short
	}
	if m.Capacity > 0 && used+int64(written) >= m.Capacity-m.EarlyWarning {
		s.eom = eomWarned // this write succeeds; the next reports the end
	} else if s.eom == eomGrace {
		s.eom = eomWarned
	}
	return written, nil
}

func (h *simHandle) Status() (Status, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if h.closed {
		return Status{}, &os.PathError{Op: "MTIOCGET", Path: s.name, Err: os.ErrClosed}
	}
	g := mtget{typ: mtISSCSI2, dsreg: s.blockSize & mtSTBlksizeMask}
	if s.medium == nil {
		g.gstat = gmtDrOpen
		g.fileno, g.blkno = -1, -1
		return decodeStatus(g), nil
	}
	m := s.medium
	m.mu.Lock()
	defer m.mu.Unlock()
	g.dsreg |= int(m.Density) << mtSTDensityShift
	g.fileno, g.blkno = int32(s.fileNo), int32(s.blockNo)
	var gstat uint32 = gmtOnline // the bits the driver sets, as it sets them
	if m.WriteProtected {
		gstat |= gmtWrProt
	}
	if s.blockNo == 0 {
		if s.fileNo == 0 {
			gstat |= gmtBOT
		} else {
			gstat |= gmtEOF
		}
	}
	if s.eom != eomNone {
		gstat |= gmtEOT
	} else if s.atEOD {
		gstat |= gmtEOD
	}
	g.gstat = int(gstat)
	return decodeStatus(g), nil
}

func (h *simHandle) Rewind() error {
	s, err := h.begin("rewind")
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.closeFile()
	s.rewind()
	return nil
}

func (s *Simulator) rewind() {
	s.pos, s.fileNo, s.blockNo = 0, 0, 0
	s.eom, s.read, s.atEOD, s.lastWrite = eomNone, readNone, false, false
}

func (h *simHandle) Eject() error {
	s, err := h.begin("eject")
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.closeFile()
	s.rewind()
	s.medium = nil
	s.generation++
	return nil
}

func (h *simHandle) WriteFilemark(count int) error {
	s, err := h.begin("write filemark")
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if count < 0 {
		return s.fail("write filemark", syscall.EINVAL)
	}
	if !h.write || s.medium.WriteProtected {
		return s.fail("write filemark", syscall.EACCES)
	}
	s.lastWrite = false
	s.writeFilemarks(count)
	return nil
}

// writeFilemarks writes count filemarks at the current position; the
// caller holds s.mu. Drives keep room past the early-warning mark for
// filemarks, so they never fail for space.
func (s *Simulator) writeFilemarks(count int) {
	if count == 0 {
		return
	}
	m := s.medium
	m.mu.Lock()
	defer m.mu.Unlock()
	m.truncate(s.pos)
	for range count {
		m.records = append(m.records, Record{Filemark: true})
		s.pos++
		s.crossFilemarkForward()
	}
	s.eom, s.read, s.atEOD = eomNone, readNone, false
}

// closeFile writes the filemark the driver adds after data when it rewinds,
// ejects, seeks, spaces back over filemarks or closes.
func (s *Simulator) closeFile() {
	if s.lastWrite {
		s.lastWrite = false
		s.writeFilemarks(1)
	}
}

func (h *simHandle) SpaceToEOD() error {
	s, err := h.begin("space to end of data")
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.lastWrite = false
	m := s.medium
	m.mu.Lock()
	defer m.mu.Unlock()
	s.pos, s.fileNo, s.blockNo = 0, 0, 0
	for _, r := range m.records {
		s.pos++
		if r.Filemark {
			s.crossFilemarkForward()
		} else {
			s.countBlocks(1)
		}
	}
	s.eom, s.read, s.atEOD = eomNone, readNone, true
	return nil
}

func (h *simHandle) SpaceFilemarks(count int) error {
	const op = "space over filemarks"
	s, err := h.begin(op)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if count < 0 {
		s.closeFile()
	}
	s.lastWrite = false
	s.eom, s.read, s.atEOD = eomNone, readNone, false
	m := s.medium
	m.mu.Lock()
	defer m.mu.Unlock()
	for ; count > 0; count-- {
		for {
			if s.pos >= len(m.records) {
				s.atEOD = true
				return s.fail(op, syscall.EIO)
			}
			r := m.records[s.pos]
			s.pos++
			if r.Filemark {
				s.crossFilemarkForward()
				break
			}
			s.countBlocks(1)
		}
	}
	for ; count < 0; count++ {
		for {
			if s.pos == 0 {
				s.fileNo, s.blockNo = 0, 0
				return s.fail(op, syscall.EIO)
			}
			s.pos--
			if m.records[s.pos].Filemark {
				break // positioned before the filemark
			}
		}
		if s.fileNo > 0 {
			s.fileNo--
		}
		s.blockNo = -1 // the driver cannot know the block within the file
	}
	return nil
}

func (h *simHandle) SpaceRecords(count int) error {
	const op = "space over records"
	s, err := h.begin(op)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.lastWrite = false // backspacing records writes no filemark
	s.eom, s.read, s.atEOD = eomNone, readNone, false
	m := s.medium
	m.mu.Lock()
	defer m.mu.Unlock()
	for ; count > 0; count-- {
		if s.pos >= len(m.records) {
			s.atEOD = true
			return s.fail(op, syscall.EIO)
		}
		r := m.records[s.pos]
		s.pos++
		if r.Filemark {
			s.crossFilemarkForward() // the drive stops after the filemark
			return s.fail(op, syscall.EIO)
		}
		s.countBlocks(1)
	}
	for ; count < 0; count++ {
		if s.pos == 0 {
			return s.fail(op, syscall.EIO)
		}
		if m.records[s.pos-1].Filemark {
			// The drive stops before the filemark, in the previous file.
			s.pos--
			if s.fileNo > 0 {
				s.fileNo--
			}
			s.blockNo = -1
			return s.fail(op, syscall.EIO)
		}
		s.pos--
		s.countBlocks(-1)
	}
	return nil
}

func (h *simHandle) SetBlockSize(size int) error {
	s, err := h.begin("set block size")
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if size < 0 || size > maxBlockSize {
		return s.fail("set block size", syscall.EINVAL)
	}
	s.blockSize = size
	return nil
}

func (h *simHandle) Tell() (int64, error) {
	s, err := h.begin("tell")
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	return int64(s.pos), nil
}

func (h *simHandle) SeekBlock(block int64) error {
	s, err := h.begin("seek")
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if block < 0 {
		return s.fail("seek", syscall.EINVAL)
	}
	s.closeFile()
	s.eom, s.read, s.atEOD = eomNone, readNone, false
	m := s.medium
	m.mu.Lock()
	defer m.mu.Unlock()
	if block > int64(len(m.records)) {
		s.pos, s.fileNo, s.blockNo, s.atEOD = len(m.records), -1, -1, true
		return s.fail("seek", syscall.EIO) // beyond the end of data
	}
	s.pos = int(block)
	s.fileNo, s.blockNo = -1, -1 // the driver does not know them after a seek
	if block == 0 {
		s.fileNo, s.blockNo = 0, 0
	}
	return nil
}

func (h *simHandle) Close() error {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if h.closed {
		return &os.PathError{Op: "close", Path: s.name, Err: os.ErrClosed}
	}
	h.closed = true
	s.inUse = false
	if s.medium != nil && s.generation == h.generation {
		s.closeFile()
	}
	return nil
}

// readable reports whether the handle was opened for reading: Open(true)
// mirrors O_WRONLY, Open(false) and OpenStatus O_RDONLY.
func (h *simHandle) readable() bool { return !h.write }

func (s *Simulator) crossFilemarkForward() {
	if s.fileNo >= 0 {
		s.fileNo++
	}
	s.blockNo = 0
}

func (s *Simulator) countBlocks(n int64) {
	if s.blockNo >= 0 {
		s.blockNo += n
	}
}

var _ Device = (*simHandle)(nil)
