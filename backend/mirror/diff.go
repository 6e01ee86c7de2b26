package mirror

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/refs"
)

// DiffOptions are the options of `ferry mirror diff`.
type DiffOptions struct {
	// Artifact is the mirror artifact (a gather index, as gather or
	// deserialize tag it) whose images are listed.
	Artifact string `json:"artifact"`
	// Existing are images (often earlier gather indexes) whose content the
	// far side already has: entries with one of their digests are left out.
	Existing []string `json:"existing,omitempty"`
	// Expand lists the images of gather indexes nested in Artifact instead
	// of the nested index itself.
	Expand bool `json:"expand,omitempty"`
}

// DiffRow is one image of a mirror artifact: its source reference as
// written in sources.list, and its digest.
type DiffRow struct {
	Reference string `json:"reference"`
	Digest    string `json:"digest"`
}

// Diff lists the images of a mirror artifact that the existing images do
// not already hold, sorted by reference, each digest once. This is what
// `ace-dt mirror diff` reports, with two differences: index-fallback
// entries are listed too, and nested gather indexes are followed to any
// depth (in Artifact with Expand, and in every existing image).
//
// An existing image excludes its own digest and, when it is a gather index,
// the digests of all its entries.
func Diff(ctx context.Context, env Env, o DiffOptions) ([]DiffRow, error) {
	ref, err := refs.Parse(o.Artifact)
	if err != nil {
		return nil, fmt.Errorf("mirror artifact: %w", err)
	}
	repo := env.repoOf(ref.Name())
	desc, raw, err := repo.Resolve(ctx, ref.Name().Identifier())
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", o.Artifact, err)
	}
	if !isGatherIndex(desc, raw) {
		return nil, fmt.Errorf("%s is not a mirror artifact (a gather index with artifactType %s)", o.Artifact, ArtifactTypeGather)
	}

	exclude := map[v1.Hash]bool{}
	for _, e := range o.Existing {
		if err := diffExisting(ctx, env, e, exclude); err != nil {
			return nil, err
		}
	}

	entries, err := GatherEntries(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Artifact, err)
	}
	var rows []DiffRow
	add := func(d v1.Descriptor) {
		if exclude[d.Digest] {
			return
		}
		exclude[d.Digest] = true // each digest once
		rows = append(rows, DiffRow{Reference: d.Annotations[AnnotationSource], Digest: d.Digest.String()})
	}
	for _, e := range entries {
		if exclude[e.Digest] {
			continue
		}
		if o.Expand && IsIndex(e.MediaType) {
			nested, err := nestedGatherEntries(ctx, repo, e, 0)
			if err != nil {
				return nil, err
			}
			if nested != nil {
				exclude[e.Digest] = true
				for _, n := range nested {
					add(n)
				}
				continue
			}
		}
		add(e)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Reference != rows[j].Reference {
			return rows[i].Reference < rows[j].Reference
		}
		return rows[i].Digest < rows[j].Digest
	})
	return rows, nil
}

// diffExisting adds the digests an existing image accounts for.
func diffExisting(ctx context.Context, env Env, s string, exclude map[v1.Hash]bool) error {
	ref, err := refs.Parse(s)
	if err != nil {
		return fmt.Errorf("existing image: %w", err)
	}
	repo := env.repoOf(ref.Name())
	desc, raw, err := repo.Resolve(ctx, ref.Name().Identifier())
	if err != nil {
		return fmt.Errorf("resolving existing image %s: %w", s, err)
	}
	exclude[desc.Digest] = true
	if !isGatherIndex(desc, raw) {
		return nil
	}
	nested, err := nestedGatherEntries(ctx, repo, desc, 0)
	if err != nil {
		return fmt.Errorf("existing image %s: %w", s, err)
	}
	for _, n := range nested {
		exclude[n.Digest] = true
	}
	return nil
}

// nestedGatherEntries returns the images of the gather index d, following
// nested gather indexes; nil when d is not a gather index.
func nestedGatherEntries(ctx context.Context, repo Repo, d v1.Descriptor, depth int) ([]v1.Descriptor, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%s: gather indexes nested more than %d deep", d.Digest, maxDepth)
	}
	raw, err := repo.Manifest(ctx, d)
	if err != nil {
		return nil, err
	}
	if !isGatherIndex(d, raw) {
		return nil, nil
	}
	entries, err := GatherEntries(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Digest, err)
	}
	out := []v1.Descriptor{}
	for _, e := range entries {
		if IsIndex(e.MediaType) {
			sub, err := nestedGatherEntries(ctx, repo, e, depth+1)
			if err != nil {
				return nil, err
			}
			if sub != nil {
				out = append(out, sub...)
				continue
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// isGatherIndex reports whether a manifest is a gather index.
func isGatherIndex(d v1.Descriptor, raw []byte) bool {
	if !IsIndex(d.MediaType) && !IsIndex(mediaTypeOf(raw)) {
		return false
	}
	var idx struct {
		ArtifactType string `json:"artifactType"`
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return false
	}
	return idx.ArtifactType == ArtifactTypeGather
}
