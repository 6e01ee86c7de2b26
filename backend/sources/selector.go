package sources

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/labels"
)

// Selector is the set of -l/--selector flags: each expression is a Kubernetes
// label selector whose comma-separated requirements must all hold, and a
// label set matches when any one expression does.
type Selector struct {
	any []labels.Selector
}

// ParseSelector parses selector expressions such as "component=core,tier!=db"
// or "module in (a,b)". Every invalid expression is reported.
func ParseSelector(exprs []string) (Selector, error) {
	var (
		s    Selector
		errs []error
	)
	for _, e := range exprs {
		sel, err := labels.Parse(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("invalid selector %q: %w", e, err))
			continue
		}
		s.any = append(s.any, sel)
	}
	if len(errs) > 0 {
		return Selector{}, errors.Join(errs...)
	}
	return s, nil
}

// Empty reports whether the selector has no expressions and so matches all.
func (s Selector) Empty() bool { return len(s.any) == 0 }

// Matches reports whether the labels satisfy any of the expressions. An empty
// selector matches everything, including sources without labels.
func (s Selector) Matches(lbls map[string]string) bool {
	if s.Empty() {
		return true
	}
	set := labels.Set(lbls)
	for _, sel := range s.any {
		if sel.Matches(set) {
			return true
		}
	}
	return false
}

// Select returns the sources whose labels match the selector expressions,
// keeping their order. With no expressions every source is kept.
func Select(srcs []Source, exprs []string) ([]Source, error) {
	sel, err := ParseSelector(exprs)
	if err != nil {
		return nil, err
	}
	var out []Source
	for _, s := range srcs {
		if sel.Matches(s.Labels) {
			out = append(out, s)
		}
	}
	return out, nil
}
