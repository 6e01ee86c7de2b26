// Package mapping turns gather-index entries into destination references
// with the rule types of the reference tool (nest, first-prefix, all-prefix,
// longest-prefix, digests, go-template), and previews the result with the
// problems an operator must see before a scatter or clone.
package mapping

import (
	"context"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/textfile"
)

// SourceAnnotation holds, on each gather-index entry, the source reference
// exactly as written in sources.list.
const SourceAnnotation = "vnd.act3-ace.manifest.source"

// The rule types, as written before '=' in a TYPE=ARG mapping spec.
const (
	KindNest          = "nest"
	KindFirstPrefix   = "first-prefix"
	KindAllPrefix     = "all-prefix"
	KindLongestPrefix = "longest-prefix"
	KindDigests       = "digests"
	KindTemplate      = "go-template"
)

// Kinds lists every rule type, for menus and help text.
func Kinds() []string {
	return []string{KindNest, KindFirstPrefix, KindAllPrefix, KindLongestPrefix, KindDigests, KindTemplate}
}

// Mapper maps one gather-index entry to its destinations. Its methods are
// safe for concurrent use.
type Mapper interface {
	// Kind returns the rule type, e.g. "nest".
	Kind() string
	// Map returns the destinations as the rules write them, not yet
	// normalised; none means the entry is skipped. ctx stops a template
	// run early.
	Map(ctx context.Context, entry v1.Descriptor) ([]string, error)
}

// Parse builds a mapper from a CLI spec "TYPE=ARG". ARG is the repository
// prefix for nest and the path of the CSV or template file otherwise.
func Parse(spec string) (Mapper, error) {
	kind, arg, ok := strings.Cut(spec, "=")
	if !ok || arg == "" {
		return nil, fmt.Errorf("invalid mapping %q: write TYPE=ARG, e.g. nest=reg.example/mirror or longest-prefix=rules.csv", spec)
	}
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	if kind == KindNest {
		return newMapper(kind, arg, "")
	}
	text, err := textfile.Read(arg, textfile.Limit)
	if err != nil {
		return nil, fmt.Errorf("reading %s rules: %w", kind, err)
	}
	return newMapper(kind, string(text), arg)
}

// New builds a mapper from rule text as typed in the editor: the prefix for
// nest, CSV rows or a template otherwise. Bad text gives a *RuleError.
func New(kind, text string) (Mapper, error) {
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	return newMapper(kind, text, "")
}

func checkKind(kind string) error {
	for _, k := range Kinds() {
		if kind == k {
			return nil
		}
	}
	return fmt.Errorf("unknown mapping type %q: use one of %s", kind, strings.Join(Kinds(), ", "))
}

func newMapper(kind, text, file string) (Mapper, error) {
	text, err := textfile.Clean(text)
	if err != nil {
		return nil, &RuleError{File: file, Problems: []RuleProblem{{Line: 1, Message: err.Error()}}}
	}
	switch kind {
	case KindNest:
		return newNest(text)
	case KindTemplate:
		return newTemplate(text, file)
	}
	rows, err := parseRows(text, file, kind)
	if err != nil {
		return nil, err
	}
	if kind == KindDigests {
		return newDigests(rows, file)
	}
	return &prefixMapper{kind: kind, rows: rows}, nil
}

// RuleProblem is one defect of rule text. Line and Column are 1-based;
// Column is 0 when it cannot be told.
type RuleProblem struct {
	Line    int    `json:"line"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

// RuleError lists the defects of one set of rules. File is empty for rules
// typed in the editor.
type RuleError struct {
	File     string        `json:"file,omitempty"`
	Problems []RuleProblem `json:"problems"`
	cause    error         // what a template run failed with, for errors.Is
}

// Unwrap returns the error a template run failed with, e.g. one matching
// ErrBudget; nil for rule text that does not compile.
func (e *RuleError) Unwrap() error { return e.cause }

// Error prints one line per problem, "file:line:column: message" or
// "line L, column C: message" without a file.
func (e *RuleError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		var pos string
		switch {
		case e.File != "" && p.Column > 0:
			pos = fmt.Sprintf("%s:%d:%d", e.File, p.Line, p.Column)
		case e.File != "":
			pos = fmt.Sprintf("%s:%d", e.File, p.Line)
		case p.Column > 0:
			pos = fmt.Sprintf("line %d, column %d", p.Line, p.Column)
		default:
			pos = fmt.Sprintf("line %d", p.Line)
		}
		lines[i] = pos + ": " + p.Message
	}
	return strings.Join(lines, "\n")
}

func sourceOf(entry v1.Descriptor) (string, error) {
	src := entry.Annotations[SourceAnnotation]
	if src == "" {
		if d := digestOf(entry); d != "" {
			return "", fmt.Errorf("entry %s has no %s annotation", d, SourceAnnotation)
		}
		return "", fmt.Errorf("entry has no %s annotation", SourceAnnotation)
	}
	return src, nil
}

// digestOf returns the entry's digest, or "" when it has none (previews of
// a sources list before gather).
func digestOf(entry v1.Descriptor) string {
	if entry.Digest == (v1.Hash{}) {
		return ""
	}
	return entry.Digest.String()
}
