package cli

import (
	"github.com/spf13/pflag"

	"ferry/backend/ops"
)

// addSinceFlags adds the flags of an incremental serialize: leave out what
// a site's latest receipt lists or what an earlier confirmed run wrote.
func addSinceFlags(f *pflag.FlagSet, r *ops.Request) {
	f.StringVar(&r.SinceReceipt, "since-receipt", "", "leave out every blob the latest receipt of site SITE lists (ferry receipt import); refused while a medium sent to SITE since is unconfirmed")
	f.StringVar(&r.SinceRun, "since-run", "", "leave out what the earlier serialize RUN-ID wrote, once a receipt confirms its medium")
	f.BoolVar(&r.IncludeUnconfirmed, "include-unconfirmed", false, "with --since-receipt: send again the content of media sent to the site that no receipt confirms")
}
