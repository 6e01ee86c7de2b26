package ops

import (
	"fmt"
	"strings"

	"ferry/backend/sources"
)

// CheckSelectors parses -l values and gives a notice for each that has a
// comma outside parentheses: Ferry reads "a=b,c=d" as a Kubernetes selector
// (both must hold), where the reference splits the flag at commas and keeps
// what matches any part. The same command line can select less with Ferry,
// so the operator is told how to write the reference's meaning.
func CheckSelectors(selectors []string, notice func(string)) (sources.Selector, error) {
	sel, err := sources.ParseSelector(selectors)
	if err != nil {
		return sel, err
	}
	for _, s := range selectors {
		parts := topLevelParts(s)
		if len(parts) < 2 {
			continue
		}
		Runtime{Notice: notice}.notice(fmt.Sprintf("notice: -l %q keeps images matching all of %s (Kubernetes selector); ace-dt keeps those matching any of them: for that, write -l %s",
			s, strings.Join(parts, " and "), strings.Join(parts, " -l ")))
	}
	return sel, nil
}

// topLevelParts splits a selector at the commas that separate requirements,
// not those inside "in (a,b)".
func topLevelParts(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(parts, strings.TrimSpace(s[start:]))
}
