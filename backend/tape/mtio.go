package tape

import "unsafe"

// This file mirrors the parts of Linux's <linux/mtio.h> that Ferry uses.
// The structures must match the kernel's layout exactly: C long is Go int on
// every Linux architecture Go supports, and __kernel_daddr_t is a C int.

// mtop is struct mtop, the argument of MTIOCTOP.
type mtop struct {
	op    int16 // one of the mt* operation codes below
	_     int16 // C padding before the int
	count int32 // how many times to do it
}

// mtget is struct mtget, the result of MTIOCGET.
type mtget struct {
	typ    int   // mt_type: MT_ISSCSI2 and friends
	resid  int   // mt_resid: the st driver reports the active partition here
	dsreg  int   // mt_dsreg: block size (low 24 bits) and density code (high 8)
	gstat  int   // mt_gstat: the GMT_* bits
	erreg  int   // mt_erreg: recovered errors since the last status in the low 16 bits
	fileno int32 // mt_fileno: -1 when unknown
	blkno  int32 // mt_blkno: block within the file, -1 when unknown
}

// mtpos is struct mtpos, the result of MTIOCPOS.
type mtpos struct {
	blkno int // logical block address, counting filemarks as blocks
}

// Operation codes for mtop.op.
const (
	mtFSF    = 1  // forward space over filemarks
	mtBSF    = 2  // backward space over filemarks
	mtFSR    = 3  // forward space over records
	mtBSR    = 4  // backward space over records
	mtWEOF   = 5  // write filemarks
	mtREW    = 6  // rewind
	mtOFFL   = 7  // rewind and unload (eject)
	mtEOM    = 12 // space to end of recorded data
	mtSETBLK = 20 // set block size, 0 = variable
	mtSEEK   = 22 // locate to a logical block
)

// Bits of mtget.gstat (GMT_* in mtio.h).
const (
	gmtEOF    = 0x80000000 // just after a filemark
	gmtBOT    = 0x40000000 // at beginning of tape
	gmtEOT    = 0x20000000 // past the early-warning mark
	gmtSM     = 0x10000000 // at a setmark
	gmtEOD    = 0x08000000 // at end of recorded data
	gmtWrProt = 0x04000000 // cartridge is write-protected
	gmtOnline = 0x01000000 // drive is ready with a medium loaded
	gmtDrOpen = 0x00040000 // no medium in the drive
	gmtImRep  = 0x00010000 // immediate report mode
	gmtCln    = 0x00008000 // the drive asks for cleaning
)

// Fields of mtget.dsreg and mtget.erreg for SCSI tapes.
const (
	mtSTBlksizeMask  = 0xffffff
	mtSTDensityShift = 24
	mtSTDensityMask  = 0xff
	mtSTSofterrMask  = 0xffff
)

// mtISSCSI2 is the drive type the st driver reports for SCSI-2 and later drives.
const mtISSCSI2 = 0x72

// maxBlockSize is the largest block size mt_dsreg can carry (24 bits).
const maxBlockSize = mtSTBlksizeMask

// The ioctl request numbers, encoded as the kernel's generic _IOR/_IOW do
// (direction in bits 30-31, size in bits 16-29, type in 8-15, number in 0-7).
// Architectures with another encoding (mips, powerpc, sparc) are not built
// for real drives; see drive_linux.go.
var (
	reqMTIOCTOP = ioc(iocWrite, 'm', 1, unsafe.Sizeof(mtop{}))
	reqMTIOCGET = ioc(iocRead, 'm', 2, unsafe.Sizeof(mtget{}))
	reqMTIOCPOS = ioc(iocRead, 'm', 3, unsafe.Sizeof(mtpos{}))
)

const (
	iocWrite = 1
	iocRead  = 2
)

func ioc(dir, typ, nr, size uintptr) uintptr {
	return dir<<30 | size<<16 | typ<<8 | nr
}

// decodeStatus turns the kernel's mtget into a Status.
func decodeStatus(g mtget) Status {
	gstat := uint32(g.gstat)
	has := func(bit uint32) bool { return gstat&bit != 0 }
	return Status{
		Online:            has(gmtOnline),
		Loaded:            !has(gmtDrOpen),
		WriteProtected:    has(gmtWrProt),
		AtBOT:             has(gmtBOT),
		AtEOD:             has(gmtEOD),
		AtFilemark:        has(gmtEOF),
		PastEarlyWarning:  has(gmtEOT),
		CleaningRequested: has(gmtCln),
		BlockSize:         int(uint(g.dsreg) & mtSTBlksizeMask),
		Density:           uint8(uint(g.dsreg) >> mtSTDensityShift & mtSTDensityMask),
		FileNumber:        int64(g.fileno),
		BlockNumber:       int64(g.blkno),
		Partition:         g.resid,
		SoftErrors:        int(uint(g.erreg) & mtSTSofterrMask),
		DriveType:         g.typ,
	}
}
