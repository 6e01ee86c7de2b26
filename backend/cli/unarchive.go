package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"ferry/backend/jobs"
	"ferry/backend/mirror"
	"ferry/backend/session"
)

func init() { mirrorVerbs = append(mirrorVerbs, newUnarchiveCmd) }

func newUnarchiveCmd(g *globals) *cobra.Command {
	var o mirror.UnarchiveOptions
	var blockSize, subset string
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
			mp, err := parseMapper(args[1], o.Selectors)
			if err != nil {
				return err
			}
			if o.Subset, err = readSubset(cmd, subset); err != nil {
				return err
			}
			if blockSize != "" {
				if o.BlockSize, err = parseSize(blockSize); err != nil {
					return fmt.Errorf("--block-size: %w", err)
				}
			}
			o.Source, o.Mapping, o.Mapper = args[0], args[1], mp
			cfg, err := g.config()
			if err != nil {
				return err
			}
			return g.runJob(cmd, func(s *session.Session) (jobs.Spec, error) {
				if o.StoreDir == "" {
					o.StoreDir = s.Paths.Store
				}
				return jobs.Spec{Kind: "unarchive", Args: commandLine(cmd, args), Options: o, Run: func(ctx context.Context, j *jobs.Job) error {
					res, err := mirror.Unarchive(ctx, cliEnv(cmd, jobs.MirrorEnv(cfg, j)), o)
					printDeserialize(cmd.OutOrStdout(), "the local store "+o.StoreDir, res.Deserialize, false)
					if res.Deserialize.Complete {
						printDelivery(cmd.OutOrStdout(), "Unarchived", res.Scatter, false)
					}
					return err
				}}, nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.StoreDir, "store", "", "local OCI store (default $XDG_DATA_HOME/ferry/store)")
	f.BoolVar(&o.Strict, "strict", false, "require the reference's entry order")
	f.StringVar(&blockSize, "block-size", "", "first read size on a tape, or read size on other devices")
	f.StringVar(&subset, "subset", "", "scatter only the images listed in this sources list")
	f.StringArrayVarP(&o.Selectors, "selector", "l", nil, "only images whose labels match (comma = and; repeat for or)")
	f.BoolVar(&o.Continue, "continue", false, "deliver what can be delivered and report every failure at the end")
	f.BoolVarP(&o.Referrers, "recursive", "r", false, "also copy the referrers (signatures, SBOMs) of every manifest")
	return cmd
}
