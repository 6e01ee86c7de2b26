package mapping

import (
	"context"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/refs"
	"ferry/backend/textfile"
)

// row is one "a,b" line of a CSV rules file.
type row struct {
	line       int
	a, b       string
	colA, colB int
}

// maxProblems is how many problems a RuleError lists; one more counts the
// rest, so that a huge bad file gives a readable report.
const maxProblems = 100

// parseRows reads CSV rules: exactly two fields per line, '#' starts a
// comment line, blank lines are skipped, spaces around fields are ignored.
// Every bad line is reported, a header row too, and a file without rules.
func parseRows(text, file, kind string) ([]row, error) {
	var (
		rows     []row
		problems []RuleProblem
		lines    = textfile.NewCSVLines()
	)
	for i, line := range strings.Split(text, "\n") {
		lineNo := i + 1
		line = strings.TrimSuffix(line, "\r")
		if t := strings.TrimSpace(line); t == "" || t[0] == '#' {
			continue
		}
		fields, col, err := lines.Fields(line)
		if err != nil {
			problems = append(problems, RuleProblem{Line: lineNo, Column: col, Message: err.Error()})
			continue
		}
		if len(fields) != 2 {
			problems = append(problems, RuleProblem{Line: lineNo, Column: 1, Message: fmt.Sprintf("want 2 fields, got %d", len(fields))})
			continue
		}
		colA, colB := lines.Column(0), lines.Column(1)
		r := row{
			line: lineNo,
			a:    strings.TrimSpace(fields[0]),
			b:    strings.TrimSpace(fields[1]),
			colA: colA,
			colB: colB,
		}
		if len(rows) == 0 && isHeader(kind, r) {
			problems = append(problems, RuleProblem{Line: lineNo, Column: 1, Message: fmt.Sprintf(
				"%s,%s is a header row, which rules files do not have (the reference tool takes it as a rule): delete it or make it a comment, # %[1]s,%[2]s", r.a, r.b)})
			continue
		}
		rows = append(rows, r)
	}
	if len(problems) > 0 {
		return nil, &RuleError{File: file, Problems: capProblems(problems)}
	}
	if len(rows) == 0 {
		return nil, &RuleError{File: file, Problems: []RuleProblem{{Line: 1, Message: "no rules: write one " + rowShape(kind) + " line per rule"}}}
	}
	return rows, nil
}

// rowShape names the two fields of a rule row of kind.
func rowShape(kind string) string {
	if kind == KindDigests {
		return "digest,destination"
	}
	return "from,to"
}

// isHeader tells the column names people put above CSV rules; only these
// exact words, so that no real rule is mistaken for one.
func isHeader(kind string, r row) bool {
	a, b := strings.ToLower(r.a), strings.ToLower(r.b)
	if kind == KindDigests {
		return a == "digest" && (b == "destination" || b == "dest" || b == "to")
	}
	return a == "from" && b == "to" || a == "source" && b == "destination"
}

// capProblems keeps the first maxProblems and counts the rest in one more,
// at the first omitted line.
func capProblems(problems []RuleProblem) []RuleProblem {
	if len(problems) <= maxProblems {
		return problems
	}
	rest := problems[maxProblems:]
	return append(problems[:maxProblems:maxProblems], RuleProblem{Line: rest[0].Line,
		Message: fmt.Sprintf("and %d more problems from this line on (not listed)", len(rest))})
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
			problems = append(problems, RuleProblem{Line: r.line, Column: r.colA, Message: fmt.Sprintf("invalid digest %s: want sha256:<64 hex digits>", textfile.Quote(r.a))})
		}
		if _, err := refs.Parse(r.b); err != nil {
			problems = append(problems, RuleProblem{Line: r.line, Column: r.colB, Message: fmt.Sprintf("invalid destination: %v", err)})
		}
	}
	if len(problems) > 0 {
		return nil, &RuleError{File: file, Problems: capProblems(problems)}
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
