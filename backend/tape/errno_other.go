//go:build !linux

package tape

import "syscall"

// errNoMedium stands in for Linux's ENOMEDIUM, which this system lacks.
const errNoMedium = syscall.ENXIO
