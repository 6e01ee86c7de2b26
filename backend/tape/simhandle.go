package tape

import (
	"io"
	"os"
	"syscall"
)

// simHandle is one open of a Simulator: the Device its Open returns, with
// the reads, writes and positioning of the st driver.
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
