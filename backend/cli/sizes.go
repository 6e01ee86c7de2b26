package cli

import (
	"fmt"
	"math"

	"ferry/backend/config"
)

// sizeInt turns a size flag into an int, refusing sizes below min and
// sizes an int cannot hold.
func sizeInt(flag string, s config.Size, min int64) (int, error) {
	switch {
	case int64(s) < min:
		return 0, fmt.Errorf("--%s %d: must be at least %d bytes", flag, int64(s), min)
	case int64(s) > math.MaxInt:
		return 0, fmt.Errorf("--%s %d: too large", flag, int64(s))
	}
	return int(s), nil
}

// readBlockHelp describes --block-size of the verbs that read a medium. The
// reference takes a plain number there ("If 0 then no buffer is used");
// Ferry reads tapes in variable-size records and grows its buffer as
// needed, so the value only sets the first read.
const readBlockHelp = "first read size on a tape, or read size on other devices, e.g. 1Mi, 1MB, 1048576 (0 or unset: 1 MiB, grown as needed)"
