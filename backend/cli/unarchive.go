package cli

import (
	"context"

	"github.com/spf13/cobra"

	"ferry/backend/config"
	"ferry/backend/jobs"
	"ferry/backend/mirror"
	"ferry/backend/session"
)

func init() { mirrorVerbs = append(mirrorVerbs, newUnarchiveCmd) }

func newUnarchiveCmd(g *globals) *cobra.Command {
	var o mirror.UnarchiveOptions
	var subset string
	var blockSize config.Size
	var partial continued
	cmd := &cobra.Command{
		Use:   "unarchive TAR MAPPER",
		Short: "Read a tar file or tape into the local store and scatter it, with no staging registry",
		Long: `Unarchive is deserialize followed by scatter, with the medium read into Ferry's
local store instead of a registry. An incomplete medium is reported and nothing is
scattered: unarchive the next part (into the same store) first.

` + mapperHelp,
		Example: `  ferry mirror unarchive sync-45.tar nest=reg.high.example/mirror
  ferry mirror unarchive /dev/nst0 longest-prefix=rules.csv --continue`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			mp, err := parseMapper(cmd, args[1], o.Selectors)
			if err != nil {
				return err
			}
			if o.Subset, err = readSubset(cmd, subset); err != nil {
				return err
			}
			if o.BlockSize, err = sizeInt("block-size", blockSize, 0); err != nil {
				return err
			}
			o.Source, o.Mapping, o.Mapper, o.Referrers = args[0], args[1], mp, g.recursive
			cfg, err := g.config()
			if err != nil {
				return err
			}
			return partial.exit(cmd, g.runJob(cmd, func(s *session.Session) (jobs.Spec, error) {
				if o.StoreDir == "" {
					o.StoreDir = s.Paths.Store
				}
				return jobs.Spec{Kind: "unarchive", Args: commandLine(cmd, args), Options: o, Run: func(ctx context.Context, j *jobs.Job) error {
					res, err := mirror.Unarchive(ctx, cliEnv(cmd, jobs.MirrorEnv(cfg, j)), o)
					printDeserialize(cmd.OutOrStdout(), "the local store "+o.StoreDir, res.Deserialize, false)
					if res.Deserialize.Complete {
						printDelivery(cmd.OutOrStdout(), "Unarchived", res.Scatter, o.Check)
						partial.note(o.Continue, res.Scatter, err)
					}
					return err
				}}, nil
			}))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.StoreDir, "store", "", "local OCI store (default $XDG_DATA_HOME/ferry/store)")
	f.BoolVar(&o.Strict, "strict", false, "require the reference's entry order")
	f.Var(&blockSize, "block-size", readBlockHelp)
	f.StringVar(&o.Reference, "reference", "", "tag of the gather index in the local store (default: the tag on the medium)")
	f.BoolVar(&o.Check, "check", false, "read the medium into the local store and print every destination; push nothing to them")
	f.StringVar(&subset, "subset", "", "scatter only the images listed in this sources list")
	f.StringArrayVarP(&o.Selectors, "selector", "l", nil, "only images whose labels match (comma = and; repeat for or)")
	f.BoolVar(&o.Continue, "continue", false, continueHelp)
	g.addOutputFlags(f)
	return cmd
}
