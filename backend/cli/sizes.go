package cli

import (
	"github.com/spf13/pflag"

	"ferry/backend/config"
)

// sizeValue is a size flag kept as typed ("1Mi", "4.7G") in a Request
// field; it is checked with config.ParseSize when given, and read by ops.
type sizeValue struct{ s *string }

func (v sizeValue) String() string {
	if v.s == nil {
		return ""
	}
	return *v.s
}

func (v sizeValue) Set(s string) error {
	if _, err := config.ParseSize(s); err != nil {
		return err
	}
	*v.s = s
	return nil
}

// Type names the flag's value in help, as the reference tool does.
func (v sizeValue) Type() string { return "bytes" }

func sizeVarP(f *pflag.FlagSet, p *string, name, short, usage string) {
	f.VarP(sizeValue{p}, name, short, usage)
}

// readBlockHelp describes --block-size of the verbs that read a medium. The
// reference takes a plain number there ("If 0 then no buffer is used");
// Ferry reads tapes in variable-size records and grows its buffer as
// needed, so the value only sets the first read.
const readBlockHelp = "first read size on a tape, or read size on other devices, e.g. 1Mi, 1MB, 1048576 (0 or unset: 1 MiB, grown as needed)"
