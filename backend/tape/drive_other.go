//go:build !(linux && (386 || amd64 || arm || arm64 || loong64 || riscv64 || s390x))

package tape

import (
	"errors"
	"fmt"
	"runtime"
)

var errNoDrives = fmt.Errorf("tape drives are not supported on %s/%s: %w", runtime.GOOS, runtime.GOARCH, errors.ErrUnsupported)

// Open opens a tape device; this platform has no st driver support.
func Open(path string, write bool) (Device, error) { return nil, errNoDrives }

// OpenStatus opens a tape device for status; this platform has no st driver support.
func OpenStatus(path string) (Device, error) { return nil, errNoDrives }

// ReadStatus reads a drive's status; this platform has no st driver support.
func ReadStatus(path string) (Status, error) { return Status{}, errNoDrives }
