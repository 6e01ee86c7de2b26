package cli

import (
	"github.com/spf13/pflag"

	"ferry/backend/mirror"
)

// serializeFlags parses the serialize media flags as the command line
// would and applies them, without running anything.
func serializeFlags(args ...string) (mirror.SerializeOptions, error) {
	var o mirror.SerializeOptions
	var m mediaFlags
	f := pflag.NewFlagSet("serialize", pflag.ContinueOnError)
	addSerializeFlags(f, &o, &m)
	if err := f.Parse(args); err != nil {
		return o, err
	}
	return o, m.apply(f, &o)
}
