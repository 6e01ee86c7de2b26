package mapping

import (
	"context"
	"fmt"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/refs"
)

// nestMapper puts every source under one repository prefix P: "P/source".
//
// A registry port cannot appear inside a repository path, so the source's
// registry host is lowercased and its ':' becomes '_' (a character no
// hostname has, so no two registries end up in one place):
//
//	nest=reg.example/mirror, quay.io/ceph/ceph:v16.2.7  -> reg.example/mirror/quay.io/ceph/ceph:v16.2.7
//	nest=reg.example/mirror, localhost:5000/a/b:1       -> reg.example/mirror/localhost_5000/a/b:1
//
// The reference tool keeps the ':' and so produces an invalid reference for
// such sources. An IPv6 host ("[::1]:5000") still yields an invalid path,
// which Preview reports.
type nestMapper struct {
	prefix string
}

func newNest(text string) (Mapper, error) {
	prefix := strings.TrimRight(strings.TrimSpace(text), "/")
	fail := func(format string, args ...any) (Mapper, error) {
		return nil, &RuleError{Problems: []RuleProblem{{Line: 1, Column: 1, Message: fmt.Sprintf(format, args...)}}}
	}
	if prefix == "" {
		return fail("nest needs a repository prefix, e.g. reg.example/mirror")
	}
	if strings.ContainsAny(prefix, "\n") {
		return fail("nest takes a single repository prefix, not several lines")
	}
	// Checking a sample destination validates the host and path together.
	if _, err := refs.Parse(prefix + "/x"); err != nil {
		return fail("invalid nest prefix %q: want registry host and optional repository path: %v", prefix, err)
	}
	return &nestMapper{prefix: prefix}, nil
}

func (m *nestMapper) Kind() string { return KindNest }

func (m *nestMapper) Map(_ context.Context, entry v1.Descriptor) ([]string, error) {
	src, err := sourceOf(entry)
	if err != nil {
		return nil, err
	}
	return []string{path.Join(m.prefix, nestable(src))}, nil
}

// nestable rewrites the registry host of src so that it is a valid
// repository path component.
func nestable(src string) string {
	host, rest, ok := strings.Cut(src, "/")
	if !ok {
		return src
	}
	return strings.ReplaceAll(strings.ToLower(host), ":", "_") + "/" + rest
}
