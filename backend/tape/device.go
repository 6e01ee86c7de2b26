package tape

import (
	"errors"
	"syscall"
)

// Device is an open tape drive: a real one (Open) or a Simulator. Every
// Write puts exactly one record (block) on the medium and every Read returns
// exactly one record, so a Device can sit directly under a block writer or
// reader. Errors wrap syscall.Errno values as Linux's st driver returns them,
// so errors.Is(err, syscall.ENOSPC) works for both. A Device is not safe for
// concurrent use.
type Device interface {
	// Read reads the next record into p and returns its length. A record
	// larger than p fails with ENOMEM in variable-block mode, and the drive
	// has then moved past it (space back one record to retry; RecordReader
	// does). Crossing a filemark returns 0, io.EOF once; the next Read
	// continues with the following file. Blank tape right after a filemark
	// (the end of recorded data) returns 0, io.EOF once more, then EIO.
	Read(p []byte) (int, error)

	// Write writes p as one record (in fixed-block mode, len(p) must be a
	// multiple of the block size). Near the end of the medium it fails with
	// ENOSPC as described on IsEndOfMedium.
	Write(p []byte) (int, error)

	// Status reports the drive and medium state (MTIOCGET).
	Status() (Status, error)

	// Rewind moves to the beginning of the medium. After writes, the drive
	// first writes a filemark.
	Rewind() error

	// Eject rewinds and unloads the medium (MTOFFL).
	Eject() error

	// WriteFilemark writes count filemarks at the current position.
	WriteFilemark(count int) error

	// SpaceToEOD moves to the end of recorded data, ready to append (MTEOM).
	SpaceToEOD() error

	// SpaceFilemarks moves forward over count filemarks (count > 0, ending
	// just after the last) or backward over -count (count < 0, ending just
	// before the last one crossed).
	SpaceFilemarks(count int) error

	// SpaceRecords moves forward (count > 0) or backward (count < 0) over
	// records within the current file. It stops at a filemark with EIO.
	SpaceRecords(count int) error

	// SetBlockSize sets the drive's block size: 0 selects variable-block
	// mode, where each write is one record of its own length.
	SetBlockSize(size int) error

	// Tell returns the logical block address: records and filemarks from the
	// beginning of the medium (MTIOCPOS).
	Tell() (int64, error)

	// SeekBlock moves to a logical block address returned by Tell (MTSEEK). The
	// file and block numbers in Status are unknown (-1) afterwards.
	SeekBlock(block int64) error

	// Close releases the drive. After writes, the drive first writes a
	// filemark, which ends the last file on the medium.
	Close() error
}

// Status is the decoded state of a drive and its medium.
type Status struct {
	Online            bool  `json:"online"`            // a medium is loaded and the drive is ready
	Loaded            bool  `json:"loaded"`            // a medium is in the drive (it may still be loading)
	WriteProtected    bool  `json:"writeProtected"`    // the cartridge's write-protect tab is set
	AtBOT             bool  `json:"atBOT"`             // at the beginning of the medium
	AtEOD             bool  `json:"atEOD"`             // at the end of recorded data
	AtFilemark        bool  `json:"atFilemark"`        // just after a filemark
	PastEarlyWarning  bool  `json:"pastEarlyWarning"`  // in the early-warning zone near the end of the medium
	CleaningRequested bool  `json:"cleaningRequested"` // the drive asks for a cleaning cartridge
	BlockSize         int   `json:"blockSize"`         // bytes per block; 0 means variable-block mode
	Density           uint8 `json:"density"`           // density code of the medium (e.g. 0x60 for LTO-9)
	FileNumber        int64 `json:"fileNumber"`        // files from the beginning; -1 when unknown
	BlockNumber       int64 `json:"blockNumber"`       // records from the start of the file; -1 when unknown
	Partition         int   `json:"partition"`         // active partition
	SoftErrors        int   `json:"softErrors"`        // errors the drive recovered from since the last Status
	DriveType         int   `json:"driveType"`         // mt_type; 0x72 for SCSI-2 and later drives
}

// IsEndOfMedium reports whether err means the medium is full or nearly so.
//
// Linux's st driver, which the Simulator follows, behaves so: the write that
// reaches the early-warning mark succeeds in full; the next write fails with
// ENOSPC and writes nothing; the one after that may proceed (room for a
// trailer), and from then on failing and succeeding writes alternate until
// the physical end, where every write fails with ENOSPC. In fixed-block mode a
// write cut at the physical end returns the bytes written with ENOSPC.
func IsEndOfMedium(err error) bool {
	return errors.Is(err, syscall.ENOSPC)
}
