package store

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Report is an exported run: its record, items, media and log.
type Report struct {
	Format  string `json:"format"`  // json or csv
	Name    string `json:"name"`    // a suggested file name
	Content string `json:"content"` // the report itself
}

// ExportRun renders a run as JSON (everything) or CSV (one row per item).
func (s *Store) ExportRun(id, format string) (Report, error) {
	d, err := s.GetRunDetail(id)
	if err != nil {
		return Report{}, err
	}
	base := fmt.Sprintf("ferry-%s-%s-%s", d.Kind, d.StartedAt.UTC().Format("20060102-150405"), id[:min(8, len(id))])
	switch format {
	case "json":
		lines, err := s.Log(id)
		if err != nil {
			return Report{}, err
		}
		b, err := json.MarshalIndent(map[string]any{"run": d, "log": lines, "exportedAt": time.Now().UTC()}, "", "  ")
		if err != nil {
			return Report{}, err
		}
		return Report{Format: format, Name: base + ".json", Content: string(b) + "\n"}, nil
	case "csv":
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write([]string{"run", "kind", "status", "source", "destination", "digest", "item_status", "bytes", "error"})
		for _, it := range d.Items {
			w.Write([]string{d.ID, d.Kind, d.Status, it.Source, it.Destination, it.Digest, it.Status, strconv.FormatInt(it.Bytes, 10), it.Error})
		}
		w.Flush()
		return Report{Format: format, Name: base + ".csv", Content: buf.String()}, w.Error()
	default:
		return Report{}, fmt.Errorf("report format %q: use json or csv", format)
	}
}
