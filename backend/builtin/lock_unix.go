//go:build unix

package builtin

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFile is the file in the storage directory that a running registry,
// or a garbage collection, holds locked.
const lockFile = "ferry.lock"

// lockRoot takes the storage directory for one user at a time.
func lockRoot(root string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(root, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("registry storage: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is in use by a running built-in registry (ferry registry serve, or the window); stop it first", ErrInUse, root)
		}
		return nil, fmt.Errorf("registry storage: %w", err)
	}
	return func() { f.Close() }, nil
}
