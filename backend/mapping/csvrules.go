package mapping

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/refs"
)

// row is one "a,b" line of a CSV rules file.
type row struct {
	line       int
	a, b       string
	colA, colB int
}

// parseRows reads CSV rules: exactly two fields per line, '#' starts a
// comment line, blank lines are skipped, spaces around fields are ignored.
// Every bad line is reported.
func parseRows(text, file string) ([]row, error) {
	var (
		rows     []row
		problems []RuleProblem
		buf      = bufio.NewReader(nil)
	)
	for i, line := range strings.Split(text, "\n") {
		lineNo := i + 1
		line = strings.TrimSuffix(line, "\r")
		if t := strings.TrimSpace(line); t == "" || t[0] == '#' {
			continue
		}
		// One reader per line, so a stray quote spoils only its own line;
		// csv.NewReader adopts buf as is.
		buf.Reset(strings.NewReader(line))
		cr := csv.NewReader(buf)
		cr.FieldsPerRecord = -1
		cr.TrimLeadingSpace = true
		fields, err := cr.Read()
		if err != nil {
			col := 0
			if pe, ok := err.(*csv.ParseError); ok {
				col, err = pe.Column, pe.Err
			}
			problems = append(problems, RuleProblem{Line: lineNo, Column: col, Message: fmt.Sprintf("cannot read the line as CSV: %v", err)})
			continue
		}
		if len(fields) != 2 {
			problems = append(problems, RuleProblem{Line: lineNo, Column: 1, Message: fmt.Sprintf("want 2 fields, got %d", len(fields))})
			continue
		}
		_, colA := cr.FieldPos(0)
		_, colB := cr.FieldPos(1)
		rows = append(rows, row{
			line: lineNo,
			a:    strings.TrimSpace(fields[0]),
			b:    strings.TrimSpace(fields[1]),
			colA: colA,
			colB: colB,
		})
	}
	if len(problems) > 0 {
		return nil, &RuleError{File: file, Problems: problems}
	}
	return rows, nil
}

// prefixMapper serves first-prefix, all-prefix and longest-prefix. Each row
// is "from,to"; a match replaces the leading from of the source with to, by
// plain string concatenation.
type prefixMapper struct {
	kind string
	rows []row
}

func (m *prefixMapper) Kind() string { return m.kind }

func (m *prefixMapper) Map(_ context.Context, entry v1.Descriptor) ([]string, error) {
	src, err := sourceOf(entry)
	if err != nil {
		return nil, err
	}
	if m.kind == KindLongestPrefix {
		return longestPrefix(src, m.rows), nil
	}
	var dests []string
	for _, r := range m.rows {
		// An empty from is a default only for longest-prefix; the
		// reference tool ignores such rows here.
		if r.a == "" || !strings.HasPrefix(src, r.a) {
			continue
		}
		dests = append(dests, r.b+src[len(r.a):])
		if m.kind == KindFirstPrefix {
			break
		}
	}
	return dests, nil
}

// longestPrefix picks the row with the longest matching from; on a tie the
// later row wins, and an empty from matches every source.
func longestPrefix(src string, rows []row) []string {
	best := -1
	for i, r := range rows {
		if strings.HasPrefix(src, r.a) && (best < 0 || len(r.a) >= len(rows[best].a)) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	r := rows[best]
	return []string{r.b + src[len(r.a):]}
}

// digestMapper sends an entry to every row's destination whose digest equals
// the entry's digest. Destinations are used verbatim.
type digestMapper struct {
	rows []row
}

func newDigests(rows []row, file string) (Mapper, error) {
	var problems []RuleProblem
	for _, r := range rows {
		if _, err := v1.NewHash(r.a); err != nil {
			problems = append(problems, RuleProblem{Line: r.line, Column: r.colA, Message: fmt.Sprintf("invalid digest %q: want sha256:<64 hex digits>", r.a)})
		}
		if _, err := refs.Parse(r.b); err != nil {
			problems = append(problems, RuleProblem{Line: r.line, Column: r.colB, Message: fmt.Sprintf("invalid destination: %v", err)})
		}
	}
	if len(problems) > 0 {
		return nil, &RuleError{File: file, Problems: problems}
	}
	return &digestMapper{rows: rows}, nil
}

func (m *digestMapper) Kind() string { return KindDigests }

func (m *digestMapper) Map(_ context.Context, entry v1.Descriptor) ([]string, error) {
	d := digestOf(entry)
	if d == "" {
		return nil, nil
	}
	var dests []string
	for _, r := range m.rows {
		if r.a == d {
			dests = append(dests, r.b)
		}
	}
	return dests, nil
}
