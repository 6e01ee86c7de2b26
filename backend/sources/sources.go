// Package sources parses and validates sources.list files: one fully
// qualified image reference per line, optionally followed by ",key=value"
// labels. Every problem is reported with its line, all at once.
package sources

import (
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"ferry/backend/refs"
	"ferry/backend/textfile"
)

// MaxProblems is how many problems Check lists; the rest are counted in
// one last problem, so that a huge bad file gives a readable report.
const MaxProblems = 100

// Source is one reference line of a sources.list.
type Source struct {
	Line   int               `json:"line"`             // 1-based line number
	Ref    string            `json:"ref"`              // the reference as written, spaces trimmed
	Labels map[string]string `json:"labels,omitempty"` // nil when the line has none
}

// Severity tells whether a problem stops the job or is only worth a look.
type Severity string

// Severities of a Problem.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Problem is one finding about one line. Column is 1-based, counted in bytes,
// and 0 when the problem concerns the whole line.
type Problem struct {
	Line     int      `json:"line"`
	Column   int      `json:"column,omitempty"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

// String formats the problem as "line:column: message", prefixing warnings
// with "warning: ".
func (p Problem) String() string {
	pos := fmt.Sprint(p.Line)
	if p.Column > 0 {
		pos += fmt.Sprintf(":%d", p.Column)
	}
	if p.Severity == SeverityWarning {
		return pos + ": warning: " + p.Message
	}
	return pos + ": " + p.Message
}

// Error lists every error found in one sources file.
type Error struct {
	File     string
	Problems []Problem // only errors, in line order
}

// Error prints one "file:line:column: message" line per problem.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = e.File + ":" + p.String()
	}
	return strings.Join(lines, "\n")
}

// Parse reads a sources.list. On success it returns every source in file
// order and the warnings (duplicated references); if any line is bad it
// returns an *Error listing them (as Check does, the first MaxProblems and
// a count of the rest). filename only labels messages.
func Parse(r io.Reader, filename string) ([]Source, []Problem, error) {
	text, err := io.ReadAll(io.LimitReader(r, textfile.Limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", filename, err)
	}
	if len(text) > textfile.Limit {
		return nil, nil, fmt.Errorf("%s is larger than %d MiB; a sources list is one reference a line", filename, textfile.Limit>>20)
	}
	srcs, problems := Check(string(text))
	var errs, warnings []Problem
	for _, p := range problems {
		if p.Severity == SeverityError {
			errs = append(errs, p)
		} else {
			warnings = append(warnings, p)
		}
	}
	if len(errs) > 0 {
		return nil, warnings, &Error{File: filename, Problems: errs}
	}
	return srcs, warnings, nil
}

// Check validates sources.list text as the operator types it. It returns the
// sources of the good lines and the problems in line order: the first
// MaxProblems, then one that counts the rest. Duplicated references (also
// two spellings of one image) are warnings, not errors.
func Check(text string) (srcs []Source, problems []Problem) {
	var (
		first = map[string]Source{} // canonical reference -> its first line
		lines = textfile.NewCSVLines()
	)
	text, err := textfile.Clean(text)
	if err != nil {
		return nil, []Problem{{Line: 1, Severity: SeverityError, Message: err.Error()}}
	}
	defer func() { problems = capProblems(problems) }()
	for i, line := range strings.Split(text, "\n") {
		lineNo := i + 1
		line = strings.TrimSuffix(line, "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		src, canonical, lineProblems := checkLine(lines, lineNo, line)
		problems = append(problems, lineProblems...)
		if len(lineProblems) > 0 {
			continue
		}
		if earlier, dup := first[canonical]; dup {
			problems = append(problems, duplicateWarning(src, earlier))
		} else {
			first[canonical] = src
		}
		srcs = append(srcs, src)
	}
	return srcs, problems
}

// capProblems keeps the first MaxProblems and replaces the rest by one
// problem at the first omitted line, an error if any omitted one is.
func capProblems(problems []Problem) []Problem {
	if len(problems) <= MaxProblems {
		return problems
	}
	rest := problems[MaxProblems:]
	summary := Problem{Line: rest[0].Line, Severity: SeverityWarning,
		Message: fmt.Sprintf("and %d more problems from this line on (not listed)", len(rest))}
	for _, p := range rest {
		if p.Severity == SeverityError {
			summary.Severity = SeverityError
			break
		}
	}
	return append(problems[:MaxProblems:MaxProblems], summary)
}

func duplicateWarning(src, earlier Source) Problem {
	msg := fmt.Sprintf("duplicate reference, already on line %d", earlier.Line)
	if src.Ref != earlier.Ref {
		msg = fmt.Sprintf("same image as line %d (%s)", earlier.Line, earlier.Ref)
	}
	return Problem{Line: src.Line, Column: 1, Severity: SeverityWarning, Message: msg}
}

// checkLine parses one non-blank, non-comment line and returns the source,
// its canonical reference for duplicate detection, and the line's errors.
func checkLine(lines *textfile.CSVLines, lineNo int, line string) (Source, string, []Problem) {
	var problems []Problem
	fail := func(col int, format string, args ...any) {
		problems = append(problems, Problem{Line: lineNo, Column: col, Severity: SeverityError, Message: fmt.Sprintf(format, args...)})
	}

	fields, col, err := lines.Fields(line)
	if err != nil {
		fail(col, "%v", err)
		return Source{}, "", problems
	}

	src := Source{Line: lineNo, Ref: strings.TrimSpace(fields[0])}
	var canonical string
	if src.Ref == "" {
		fail(1, "missing reference before the labels")
	} else if r, err := refs.Parse(src.Ref); err != nil {
		fail(lines.Column(0), "bad reference: %v", err)
	} else {
		canonical = r.Canonical()
	}

	keyColumn := map[string]int{}
	for j := 1; j < len(fields); j++ {
		col := lines.Column(j)
		field := strings.TrimSpace(fields[j])
		if field == "" {
			fail(col, "empty label after ','")
			continue
		}
		rawKey, rawValue, ok := strings.Cut(field, "=")
		if !ok {
			fail(col, "malformed label %s: want key=value", textfile.Quote(field))
			continue
		}
		key, value := strings.TrimSpace(rawKey), strings.TrimSpace(rawValue)
		if errs := labelKeyErrors(key); len(errs) > 0 {
			fail(col, "invalid label key %s: %s", textfile.Quote(key), strings.Join(errs, "; "))
			continue
		}
		if errs := labelValueErrors(value); len(errs) > 0 {
			valueCol := col + len(rawKey) + 1 + len(rawValue) - len(strings.TrimLeft(rawValue, " \t"))
			fail(valueCol, "invalid value %s for label %s: %s", textfile.Quote(value), textfile.Quote(key), strings.Join(errs, "; "))
			continue
		}
		if first, dup := keyColumn[key]; dup {
			fail(col, "duplicate label key %s, already set at column %d", textfile.Quote(key), first)
			continue
		}
		keyColumn[key] = col
		if src.Labels == nil {
			src.Labels = map[string]string{}
		}
		src.Labels[key] = value
	}
	return src, canonical, problems
}

// maxLabelKey is the longest qualified name: a 253-byte DNS prefix, '/' and
// a 63-byte name.
const maxLabelKey = validation.DNS1123SubdomainMaxLength + 1 + validation.LabelValueMaxLength

// labelKeyErrors and labelValueErrors are the Kubernetes label checks,
// refusing an overlong field by its length before the patterns, which take
// seconds on a field of megabytes.
func labelKeyErrors(key string) []string {
	if len(key) > maxLabelKey {
		return []string{fmt.Sprintf("must be no more than %d characters", maxLabelKey)}
	}
	return validation.IsQualifiedName(key)
}

func labelValueErrors(value string) []string {
	if len(value) > validation.LabelValueMaxLength {
		return []string{validation.MaxLenError(validation.LabelValueMaxLength)}
	}
	return validation.IsValidLabelValue(value)
}
