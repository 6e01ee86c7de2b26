package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"ferry/backend/refs"
	"ferry/backend/sources"
)

// GatherOptions are the options of `ferry mirror gather`.
type GatherOptions struct {
	Sources       []sources.Source  `json:"sources"`
	Dest          string            `json:"dest"` // repo:tag receiving every image and the gather index
	Annotations   map[string]string `json:"annotations,omitempty"`
	IndexFallback bool              `json:"indexFallback,omitempty"`
	Platforms     []string          `json:"platforms,omitempty"`
	Referrers     bool              `json:"referrers,omitempty"`
}

// GatherResult describes the gather index that was pushed.
type GatherResult struct {
	Index     v1.Descriptor `json:"index"`
	Images    int           `json:"images"`
	SizeTotal int64         `json:"sizeTotal"`
	SizeDedup int64         `json:"sizeDedup"`
	Stats     CopyStats     `json:"stats"`
}

// resolvedSource is a source with what it points at.
type resolvedSource struct {
	src   sources.Source
	desc  v1.Descriptor
	raw   []byte
	graph *Graph
	repo  Repo
	// sourceIndex holds the original index when platform filtering replaced it.
	sourceIndex []byte
}

// Gather copies every source into one repository and pushes a gather index
// that lists them (FORMAT.md section 1). Identical inputs give a
// byte-identical index.
func Gather(ctx context.Context, env Env, o GatherOptions) (GatherResult, error) {
	var res GatherResult
	dest, err := refs.Parse(o.Dest)
	if err != nil {
		return res, fmt.Errorf("destination: %w", err)
	}
	if dest.Tag() == "" || dest.Digest() != "" {
		return res, fmt.Errorf("destination %q must be repository:tag", o.Dest)
	}
	platforms, err := parsePlatforms(o.Platforms)
	if err != nil {
		return res, err
	}
	srcs := dedupSources(o.Sources)
	if len(srcs) == 0 {
		return res, errors.New("the sources list names no images")
	}
	dst := env.repoOf(dest.Name())
	copier := &Copier{Concurrency: env.concurrency(), Progress: env.Progress, Phase: "resolve"}
	copier.Expect(0, len(srcs))

	resolved := make([]*resolvedSource, 0, len(srcs))
	var failures []string
	for _, s := range srcs {
		r, err := resolveSource(ctx, env, s, platforms, o.Referrers)
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			env.item(Item{Source: s.Ref, Destination: o.Dest, Status: ItemFailed, Error: err.Error()})
			failures = append(failures, fmt.Sprintf("line %d: %v", s.Line, err))
			continue
		}
		resolved = append(resolved, r)
		copier.ItemDone(s.Ref)
	}
	if len(failures) > 0 {
		return res, fmt.Errorf("%d of %d sources could not be resolved; nothing was gathered:\n  %s",
			len(failures), len(srcs), strings.Join(failures, "\n  "))
	}

	all := NewGraph()
	copier = &Copier{Concurrency: env.concurrency(), Progress: env.Progress, Phase: "copy"}
	for _, r := range resolved {
		all.Merge(r.graph)
		copier.Expect(graphBytes(r.graph), 1)
	}
	for _, r := range resolved {
		st, err := copier.Copy(ctx, r.graph, r.repo, dst)
		if err != nil {
			env.item(Item{Source: r.src.Ref, Destination: o.Dest, Digest: r.desc.Digest.String(), Status: ItemFailed, Error: err.Error()})
			return res, fmt.Errorf("%s (line %d): %w", r.src.Ref, r.src.Line, err)
		}
		res.Stats.add(st)
		copier.ItemDone(r.src.Ref)
		env.item(Item{Source: r.src.Ref, Destination: o.Dest, Digest: r.desc.Digest.String(), Status: ItemDone, Bytes: st.BytesSent + st.BytesMounted})
	}

	raw, total, dedup, err := buildGatherIndex(resolved, o, all, env.Version)
	if err != nil {
		return res, err
	}
	res.SizeTotal, res.SizeDedup = total, dedup
	res.Index = v1.Descriptor{MediaType: types.OCIImageIndex, Digest: sha256Of(raw), Size: int64(len(raw)), ArtifactType: ArtifactTypeGather}
	if err := dst.PushManifest(ctx, res.Index, raw, dest.Tag()); err != nil {
		return res, fmt.Errorf("push gather index: %w", err)
	}
	res.Images = len(resolved)
	env.logf("gathered %d images into %s (%s)", res.Images, o.Dest, res.Index.Digest)
	return res, nil
}

// dedupSources sorts by reference (stable) and drops repeated references;
// the first line's labels win.
func dedupSources(in []sources.Source) []sources.Source {
	out := append([]sources.Source(nil), in...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Ref < out[j].Ref })
	n := 0
	for i, s := range out {
		if i > 0 && s.Ref == out[n-1].Ref {
			continue
		}
		out[n] = s
		n++
	}
	return out[:n]
}

