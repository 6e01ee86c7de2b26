package tape

import (
	"errors"
	"os"
	"syscall"
)

// What a program that writes archives on cartridges and reads them back
// needs of a drive beyond Device: telling a drive from other devices,
// reading in variable-block mode, the end of a written file, the last
// writes near the end of the medium, and unloading a cartridge for the next.

// OpenFunc opens a drive for reading or for writing: Open, or a
// Simulator's Open in tests.
type OpenFunc func(path string, write bool) (Device, error)

// Or returns f, or Open when f is nil.
func (f OpenFunc) Or() OpenFunc {
	if f == nil {
		return Open
	}
	return f
}

// IsDrive reports whether path is a tape drive: a character device that
// answers tape commands (a busy drive counts; a terminal does not).
func IsDrive(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	_, err = ReadStatus(path)
	return !errors.Is(err, syscall.ENOTTY) && !errors.Is(err, errors.ErrUnsupported)
}

// OpenRead opens the drive at path for reading in variable-block mode,
// where each read returns one record whatever size it was written in (read
// it through a RecordReader).
func OpenRead(open OpenFunc, path string) (Device, error) {
	dev, err := open.Or()(path, false)
	if err != nil {
		return nil, err
	}
	_ = dev.SetBlockSize(0) // a drive that refuses keeps its mode; reads still tell the size
	return dev, nil
}

// FinishWrite ends the file just written with a filemark and closes the
// drive; with unload it first rewinds and ejects the cartridge, so the
// operator can load the next. Errors are in words (Problem).
func FinishWrite(dev Device, path string, unload bool) error {
	err := dev.WriteFilemark(1)
	if err == nil && unload {
		err = dev.Eject()
	}
	if cerr := dev.Close(); err == nil {
		err = cerr
	}
	return Problem(path, err)
}

// WriteNearEnd writes p as one record past the early-warning mark, where
// the driver refuses every other write while the medium still has room
// (see IsEndOfMedium): a write refused whole is tried once more.
func WriteNearEnd(dev Device, p []byte) (int, error) {
	n, err := dev.Write(p)
	if err != nil && IsEndOfMedium(err) && n == 0 {
		n, err = dev.Write(p)
	}
	return n, err
}

// Unload rewinds and ejects the cartridge in the drive at path, opened
// for reading with open, so the operator can load the next one.
func Unload(open OpenFunc, path string) error {
	dev, err := open.Or()(path, false)
	if err != nil {
		return Problem(path, err)
	}
	err = dev.Eject()
	if cerr := dev.Close(); err == nil {
		err = cerr
	}
	return Problem(path, err)
}
