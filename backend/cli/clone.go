package cli

import (
	"ferry/backend/ops"

	"github.com/spf13/cobra"
)

func init() { mirrorVerbs = append(mirrorVerbs, newCloneCmd) }

func newCloneCmd(g *globals) *cobra.Command {
	req := ops.Request{Kind: ops.Clone}
	var partial continued
	cmd := &cobra.Command{
		Use:   "clone SOURCES-FILE MAPPER",
		Short: "Copy every image of a sources list straight to the destinations MAPPER gives",
		Long: `Clone copies every image of SOURCES-FILE to the repositories MAPPER maps it to,
with no gather repository in between: for connected networks. Images are described
to MAPPER exactly as a gather index describes them (source and labels annotations),
so the same rules give the same destinations as gather followed by scatter.

SOURCES-FILE has one fully qualified reference per line, optionally followed by
",key=value" labels; lines starting with # are comments.

` + mapperHelp,
		Example: `  ferry mirror clone sources.list nest=reg.other.example/mirror
  ferry mirror clone sources.list all-prefix=rules.csv --check
  ferry mirror clone sources.list go-template=dest.tmpl -p linux/amd64 -l component=core --continue`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.SourcesFile, req.Mapper = args[0], args[1]
			g.referrers(&req)
			return partial.exit(cmd, g.runOp(cmd, req, partial.report("Cloned")))
		},
	}
	f := cmd.Flags()
	f.BoolVar(&req.Check, "check", false, "print every destination and push nothing")
	f.BoolVar(&req.Continue, "continue", false, continueHelp)
	f.StringSliceVarP(&req.Platforms, "platforms", "p", nil, "keep only these platforms of multi-platform images (os/arch[/variant]); the copied index gets a new digest")
	f.StringArrayVarP(&req.Selectors, "selector", "l", nil, selectorHelp)
	g.addOutputFlags(f)
	return cmd
}
