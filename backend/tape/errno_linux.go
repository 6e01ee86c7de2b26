package tape

import "syscall"

// errNoMedium is what the st driver returns for an empty drive.
const errNoMedium = syscall.ENOMEDIUM
