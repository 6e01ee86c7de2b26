package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"ferry/backend/jobs"
	"ferry/backend/mapping"
	"ferry/backend/mirror"
	"ferry/backend/ops"
	"ferry/backend/sources"
)

func init() { register(newMappingCmd) }

func newMappingCmd(g *globals) *cobra.Command {
	cmd := groupCommand(&cobra.Command{
		Use:   "mapping",
		Short: "Work with mapping rules (where scatter, clone and unarchive put each image)",
	})
	cmd.AddCommand(newMappingPreviewCmd(g))
	return cmd
}

func newMappingPreviewCmd(g *globals) *cobra.Command {
	var sourcesFile, index string
	var selectors []string
	cmd := &cobra.Command{
		Use:   "preview (--sources FILE | --index IMAGE) MAPPER",
		Short: "Show where every image would land under a mapping, with its problems",
		Long: `Preview applies MAPPER (TYPE=ARG, as for scatter and clone) to every line of a
sources list, or to every entry of a gather index in a registry, and prints one
"source -> destination" line per destination, then the warnings and errors of the
row. Nothing is copied. It exits non-zero when any row has an error.

A sources list is previewed before gather, so images have no digest yet: the
digests mapper matches nothing and a pinned digest is not checked. Preview a
gather index (--index) to see exactly what scatter will do.`,
		Example: `  ferry mapping preview --sources sources.list nest=reg.high.example/mirror
  ferry mapping preview --index reg.high.example/transfer:sync-45 longest-prefix=rules.csv
  ferry mapping preview --sources sources.list go-template=dest.tmpl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (sourcesFile == "") == (index == "") {
				return errors.New("give exactly one of --sources FILE or --index IMAGE")
			}
			m, err := mapping.Parse(args[0])
			if err != nil {
				return err
			}
			notice := func(msg string) { fmt.Fprintln(cmd.ErrOrStderr(), msg) }
			sel, err := ops.CheckSelectors(selectors, notice)
			if err != nil {
				return err
			}
			var entries []v1.Descriptor
			if sourcesFile != "" {
				srcs, err := ops.ReadSources(sourcesFile, "", notice)
				if err != nil {
					return err
				}
				entries = ops.SourceEntries(srcs)
			} else {
				if entries, err = g.indexEntries(cmd, index); err != nil {
					return err
				}
			}
			entries, err = selectEntries(entries, sel)
			if err != nil {
				return err
			}
			res := mapping.PreviewContext(cmd.Context(), entries, m)
			printPlan(cmd.OutOrStdout(), res)
			if !res.OK() {
				return fmt.Errorf("%d errors in the mapping", res.Counts.Errors)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&sourcesFile, "sources", "", "preview the lines of this sources list")
	f.StringVar(&index, "index", "", "preview the entries of this gather index (repository:tag or @digest)")
	f.StringArrayVarP(&selectors, "selector", "l", nil, selectorHelp)
	return cmd
}

func selectEntries(entries []v1.Descriptor, sel sources.Selector) ([]v1.Descriptor, error) {
	if sel.Empty() {
		return entries, nil
	}
	var out []v1.Descriptor
	for _, e := range entries {
		lbls, err := sources.DecodeLabels(e.Annotations[mirror.AnnotationLabels])
		if err != nil {
			return nil, err
		}
		if sel.Matches(lbls) {
			out = append(out, e)
		}
	}
	return out, nil
}

// indexEntries reads the entries of a gather index from its registry.
func (g *globals) indexEntries(cmd *cobra.Command, ref string) ([]v1.Descriptor, error) {
	cfg, err := g.config()
	if err != nil {
		return nil, err
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	entries, _, err := ops.ReadGatherIndex(ctx, jobs.MirrorEnv(cfg, nil), ref)
	if err != nil {
		return nil, fmt.Errorf("gather index %s: %w", ref, err)
	}
	return entries, nil
}

// printPlan writes one "source -> destination" line per destination, the
// problems of each row indented under it, and the counts.
func printPlan(w io.Writer, res mapping.Result) {
	for _, row := range res.Rows {
		for _, d := range row.Destinations {
			fmt.Fprintf(w, "%s -> %s\n", row.Source, d)
		}
		if len(row.Destinations) == 0 {
			fmt.Fprintf(w, "%s -> (none)\n", row.Source)
		}
		for _, p := range row.Problems {
			fmt.Fprintf(w, "  %s: %s\n", p.Severity, p.Message)
		}
	}
	c := res.Counts
	fmt.Fprintf(w, "%d sources, %d destinations, %d unmatched, %d errors, %d warnings\n",
		c.Sources, c.Destinations, c.Unmatched, c.Errors, c.Warnings)
}
