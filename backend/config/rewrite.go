package config

import (
	"errors"
	"regexp"
	"regexp/syntax"

	"gopkg.in/yaml.v3"
)

// Rewrite is one rewritePull rule: a repository path matching Pattern is
// pulled as Pattern.ReplaceAllString(path, Replacement), so "$1" refers to
// the first group.
type Rewrite struct {
	Pattern     *regexp.Regexp
	Replacement string
}

// Rewrites are a registry's rewritePull rules in file order. The file writes
// them as a mapping from regular expression to replacement.
type Rewrites []Rewrite

// Apply rewrites repo with the first rule that matches it, in file order (the
// reference tool picks an arbitrary matching rule), and reports whether one did.
func (r Rewrites) Apply(repo string) (string, bool) {
	for _, rule := range r {
		if rule.Pattern.MatchString(repo) {
			return rule.Pattern.ReplaceAllString(repo, rule.Replacement), true
		}
	}
	return repo, false
}

// UnmarshalYAML reads the rules, reporting every invalid expression at its position.
func (r *Rewrites) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return nodeError(n, "expected a mapping of regular expression to replacement, got %s", kindName(n))
	}
	var rules Rewrites
	var errs ErrorList
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
			errs = append(errs, nodeError(k, "each rule must be \"regular expression\": \"replacement\""))
			continue
		}
		re, err := regexp.Compile(k.Value)
		if err != nil {
			errs = append(errs, nodeError(k, "invalid regular expression %q: %v", k.Value, unwrapRegexpError(err)))
			continue
		}
		rules = append(rules, Rewrite{Pattern: re, Replacement: v.Value})
	}
	if len(errs) > 0 {
		return errs
	}
	*r = rules
	return nil
}

// MarshalYAML writes the rules back as a mapping, in order.
func (r Rewrites) MarshalYAML() (any, error) {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, rule := range r {
		m.Content = append(m.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: rule.Pattern.String()},
			&yaml.Node{Kind: yaml.ScalarNode, Value: rule.Replacement})
	}
	return m, nil
}

// unwrapRegexpError drops regexp's "error parsing regexp: " prefix, which
// would repeat what the message already says.
func unwrapRegexpError(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return string(se.Code)
	}
	return err.Error()
}
