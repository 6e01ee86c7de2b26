package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

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
	// Warnings name each source that platform filtering left out.
	Warnings []string `json:"warnings,omitempty"`
}

// resolvedSource is one entry of the gather index: a source, or under
// platform filtering one manifest a source contributes.
type resolvedSource struct {
	src sources.Source
	// entry is the descriptor as the gather index writes it, before
	// annotations; desc is the same manifest as the graph walks it.
	entry ocispec.Descriptor
	desc  v1.Descriptor
	raw   []byte // the manifest's bytes, or nil to fetch them
	// sourceIndex holds the source's index when entry is one of its children.
	sourceIndex []byte
	graph       *Graph
	repo        Repo
}

// Gather copies every source into one repository and pushes a gather index
// that lists them (FORMAT.md section 1), byte for byte as the reference
// tool writes it. Identical inputs give a byte-identical index.
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
	// Every line is an entry, a reference listed twice too (the sources
	// parser warns of it): the reference tool does so, and each line's
	// labels reach the index.
	srcs := sortedSources(o.Sources)
	if len(srcs) == 0 {
		return res, errors.New("the sources list names no images")
	}
	dst := env.repoOf(dest.Name())
	// What the tag names now: if it names something else by the time the
	// gather index is pushed, another gather (or push) wrote it meanwhile,
	// and tagging over it would silently lose that one.
	tagBefore := tagDigest(ctx, dst, dest.Tag())
	copier := &Copier{Concurrency: env.concurrency(), Progress: env.Progress, Phase: "resolve"}
	copier.Expect(0, len(srcs))

	// Sources are resolved and walked at once (each is a few small requests
	// that wait on the registry), then taken in order.
	type resolved struct {
		es  []*resolvedSource
		why string
		err error
	}
	outcomes := make([]resolved, len(srcs))
	var rg errgroup.Group
	rg.SetLimit(env.concurrency())
	for i, s := range srcs {
		rg.Go(func() error {
			r := &outcomes[i]
			if r.es, r.why, r.err = resolveEntries(ctx, env, s, platforms, o.Referrers); r.err == nil {
				copier.ItemDone(s.Ref)
			}
			return nil
		})
	}
	_ = rg.Wait() // each source's outcome is in outcomes
	var entries []*resolvedSource
	var failures []string
	for i, s := range srcs {
		es, why, err := outcomes[i].es, outcomes[i].why, outcomes[i].err
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			env.item(Item{Source: s.Ref, Destination: o.Dest, Status: ItemFailed, Error: err.Error()})
			failures = append(failures, fmt.Sprintf("line %d: %v", s.Line, err))
			continue
		}
		if len(es) == 0 {
			w := leftOut(s, platforms, why)
			res.Warnings = append(res.Warnings, w)
			env.item(Item{Source: s.Ref, Destination: o.Dest, Status: ItemSkipped, Error: w})
			env.logf("warning: %s", w)
		}
		entries = append(entries, es...)
	}
	if len(failures) > 0 {
		return res, fmt.Errorf("%d of %d sources could not be resolved; nothing was gathered:\n  %s",
			len(failures), len(srcs), strings.Join(failures, "\n  "))
	}
	if len(entries) == 0 {
		return res, fmt.Errorf("no source has a manifest for platform %s; nothing was gathered", formatPlatforms(platforms))
	}

	all := NewGraph()
	copier = &Copier{Concurrency: env.concurrency(), Progress: env.Progress, Phase: "copy"}
	// A manifest listed twice (from one repository) is copied once.
	first := map[string]bool{}
	for _, e := range entries {
		all.Merge(e.graph)
		if k := e.repo.String() + "@" + e.desc.Digest.String(); !first[k] {
			first[k] = true
			copier.Expect(graphBytes(e.graph), 1)
		}
	}
	// The entries are copied at once, up to the copier's concurrency; a blob
	// two of them share is sent once. Items are reported in entry order.
	stats := make([]CopyStats, len(entries))
	copied := make([]bool, len(entries))
	failed := -1 // the entry whose failure stopped the others
	var mu sync.Mutex
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(env.concurrency())
	for i, e := range entries {
		k := e.repo.String() + "@" + e.desc.Digest.String()
		if !first[k] {
			continue
		}
		delete(first, k)
		eg.Go(func() error {
			st, err := copier.Copy(ectx, e.graph, e.repo, dst)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if failed < 0 && ectx.Err() == nil {
					failed = i
				}
				return err
			}
			stats[i], copied[i] = st, true
			copier.ItemDone(e.src.Ref)
			return nil
		})
	}
	err = eg.Wait()
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	for i, e := range entries {
		if failed >= 0 && !copied[i] {
			continue
		}
		res.Stats.add(stats[i])
		env.item(Item{Source: e.src.Ref, Destination: o.Dest, Digest: e.desc.Digest.String(), Status: ItemDone, Bytes: stats[i].ImageBytes()})
	}
	if err != nil && failed < 0 {
		return res, err
	}
	if failed >= 0 {
		e := entries[failed]
		env.item(Item{Source: e.src.Ref, Destination: o.Dest, Digest: e.desc.Digest.String(), Status: ItemFailed, Error: err.Error()})
		return res, fmt.Errorf("%s (line %d): %w", e.src.Ref, e.src.Line, err)
	}

	raw, total, dedup, err := buildGatherIndex(entries, o, all, env.Version)
	if err != nil {
		return res, err
	}
	res.SizeTotal, res.SizeDedup = total, dedup
	res.Index = v1.Descriptor{MediaType: types.OCIImageIndex, Digest: sha256Of(raw), Size: int64(len(raw)), ArtifactType: ArtifactTypeGather}
	if now := tagDigest(ctx, dst, dest.Tag()); now != tagBefore {
		return res, fmt.Errorf("%s changed while this gather ran (from %s to %s): another gather or push wrote it; "+
			"the gather index %s was not tagged (the images are copied); gather again, or into another tag",
			o.Dest, orNone(tagBefore), orNone(now), res.Index.Digest)
	}
	if err := dst.PushManifest(ctx, res.Index, raw, dest.Tag()); err != nil {
		return res, fmt.Errorf("push gather index: %w", err)
	}
	res.Images = len(entries)
	env.logf("gathered %d images into %s (%s)", res.Images, o.Dest, res.Index.Digest)
	return res, nil
}

