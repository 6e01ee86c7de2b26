package mirror

import (
	"context"
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"ferry/backend/sources"
)

// noPlatformError means a clone source has nothing for the platforms asked
// for: it is left out with a warning, as gather leaves it out.
type noPlatformError struct{ warning string }

func (e *noPlatformError) Error() string { return e.warning }

// resolveSource resolves one clone source to the one image clone copies and
// tags. Under platform filtering a single match is that manifest itself, as
// the reference clones it; several matches of one index become a new index
// of just those (the reference tags each match in turn, so the last one
// wins and the others are lost).
func resolveSource(ctx context.Context, env Env, s sources.Source, platforms []ocispec.Platform, referrers bool) (*resolvedSource, error) {
	es, why, err := resolveEntries(ctx, env, s, platforms, referrers)
	if err != nil {
		return nil, err
	}
	switch {
	case len(es) == 0:
		return nil, &noPlatformError{leftOut(s, platforms, why)}
	case len(es) == 1:
		return es[0], nil
	}
	r := es[0]
	var idx map[string]json.RawMessage
	if err := json.Unmarshal(r.sourceIndex, &idx); err != nil {
		return nil, fmt.Errorf("%s: parse index: %w", s.Ref, err)
	}
	kept := make([]ocispec.Descriptor, len(es))
	for i, e := range es {
		kept[i] = e.entry
	}
	if idx["manifests"], err = json.Marshal(kept); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(idx)
	if err != nil {
		return nil, err
	}
	mt := mediaTypeOf(r.sourceIndex)
	if mt == "" {
		mt = types.OCIImageIndex
	}
	desc := v1.Descriptor{MediaType: mt, Digest: sha256Of(raw), Size: int64(len(raw))}
	f := &resolvedSource{src: s, entry: ociDescriptor(desc), desc: desc, raw: raw, sourceIndex: r.sourceIndex, repo: r.repo, graph: NewGraph()}
	if err := f.graph.Add(ctx, f.repo, f.desc, f.raw, WalkOptions{Referrers: referrers}); err != nil {
		return nil, err
	}
	return f, nil
}