func parsePlatforms(ps []string) ([]v1.Platform, error) {
	var out []v1.Platform
	for _, p := range ps {
		for _, one := range strings.Split(p, ",") {
			one = strings.TrimSpace(one)
			if one == "" {
				continue
			}
			pl, err := v1.ParsePlatform(one)
			if err != nil || pl.OS == "" || pl.Architecture == "" {
				return nil, fmt.Errorf("invalid platform %q: write os/arch[/variant], e.g. linux/amd64", one)
			}
			out = append(out, *pl)
		}
	}
	return out, nil
}

func resolveSource(ctx context.Context, env Env, s sources.Source, platforms []v1.Platform, referrers bool) (*resolvedSource, error) {
	ref, err := refs.Parse(s.Ref)
	if err != nil {
		return nil, err
	}
	repo := env.repoOf(ref.Name())
	desc, raw, err := repo.Resolve(ctx, ref.Name().Identifier())
	if err != nil {
		return nil, err
	}
	r := &resolvedSource{src: s, desc: desc, raw: raw, repo: repo}
	if len(platforms) > 0 && IsIndex(desc.MediaType) {
		if err := r.filterPlatforms(platforms); err != nil {
			return nil, err
		}
	}
	r.graph = NewGraph()
	if err := r.graph.Add(ctx, repo, r.desc, r.raw, WalkOptions{Referrers: referrers}); err != nil {
		return nil, err
	}
	return r, nil
}

// filterPlatforms keeps only the index's manifests for the wanted
// platforms; the original index is kept in the entry's source-index
// annotation so the far side can still prove where the image came from.
func (r *resolvedSource) filterPlatforms(want []v1.Platform) error {
	var idx map[string]json.RawMessage
	if err := json.Unmarshal(r.raw, &idx); err != nil {
		return fmt.Errorf("%s: parse index: %w", r.src.Ref, err)
	}
	var manifests []v1.Descriptor
	if err := json.Unmarshal(idx["manifests"], &manifests); err != nil {
		return fmt.Errorf("%s: parse index: %w", r.src.Ref, err)
	}
	var kept []v1.Descriptor
	for _, m := range manifests {
		for _, w := range want {
			if m.Platform != nil && m.Platform.Satisfies(w) {
				kept = append(kept, m)
				break
			}
		}
	}
	if len(kept) == 0 {
		return fmt.Errorf("%s: no manifest for platform %s", r.src.Ref, platformList(want))
	}
	if len(kept) == len(manifests) {
		return nil
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return err
	}
	idx["manifests"] = b
	raw, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	r.sourceIndex = r.raw
	r.raw = raw
	r.desc = v1.Descriptor{MediaType: r.desc.MediaType, Digest: sha256Of(raw), Size: int64(len(raw))}
	return nil
}

func platformList(ps []v1.Platform) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, ", ")
}

func graphBytes(g *Graph) int64 {
	var n int64
	for _, node := range g.Nodes {
		if !node.IsManifest() {
			n += node.Desc.Size
		}
	}
	return n
}

// buildGatherIndex renders the gather index: entries sorted by source,
// annotations replaced by Ferry's, user annotations then version and sizes.
// It returns the sizes it wrote (total and deduplicated) too.
func buildGatherIndex(rs []*resolvedSource, o GatherOptions, all *Graph, version string) (raw []byte, total, dedup int64, err error) {
	var entries, extra []ocispec.Descriptor
	var roots []v1.Descriptor
	for _, r := range rs {
		ann := map[string]string{AnnotationSource: r.src.Ref, AnnotationRefName: r.src.Ref}
		if len(r.src.Labels) > 0 {
			ann[AnnotationLabels] = sources.EncodeLabels(r.src.Labels)
		}
		if r.sourceIndex != nil {
			ann[AnnotationSourceIndex] = string(r.sourceIndex)
		}
		d := ocispec.Descriptor{
			MediaType:    string(r.desc.MediaType),
			Digest:       digest.Digest(r.desc.Digest.String()),
			Size:         r.desc.Size,
			Annotations:  ann,
			ArtifactType: r.desc.ArtifactType,
		}
		if r.desc.Platform != nil {
			d.Platform = &ocispec.Platform{OS: r.desc.Platform.OS, Architecture: r.desc.Platform.Architecture,
				Variant: r.desc.Platform.Variant, OSVersion: r.desc.Platform.OSVersion, OSFeatures: r.desc.Platform.OSFeatures}
		}
		roots = append(roots, r.desc)
		if o.IndexFallback && IsIndex(r.desc.MediaType) {
			extra = append(extra, d)
		} else {
			entries = append(entries, d)
		}
	}
	total, dedup = all.Sizes(roots)
	ann := map[string]string{}
	for k, v := range o.Annotations {
		ann[k] = v
	}
	ann[AnnotationVersion] = version
	ann[AnnotationSizeTotal] = strconv.FormatInt(total, 10)
	ann[AnnotationSizeDedup] = strconv.FormatInt(dedup, 10)
	if len(extra) > 0 {
		b, err := json.Marshal(extra)
		if err != nil {
			return nil, 0, 0, err
		}
		ann[AnnotationExtraManifests] = string(b)
	}
	if entries == nil {
		entries = []ocispec.Descriptor{}
	}
	idx := ocispec.Index{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageIndex,
		ArtifactType: ArtifactTypeGather,
		Manifests:    entries,
		Annotations:  ann,
	}
	raw, err = json.Marshal(idx)
	return raw, total, dedup, err
}
