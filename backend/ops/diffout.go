package ops

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"ferry/backend/mirror"
)

// DiffOutput is one -o value of diff: a format and an optional file.
type DiffOutput struct {
	Format string
	File   string
}

// ParseOutputs reads -o values: table, csv or json, optionally TYPE=FILE.
// None is one table.
func ParseOutputs(vals []string) ([]DiffOutput, error) {
	if len(vals) == 0 {
		return []DiffOutput{{Format: "table"}}, nil
	}
	var out []DiffOutput
	for _, v := range vals {
		format, file, _ := strings.Cut(v, "=")
		switch format {
		case "table", "csv", "json":
		default:
			return nil, fmt.Errorf("unknown output %q: use table, csv or json, optionally TYPE=FILE", v)
		}
		out = append(out, DiffOutput{Format: format, File: file})
	}
	return out, nil
}

// Write writes rows in d's format to its file, or to stdout.
func (d DiffOutput) Write(stdout io.Writer, rows []mirror.DiffRow) error {
	w := stdout
	if d.File != "" {
		f, err := os.Create(d.File)
		if err != nil {
			return fmt.Errorf("-o %s=%s: %w", d.Format, d.File, err)
		}
		defer f.Close()
		w = f
	}
	var err error
	switch d.Format {
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
		return fmt.Errorf("writing %s output: %w", d.Format, err)
	}
	return nil
}
