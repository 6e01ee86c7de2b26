package mirror

import (
	"context"
	"encoding/json"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"ferry/backend/sources"
)

// resolveSource resolves one clone source to one entry. Clone keeps its
// own platform rule: a multi-platform index becomes a new index of the
// matching manifests (the original in the source-index annotation), and
// other sources are not filtered.
func resolveSource(ctx context.Context, env Env, s sources.Source, platforms []ocispec.Platform, referrers bool) (*resolvedSource, error) {
	es, _, err := resolveEntries(ctx, env, s, nil, referrers)
	if err != nil {
		return nil, err
	}
	r := es[0]
	if len(platforms) == 0 || !IsIndex(r.desc.MediaType) {
		return r, nil
	}
	picks, why, err := pickPlatforms(ctx, r.repo, r.desc, r.raw, platforms)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Ref, err)
	}
	if len(picks) == 0 {
		return nil, fmt.Errorf("%s: no manifest for platform %s (%s)", s.Ref, formatPlatforms(platforms), why)
	}
	var idx map[string]json.RawMessage
	var children struct{ Manifests []json.RawMessage }
	if err := json.Unmarshal(r.raw, &idx); err != nil {
		return nil, fmt.Errorf("%s: parse index: %w", s.Ref, err)
	}
	if json.Unmarshal(r.raw, &children) == nil && len(children.Manifests) == len(picks) {
		return r, nil // every platform wanted: the index as it is
	}
	kept := make([]ocispec.Descriptor, len(picks))
	for i, p := range picks {
		kept[i] = p.entry
	}
	if idx["manifests"], err = json.Marshal(kept); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(idx)
	if err != nil {
		return nil, err
	}
	desc := r.desc
	desc.Digest, desc.Size = sha256Of(raw), int64(len(raw))
	f := &resolvedSource{src: s, entry: ociDescriptor(desc), desc: desc, raw: raw, sourceIndex: r.raw, repo: r.repo, graph: NewGraph()}
	if err := f.graph.Add(ctx, f.repo, f.desc, f.raw, WalkOptions{Referrers: referrers}); err != nil {
		return nil, err
	}
	return f, nil
}
