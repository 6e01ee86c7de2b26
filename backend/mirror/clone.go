package mirror

import (
	"context"
	"errors"
	"fmt"

	"ferry/backend/mapping"
	"ferry/backend/sources"
)

// CloneOptions are the options of `ferry mirror clone`.
type CloneOptions struct {
	Sources []sources.Source `json:"sources"`
	// Mapping is the TYPE=ARG spec Mapper was built from, kept for history.
	Mapping string         `json:"mapping"`
	Mapper  mapping.Mapper `json:"-"`
	// Platforms keeps only these platforms of multi-platform images (the
	// copied index then has a new digest, as with gather).
	Platforms []string `json:"platforms,omitempty"`
	// Selectors keep the sources whose labels match any expression.
	Selectors []string `json:"selectors,omitempty"`
	Referrers bool     `json:"referrers,omitempty"`
	Check     bool     `json:"check,omitempty"`
	Continue  bool     `json:"continue,omitempty"`
}

// Clone copies every source straight to its mapped destinations, with no
// gather repository in between. Each source is described exactly as a
// gather index entry would describe it (source and labels annotations,
// platform-filtered index), so a mapper gives the same destinations for
// clone as for gather then scatter.
//
// Sources that cannot be read are reported together before anything is
// pushed; with Continue the others are delivered anyway.
func Clone(ctx context.Context, env Env, o CloneOptions) (ScatterResult, error) {
	var res ScatterResult
	if o.Mapper == nil {
		return res, errors.New("clone needs a mapping, e.g. nest=reg.example/mirror")
	}
	platforms, err := parsePlatforms(o.Platforms)
	if err != nil {
		return res, err
	}
	selected, err := sources.Select(o.Sources, o.Selectors)
	if err != nil {
		return res, err
	}
	srcs := dedupSources(selected)
	if len(srcs) == 0 {
		if len(o.Sources) > 0 {
			return res, fmt.Errorf("no source of %d matches the selectors", len(o.Sources))
		}
		return res, errors.New("the sources list names no images")
	}

	copier := &Copier{Concurrency: env.concurrency(), Progress: env.Progress, Phase: "resolve"}
	copier.Expect(0, len(srcs))
	var resolved []*resolvedSource
	var failures []Failure
	for _, s := range srcs {
		r, err := resolveSource(ctx, env, s, platforms, o.Referrers)
		var skip *noPlatformError
		if errors.As(err, &skip) {
			env.logf("warning: %s", skip.warning)
			env.item(Item{Source: s.Ref, Status: ItemSkipped, Error: skip.warning})
			copier.ItemDone(s.Ref)
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			f := Failure{Source: s.Ref, Error: fmt.Sprintf("line %d: %v", s.Line, err)}
			env.item(Item{Source: s.Ref, Status: ItemFailed, Error: f.Error})
			failures = append(failures, f)
			continue
		}
		resolved = append(resolved, r)
		copier.ItemDone(s.Ref)
	}
	res.Failures = failures
	if len(resolved) == 0 && len(failures) == 0 && len(srcs) > 0 {
		return res, fmt.Errorf("no source has a manifest for platform %s; nothing was cloned", formatPlatforms(platforms))
	}
	if len(failures) > 0 && (!o.Continue || len(resolved) == 0) {
		return res, &DeliveryError{Op: "clone", Failures: failures, Planning: true, Stopped: !o.Continue}
	}

	entries, err := cloneEntries(resolved, env.Version)
	if err != nil {
		return res, err
	}
	err = deliver(ctx, env, entries, deliveryOptions{op: "clone", mapper: o.Mapper, check: o.Check, cont: o.Continue, referrers: o.Referrers}, &res)
	if err == nil && len(res.Failures) > 0 {
		err = &DeliveryError{Op: "clone", Failures: res.Failures}
	}
	return res, err
}

// cloneEntries describes resolved sources as a gather index lists them, by
// building that index: the descriptors are then identical by construction.
func cloneEntries(rs []*resolvedSource, version string) ([]*deliveryEntry, error) {
	all := NewGraph()
	for _, r := range rs {
		all.Merge(r.graph)
	}
	raw, _, _, err := buildGatherIndex(rs, GatherOptions{}, all, version)
	if err != nil {
		return nil, err
	}
	descs, err := GatherEntries(raw)
	if err != nil {
		return nil, err
	}
	if len(descs) != len(rs) {
		return nil, fmt.Errorf("internal: %d entries for %d sources", len(descs), len(rs))
	}
	out := make([]*deliveryEntry, len(rs))
	for i, r := range rs {
		out[i] = &deliveryEntry{desc: descs[i], raw: r.raw, repo: r.repo, graph: r.graph}
	}
	return out, nil
}
