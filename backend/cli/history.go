package cli

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"ferry/backend/config"
	"ferry/backend/receipt"
	"ferry/backend/report"
	"ferry/backend/session"
	"ferry/backend/store"
)

func init() { register(newHistoryCmd) }

// openStore opens the history database alone: reading history starts no
// jobs and writes no log.
func (g *globals) openStore() (*store.Store, error) {
	path := session.DefaultPaths().DB
	if g.db != "" {
		path = g.db
	}
	return store.Open(path)
}

// withStore runs f on the history database and closes it.
func (g *globals) withStore(f func(*store.Store) error) error {
	st, err := g.openStore()
	if err != nil {
		return err
	}
	defer st.Close()
	return f(st)
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func newHistoryCmd(g *globals) *cobra.Command {
	cmd := groupCommand(&cobra.Command{
		Use:   "history",
		Short: "Runs recorded by the window and the CLI: list, show, search, export",
		Long: `Every operation the window or the CLI runs is recorded in the history database
(--db): its command line, outcome, images, media and the blobs each medium holds.

  ferry history list       the runs, newest first, filtered by kind, status, text, time
  ferry history show RUN   one run: its images, media and checkpoints
  ferry history search Q   where an image went: by reference, digest prefix or label
  ferry history export RUN a report as JSON, CSV or printable HTML, signed if asked

A RUN is a run id or its start, as the list prints it.`,
	})
	cmd.AddCommand(newHistoryListCmd(g), newHistoryShowCmd(g), newHistorySearchCmd(g), newHistoryExportCmd(g))
	return cmd
}

func newHistoryListCmd(g *globals) *cobra.Command {
	var f store.RunFilter
	var since, until string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List runs, newest first",
		Example: `  ferry history list --kind serialize --status failed
  ferry history list --text reg.example/app --since 2026-11-01`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if f.Since, err = parseDay(since); err != nil {
				return fmt.Errorf("--since: %w", err)
			}
			if f.Until, err = parseDay(until); err != nil {
				return fmt.Errorf("--until: %w", err)
			}
			return g.withStore(func(st *store.Store) error {
				runs, err := st.ListRuns(f)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), runs)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "RUN\tKIND\tSTATUS\tSTARTED\tMOVED\tITEMS\tCOMMAND")
				for _, r := range runs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\n", r.ID, r.Kind, r.Status, when(r.StartedAt), HumanBytes(r.BytesDone), r.ItemsDone, r.ItemsTotal, r.Args)
				}
				return tw.Flush()
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Kind, "kind", "", "only runs of this kind (gather, serialize, ...)")
	fl.StringVar(&f.Status, "status", "", "only runs with this status (running, succeeded, failed, cancelled, interrupted)")
	fl.StringVar(&f.Text, "text", "", "only runs whose command, images or destinations contain this, or with a digest that starts so")
	fl.StringVar(&since, "since", "", "only runs started on or after this day (2006-01-02) or time (RFC 3339)")
	fl.StringVar(&until, "until", "", "only runs started before this day or time")
	fl.IntVar(&f.Limit, "limit", 0, "at most this many runs (default 500)")
	fl.BoolVar(&asJSON, "json", false, "print the runs as JSON")
	return cmd
}

// parseDay reads a day (local time) or an RFC 3339 time; "" is none.
func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fmt.Errorf("%q: give a day (2026-11-30) or a time (2026-11-30T14:00:00Z)", s)
	}
	return t, nil
}

func newHistoryShowCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "show RUN",
		Short:   "Show one run: its command, outcome, images and media",
		Example: `  ferry history show 6f1c2a90`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withStore(func(st *store.Store) error {
				id, err := st.ResolveRunID(args[0])
				if err != nil {
					return err
				}
				d, err := st.GetRunDetail(id)
				if err != nil {
					return err
				}
				o, err := st.RunOrigin(id)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), struct {
						store.RunDetail
						Origin store.Origin `json:"origin"`
					}{d, o})
				}
				printRun(cmd.OutOrStdout(), d, o)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the run as JSON")
	return cmd
}

