package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"ferry/backend/mapping"
	"ferry/backend/mirror"
	"ferry/backend/ops"
)

func init() { mirrorVerbs = append(mirrorVerbs, newScatterCmd) }

// mapperHelp explains MAPPER for scatter and clone.
const mapperHelp = `MAPPER is TYPE=ARG:
  nest=PREFIX            every image under PREFIX: PREFIX/<source>
  first-prefix=FILE.csv  rows "from,to": the first row whose from prefixes the source
  all-prefix=FILE.csv    every matching row
  longest-prefix=FILE.csv the longest matching from (an empty from is a default)
  digests=FILE.csv       rows "digest,destination"
  go-template=FILE       a text/template over the entry descriptor; each non-empty
                         output line is a destination
A destination without tag is tagged "latest"; repo@sha256:... is pushed by digest
only; repo:tag@sha256:... must pin the image's own digest. An image no rule maps is
reported and skipped. Preview with "ferry mapping preview".`

func newScatterCmd(g *globals) *cobra.Command {
	req := ops.Request{Kind: ops.Scatter}
	var partial continued
	cmd := &cobra.Command{
		Use:   "scatter IMAGE MAPPER",
		Short: "Push every image of a gather index to the destinations MAPPER gives",
		Long: `Scatter copies every image listed in the gather index IMAGE (made by gather or
deserialize) to the repositories MAPPER maps it to, and tags it there.

` + mapperHelp,
		Example: `  ferry mirror scatter reg.high.example/transfer:sync-45 nest=reg.high.example/mirror
  ferry mirror scatter reg.high.example/transfer:sync-45 longest-prefix=rules.csv --check
  ferry mirror scatter reg.high.example/transfer:sync-45 go-template=dest.tmpl -l component=core --continue`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Image, req.Mapper = args[0], args[1]
			g.referrers(&req)
			return partial.exit(cmd, g.runOp(cmd, req, partial.report("Scattered")))
		},
	}
	f := cmd.Flags()
	f.BoolVar(&req.Check, "check", false, "print every destination and push nothing")
	f.StringVar(&req.Subset, "subset", "", "scatter only the images listed in this sources list")
	f.StringArrayVarP(&req.Selectors, "selector", "l", nil, selectorHelp)
	f.BoolVar(&req.Continue, "continue", false, continueHelp)
	g.addOutputFlags(f)
	return cmd
}

// printDelivery prints the plan (with --check) or the summary of a scatter
// or clone.
func printDelivery(w io.Writer, verb string, res mirror.ScatterResult, check bool) {
	if check {
		printPlan(w, res.Plan)
		fmt.Fprintf(w, "Check only: %d images would go to %d destinations; nothing was pushed\n", res.Entries-res.Unmatched, res.Destinations)
		return
	}
	if len(res.Plan.Rows) == 0 && len(res.Failures) == 0 {
		return // failed before anything was planned; the error says why
	}
	for _, row := range res.Plan.Rows {
		for _, p := range row.Problems {
			if p.Severity == mapping.SeverityWarning {
				fmt.Fprintf(w, "warning: %s: %s\n", row.Source, p.Message)
			}
		}
	}
	for _, m := range res.SubsetMissing {
		fmt.Fprintf(w, "warning: subset: %s is not in the gather index\n", m)
	}
	fmt.Fprintf(w, "%s %d of %d images to %d destinations (sent %s, mounted %s, skipped %s already present)",
		verb, res.Images, res.Entries, res.Destinations,
		HumanBytes(res.Stats.BytesSent), HumanBytes(res.Stats.BytesMounted), HumanBytes(res.Stats.BytesSkipped))
	if res.Unmatched > 0 {
		fmt.Fprintf(w, "; %d without destination", res.Unmatched)
	}
	if len(res.Failures) > 0 {
		fmt.Fprintf(w, "; %d failed", len(res.Failures))
	}
	fmt.Fprintln(w) // the returned error lists every failure
}
