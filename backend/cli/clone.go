package cli

import (
	"context"

	"github.com/spf13/cobra"

	"ferry/backend/jobs"
	"ferry/backend/mirror"
	"ferry/backend/session"
)

func init() { mirrorVerbs = append(mirrorVerbs, newCloneCmd) }

func newCloneCmd(g *globals) *cobra.Command {
	var o mirror.CloneOptions
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
			m, err := parseMapper(cmd, args[1], o.Selectors)
			if err != nil {
				return err
			}
			srcs, err := readSources(cmd, args[0], nil)
			if err != nil {
				return err
			}
			o.Sources, o.Mapping, o.Mapper, o.Referrers = srcs, args[1], m, g.recursive
			cfg, err := g.config()
			if err != nil {
				return err
			}
			return partial.exit(cmd, g.runJob(cmd, func(s *session.Session) (jobs.Spec, error) {
				return jobs.Spec{Kind: "clone", Args: commandLine(cmd, args), Options: o, Run: func(ctx context.Context, j *jobs.Job) error {
					res, err := mirror.Clone(ctx, jobs.MirrorEnv(cfg, j), o)
					printDelivery(cmd.OutOrStdout(), "Cloned", res, o.Check)
					partial.note(o.Continue, res, err)
					return err
				}}, nil
			}))
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.Check, "check", false, "print every destination and push nothing")
	f.BoolVar(&o.Continue, "continue", false, continueHelp)
	f.StringSliceVarP(&o.Platforms, "platforms", "p", nil, "keep only these platforms of multi-platform images (os/arch[/variant]); the copied index gets a new digest")
	f.StringArrayVarP(&o.Selectors, "selector", "l", nil, selectorHelp)
	g.addOutputFlags(f)
	return cmd
}
