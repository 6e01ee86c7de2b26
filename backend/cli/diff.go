package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"ferry/backend/jobs"
	"ferry/backend/mirror"
	"ferry/backend/session"
)

func init() { mirrorVerbs = append(mirrorVerbs, newDiffCmd) }

func newDiffCmd(g *globals) *cobra.Command {
	var o mirror.DiffOptions
	var outputs []string
	cmd := &cobra.Command{
		Use:   "diff MIRROR-ARTIFACT [EXISTING-IMAGE...]",
		Short: "List the images of a mirror artifact, leaving out those existing images hold",
		Long: `Diff lists the images of MIRROR-ARTIFACT (a gather index made by gather or
deserialize): their source reference and digest, sorted by reference. Images whose
digest is an EXISTING-IMAGE, or an entry of an EXISTING-IMAGE that is itself a
gather index (e.g. the previous sync), are left out: what is left is what the new
transfer adds.

--expand lists the images of gather indexes nested in MIRROR-ARTIFACT instead of
the nested index. Index-fallback entries are listed like the others.

-o chooses the format: table (default), csv or json; TYPE=FILE writes to FILE.
Repeat -o for several outputs.`,
		Example: `  ferry mirror diff reg.example/transfer:sync-45
  ferry mirror diff reg.example/transfer:sync-45 reg.example/transfer:sync-44
  ferry mirror diff reg.example/transfer:sync-45 --expand -o json=images.json -o table`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			outs, err := parseOutputs(outputs)
			if err != nil {
				return err
			}
			o.Artifact, o.Existing = args[0], args[1:]
			cfg, err := g.config()
			if err != nil {
				return err
			}
			return g.runJob(cmd, func(s *session.Session) (jobs.Spec, error) {
				return jobs.Spec{Kind: "diff", Args: commandLine(cmd, args), Options: o, Run: func(ctx context.Context, j *jobs.Job) error {
					rows, err := mirror.Diff(ctx, jobs.MirrorEnv(cfg, j), o)
					if err != nil {
						return err
					}
					for _, out := range outs {
						if err := out.write(cmd.OutOrStdout(), rows); err != nil {
							return err
						}
					}
					return nil
				}}, nil
			})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.Expand, "expand", false, "list the images of nested mirror artifacts instead of the nested artifact")
	f.StringSliceVarP(&outputs, "output", "o", []string{"table"}, "output format: table, csv or json; TYPE=FILE writes to FILE (repeatable)")
	return cmd
}

// diffOutput is one -o value: a format and an optional file.
type diffOutput struct {
	format string
	file   string
}

func parseOutputs(vals []string) ([]diffOutput, error) {
	var out []diffOutput
	for _, v := range vals {
		format, file, _ := strings.Cut(v, "=")
		switch format {
		case "table", "csv", "json":
		default:
			return nil, fmt.Errorf("unknown output %q: use table, csv or json, optionally TYPE=FILE", v)
		}
		out = append(out, diffOutput{format: format, file: file})
	}
	return out, nil
}

func (d diffOutput) write(stdout io.Writer, rows []mirror.DiffRow) error {
	w := stdout
	if d.file != "" {
		f, err := os.Create(d.file)
		if err != nil {
			return fmt.Errorf("-o %s=%s: %w", d.format, d.file, err)
		}
		defer f.Close()
		w = f
	}
	var err error
	switch d.format {
	case "json":
		if rows == nil {
			rows = []mirror.DiffRow{}
		}
		var b []byte
		if b, err = json.Marshal(rows); err == nil {
			_, err = fmt.Fprintln(w, string(b))
		}
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"reference", "digest"})
		for _, r := range rows {
			cw.Write([]string{r.Reference, r.Digest})
		}
		cw.Flush()
		err = cw.Error()
	default:
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REFERENCE\tDIGEST")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\n", r.Reference, r.Digest)
		}
		err = tw.Flush()
	}
	if err != nil {
		return fmt.Errorf("writing %s output: %w", d.format, err)
	}
	return nil
}