// tagDigest is the digest a tag names in repo, or "" when it names nothing
// (or cannot be read).
func tagDigest(ctx context.Context, repo Repo, tag string) string {
	d, _, err := repo.Resolve(ctx, tag)
	if err != nil {
		return ""
	}
	return d.Digest.String()
}

func orNone(d string) string {
	if d == "" {
		return "nothing"
	}
	return d
}

// leftOut is the warning for a source that platform filtering leaves out.
func leftOut(s sources.Source, platforms []ocispec.Platform, why string) string {
	return fmt.Sprintf("%s (line %d) left out: nothing for platform %s (%s)", s.Ref, s.Line, formatPlatforms(platforms), why)
}

// PlatformWarnings tells, before a gather, which sources its platforms
// would leave out, in the words Gather will use. Sources that cannot be
// read are not reported here: Inspect reports them.
func PlatformWarnings(ctx context.Context, env Env, srcs []sources.Source, platforms []string) ([]string, error) {
	want, err := parsePlatforms(platforms)
	if err != nil || len(want) == 0 {
		return nil, err
	}
	var out []string
	for _, s := range sortedSources(srcs) {
		ref, err := refs.Parse(s.Ref)
		if err != nil {
			continue
		}
		repo := env.repoOf(ref.Name())
		desc, raw, err := repo.Resolve(ctx, ref.Name().Identifier())
		if err != nil {
			continue
		}
		if picks, why, err := pickPlatforms(ctx, repo, desc, raw, want); err == nil && len(picks) == 0 {
			out = append(out, leftOut(s, want, why))
		}
	}
	return out, ctx.Err()
}

// sortedSources orders sources by reference, as the reference tool orders
// gather entries; lines naming the same reference keep their file order.
func sortedSources(in []sources.Source) []sources.Source {
	out := append([]sources.Source(nil), in...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Ref < out[j].Ref })
	return out
}

// dedupSources sorts by reference and drops repeated references; the first
// line's labels win.
func dedupSources(in []sources.Source) []sources.Source {
	out := sortedSources(in)
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

// resolveEntries resolves a source and walks what it contributes: itself,
// or with platforms the manifests pickPlatforms chooses (none, with why).
func resolveEntries(ctx context.Context, env Env, s sources.Source, platforms []ocispec.Platform, referrers bool) ([]*resolvedSource, string, error) {
	ref, err := refs.Parse(s.Ref)
	if err != nil {
		return nil, "", err
	}
	repo := env.repoOf(ref.Name())
	desc, raw, err := repo.Resolve(ctx, ref.Name().Identifier())
	if err != nil {
		return nil, "", err
	}
	picks := []platformPick{{entry: ociDescriptor(desc), desc: desc}}
	if len(platforms) > 0 {
		var why string
		if picks, why, err = pickPlatforms(ctx, repo, desc, raw, platforms); err != nil || len(picks) == 0 {
			return nil, why, err
		}
	}
	var out []*resolvedSource
	for _, p := range picks {
		e := &resolvedSource{src: s, entry: p.entry, desc: p.desc, repo: repo, graph: NewGraph()}
		if p.desc.Digest == desc.Digest {
			e.raw = raw
		} else {
			e.sourceIndex = raw
		}
		if err := e.graph.Add(ctx, repo, e.desc, e.raw, WalkOptions{Referrers: referrers}); err != nil {
			return nil, "", err
		}
		out = append(out, e)
	}
	return out, "", nil
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

// buildGatherIndex renders the gather index as the reference does: entries
// in source order, each with its descriptor and the annotations the
// reference writes (source, ref name, labels, source index); the user's
// annotations, then version and sizes; with index fallback, index entries
// moved into an annotation. It returns the sizes it wrote too.
func buildGatherIndex(es []*resolvedSource, o GatherOptions, all *Graph, version string) (raw []byte, total, dedup int64, err error) {
	entries, extra := []ocispec.Descriptor{}, []ocispec.Descriptor{}
	var roots []v1.Descriptor
	for _, e := range es {
		ann := map[string]string{AnnotationSource: e.src.Ref, AnnotationRefName: e.src.Ref}
		if len(e.src.Labels) > 0 {
			ann[AnnotationLabels] = sources.EncodeLabels(e.src.Labels)
		}
		if e.sourceIndex != nil {
			ann[AnnotationSourceIndex] = string(e.sourceIndex)
		}
		d := e.entry
		d.Annotations = ann
		roots = append(roots, e.desc)
		if o.IndexFallback && IsIndex(e.desc.MediaType) {
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
