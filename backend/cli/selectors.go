package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"ferry/backend/sources"
)

const selectorHelp = "only images whose labels match this Kubernetes selector (a comma means and; repeat -l for or)"

// checkSelectors parses -l values and prints a notice for each that has a
// comma outside parentheses: Ferry reads "a=b,c=d" as a Kubernetes selector
// (both must hold), where the reference splits the flag at commas and keeps
// what matches any part. The same command line can select less with Ferry,
// so the user is told how to write the reference's meaning.
func checkSelectors(cmd *cobra.Command, selectors []string) (sources.Selector, error) {
	sel, err := sources.ParseSelector(selectors)
	if err != nil {
		return sel, err
	}
	for _, s := range selectors {
		parts := topLevelParts(s)
		if len(parts) < 2 {
			continue
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "notice: -l %q keeps images matching all of %s (Kubernetes selector); ace-dt keeps those matching any of them: for that, write -l %s\n",
			s, strings.Join(parts, " and "), strings.Join(parts, " -l "))
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
