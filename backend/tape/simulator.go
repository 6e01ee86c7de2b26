package tape

import (
	"fmt"
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

func (s *Simulator) fail(op string, errno syscall.Errno) error {
	return &os.PathError{Op: op, Path: s.name, Err: errno}
}

func (s *Simulator) rewind() {
	s.pos, s.fileNo, s.blockNo = 0, 0, 0
	s.eom, s.read, s.atEOD, s.lastWrite = eomNone, readNone, false, false
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