func printRun(w io.Writer, d store.RunDetail, o store.Origin) {
	fmt.Fprintf(w, "Run %s: %s, %s\n", d.ID, d.Kind, d.Status)
	fmt.Fprintf(w, "  command:  %s\n", d.Args)
	fmt.Fprintf(w, "  started:  %s   finished: %s\n", when(d.StartedAt), when(d.FinishedAt))
	if o.Operator != "" || o.Host != "" {
		fmt.Fprintf(w, "  by:       %s on %s, Ferry %s\n", o.Operator, o.Host, o.Version)
	}
	fmt.Fprintf(w, "  moved:    %s of %s, %d of %d items, %d failed\n", HumanBytes(d.BytesDone), HumanBytes(d.BytesTotal), d.ItemsDone, d.ItemsTotal, d.Failures)
	if d.BlobsConfirmed > 0 {
		fmt.Fprintf(w, "  medium:   %d blobs confirmed (%s), last at offset %d\n", d.BlobsConfirmed, HumanBytes(d.BytesConfirmed), d.LastOffset)
	}
	if d.ResumedFrom != "" {
		fmt.Fprintf(w, "  resumes:  %s\n", d.ResumedFrom)
	}
	if d.Error != "" {
		fmt.Fprintf(w, "  error:    %s\n", d.Error)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(d.Media) > 0 {
		fmt.Fprintln(tw, "\nVOLUME\tLABEL\tDEVICE\tSYNC ID\tSIZE")
		for _, m := range d.Media {
			last := ""
			if m.Last {
				last = " (last)"
			}
			fmt.Fprintf(tw, "%d%s\t%s\t%s\t%s\t%s\n", m.Volume, last, m.Label, m.Device, m.SyncID, HumanBytes(m.Bytes))
		}
	}
	if len(d.Items) > 0 {
		fmt.Fprintln(tw, "\nIMAGE\tDIGEST\tDESTINATION\tSTATUS")
		for _, it := range d.Items {
			status := it.Status
			if it.Error != "" {
				status += ": " + it.Error
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", it.Source, short(it.Digest), it.Destination, status)
		}
	}
	tw.Flush()
}

func newHistorySearchCmd(g *globals) *cobra.Command {
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "search QUERY",
		Short: "Find an image across all runs by reference, digest prefix or label",
		Long: `Search finds every run that handled an image, newest first: which transfers carried
it, on which medium, volume and offset, where scatter put it, and when. QUERY is

  a reference or its start   reg.example/team/web:1, reg.example/team/web (every tag),
                             or any part of one (web:1) when no reference starts so
  a digest prefix            sha256:3f2a9c or 3f2a9c (at least 6 hex digits); layers
                             and configs are found on the media that held them
  a label                    team=core: the images a sources list labelled so`,
		Example: `  ferry history search reg.example/team/web:1
  ferry history search sha256:3f2a9c
  ferry history search component=core`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withStore(func(st *store.Store) error {
				hits, err := st.Search(args[0], limit)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), hits)
				}
				if len(hits) == 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "no run handled %s\n", args[0])
					return nil
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "WHEN\tRUN\tKIND\tIMAGE\tDIGEST\tWHERE")
				for _, h := range hits {
					image := h.Source
					if image == "" {
						image = "(blob)"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", when(h.StartedAt), h.RunID, h.Kind, image, short(h.Digest), where(h))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many sightings (default 200)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the sightings as JSON")
	return cmd
}

// where says where a sighting put the image: on which medium, volume and
// offset, and the destination of a scatter or a gather.
func where(h store.Sighting) string {
	if !h.OnMedium {
		if h.ItemStatus != "" && h.ItemStatus != "done" {
			return h.Destination + " (" + h.ItemStatus + ")"
		}
		return h.Destination
	}
	medium := h.Medium
	if medium == "" {
		medium = h.Destination
	}
	s := fmt.Sprintf("%s, volume %d, ends at offset %d", medium, h.Volume, h.Offset)
	if !h.Confirmed {
		s += " (not confirmed by the medium)"
	}
	return s
}

func newHistoryExportCmd(g *globals) *cobra.Command {
	var format, out, site string
	var sign bool
	cmd := &cobra.Command{
		Use:   "export RUN",
		Short: "Write a run's report: JSON, CSV or printable HTML, signed with the site key if asked",
		Long: `Export writes the report of RUN: json (everything recorded), csv (one row per image)
or html (a printable transfer report: tool version, operator, host, media and volumes
with each stream's SHA-256, every image with its digest and destination). Without -o
the report goes to standard output.

--sign signs the report with this site's minisign key (made on first use with --site,
as for receipts) and writes the signature beside it, FILE.minisig; it needs -o.
Check a signed report with 'ferry report verify FILE' or 'minisign -V -p site.pub -m FILE'.`,
		Example: `  ferry history export 6f1c2a90 --format html -o sync-45.html --sign
  ferry history export 6f1c2a90 --format csv > sync-45.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if sign && out == "" {
				return errors.New("--sign needs -o FILE: the signature is written beside the file")
			}
			return g.withStore(func(st *store.Store) error {
				id, err := st.ResolveRunID(args[0])
				if err != nil {
					return err
				}
				text, err := exportReport(st, id, format)
				if err != nil {
					return err
				}
				switch {
				case sign:
					s, err := receipt.OpenSite(siteDir(), site)
					if err != nil {
						return err
					}
					if err := report.Sign(s, out, []byte(text)); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "wrote %s, signed by site %s (key %s) in %s%s\n", out, s.Name, receipt.KeyID(s.Public), out, receipt.SignatureSuffix)
				case out != "":
					if err := config.WriteFile(out, []byte(text), 0o644); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", out)
				default:
					_, err = io.WriteString(cmd.OutOrStdout(), text)
					return err
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "json", "json, csv or html")
	f.StringVarP(&out, "output", "o", "", "write the report to this file (default standard output)")
	f.BoolVar(&sign, "sign", false, "sign the report with the site key; the signature goes to FILE.minisig")
	f.StringVar(&site, "site", "", "the site's name, the first time the site key is made")
	return cmd
}

// exportReport renders run id in format.
func exportReport(st *store.Store, id, format string) (string, error) {
	if format == "html" {
		t, err := report.Collect(st, id)
		if err != nil {
			return "", err
		}
		return t.HTML()
	}
	r, err := st.ExportRun(id, format)
	if err != nil {
		return "", fmt.Errorf("%w (or html)", err)
	}
	return r.Content, nil
}
