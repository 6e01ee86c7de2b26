package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"ferry/backend/jobs"
	"ferry/backend/mirror"
	"ferry/backend/session"
	"ferry/backend/sources"
)

func init() { mirrorVerbs = append(mirrorVerbs, newGatherCmd) }

func newGatherCmd(g *globals) *cobra.Command {
	var o mirror.GatherOptions
	var annotations map[string]string
	var selectors []string
	cmd := &cobra.Command{
		Use:   "gather SOURCES-FILE IMAGE",
		Short: "Copy every image of a sources list into one repository and tag a gather index",
		Example: `  ferry mirror gather sources.list registry.low.example/transfer:sync-45
  ferry mirror gather -p linux/amd64 -r -l component=core sources.list 127.0.0.1:5000/transfer:sync-45`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			srcs, err := readSources(cmd, args[0], selectors)
			if err != nil {
				return err
			}
			o.Sources, o.Dest, o.Annotations, o.Referrers = srcs, args[1], annotations, g.recursive
			cfg, err := g.config()
			if err != nil {
				return err
			}
			return g.runJob(cmd, func(s *session.Session) (jobs.Spec, error) {
				return jobs.Spec{Kind: "gather", Args: commandLine(cmd, args), Options: o, Run: func(ctx context.Context, j *jobs.Job) error {
					res, err := mirror.Gather(ctx, jobs.MirrorEnv(cfg, j), o)
					printWarnings(cmd.OutOrStdout(), res.Warnings)
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "Gathered %d images into %s@%s (%s, %s after dedup; sent %s, skipped %s)\n",
						res.Images, o.Dest, res.Index.Digest, HumanBytes(res.SizeTotal), HumanBytes(res.SizeDedup),
						HumanBytes(res.Stats.BytesSent), HumanBytes(res.Stats.BytesSkipped+res.Stats.BytesMounted))
					return nil
				}}, nil
			})
		},
	}
	f := cmd.Flags()
	f.StringToStringVarP(&annotations, "annotations", "a", nil, "annotations for the gather index (key=value, repeatable)")
	f.BoolVar(&o.IndexFallback, "index-fallback", false, "move index entries into an annotation for registries that reject nested indexes")
	f.StringSliceVarP(&o.Platforms, "platforms", "p", nil, "gather only these platforms (os/arch[/variant][:os.version]): an index gives its matching manifests; a source with none is left out with a warning")
	f.StringArrayVarP(&selectors, "selector", "l", nil, selectorHelp)
	g.addOutputFlags(f)
	return cmd
}

// printWarnings prints what an operation left out, one "warning:" line each.
func printWarnings(w io.Writer, warnings []string) {
	for _, m := range warnings {
		fmt.Fprintf(w, "warning: %s\n", m)
	}
}

// readSources parses a sources list, reporting every bad line at once, and
// applies label selectors.
func readSources(cmd *cobra.Command, path string, selectors []string) ([]sources.Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sources list: %w", err)
	}
	defer f.Close()
	srcs, warnings, err := sources.Parse(f, path)
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s:%s\n", path, w)
	}
	if len(selectors) == 0 {
		return srcs, nil
	}
	if _, err := checkSelectors(cmd, selectors); err != nil {
		return nil, err
	}
	return sources.Select(srcs, selectors)
}

// commandLine renders the verb's command line for history.
func commandLine(cmd *cobra.Command, args []string) string {
	parts := []string{cmd.CommandPath()}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		parts = append(parts, "--"+f.Name+"="+f.Value.String())
	})
	return strings.Join(append(parts, args...), " ")
}
