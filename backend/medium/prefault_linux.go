package medium

import "golang.org/x/sys/unix"

// prefault maps a new chunk's pages in one call, cheaper than the page
// fault per 4 KiB page that the first copy into it would otherwise take.
// Older kernels refuse the advice; the faults then happen as usual.
func prefault(b []byte) { _ = unix.Madvise(b, unix.MADV_POPULATE_WRITE) }
