package mirror

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/archive"
	"ferry/backend/progress"
	"ferry/backend/refs"
)

// serialPlan is the content of one transfer, in stream order.
type serialPlan struct {
	repo    Repo
	root    v1.Descriptor
	rootRaw []byte
	tag     string
	graph   *Graph
	// items are the entries to write, in order.
	items []*serialItem
	// manifests are every manifest visited, root first, as found in their parents.
	manifests []v1.Descriptor
	// listedAfter are manifests not written that follow the last item.
	listedAfter []v1.Descriptor
	gatherAnn   map[string]string
	total       int64 // bytes of items
	skipped     int
	skippedLen  int64
}

type serialItem struct {
	desc v1.Descriptor
	// manifest marks a manifest's entry, listed in the final index.json.
	manifest bool
	// raw is the content when it is at hand: a manifest's bytes, or those of
	// a blob that the graph also reaches as a manifest.
	raw []byte
	// listed are manifests visited just before this item whose bytes are
	// not written (the far side has them); the final index.json lists them
	// in visit order all the same.
	listed []v1.Descriptor
}

// planSerialize resolves the gather index, walks its graph and decides
// what to write.
func planSerialize(ctx context.Context, env Env, o SerializeOptions, checkpoints []archive.Checkpoint) (*serialPlan, error) {
	repo, id, err := o.sourceRepo(env)
	if err != nil {
		return nil, err
	}
	root, raw, err := repo.Resolve(ctx, id)
	if err != nil && o.Resume != "" {
		return nil, fmt.Errorf("resuming run %s: the gather index it was sending, %s, cannot be read from %s any more (was it deleted?); the rest of that transfer cannot be sent: %w", o.Resume, o.Source, repo, err)
	}
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", o.Source, err)
	}
	if !IsManifest(root.MediaType) {
		return nil, fmt.Errorf("%s is a %q, not a manifest or index", o.Source, root.MediaType)
	}
	// The stream's index.json describes the root as the reference does:
	// media type, digest, size, and its tag only.
	root.Annotations, root.ArtifactType = nil, ""
	tag := o.Tag
	if tag == "" {
		tag = id
	}
	p := &serialPlan{repo: repo, root: root, rootRaw: raw, tag: tag, graph: NewGraph()}
	if m, err := parseManifest(raw); err == nil {
		p.gatherAnn = m.Annotations
	}
	progress.Or(env.Progress)(progress.Event{Phase: "plan", Current: o.Source})
	if err := p.graph.Add(ctx, repo, root, raw, WalkOptions{Referrers: o.Referrers}); err != nil {
		return nil, fmt.Errorf("reading %s: %w", o.Source, err)
	}

	skip := map[v1.Hash]bool{}
	pushed := map[v1.Hash]bool{} // manifests the far side holds as pushed manifests
	for _, e := range o.Existing {
		if err := existingBlobs(ctx, env, e, skip, pushed); err != nil {
			return nil, err
		}
	}
	for _, cp := range checkpoints {
		delivered, err := cp.Delivered()
		if err != nil {
			return nil, err
		}
		for h := range delivered {
			skip[h] = true
		}
	}
	for _, h := range o.Delivered {
		skip[h] = true
	}

	// The stream holds each digest once: a digest the graph reaches both as
	// a blob and as a manifest is one entry, written where it is first met,
	// and the reader pushes it in both roles.
	written := map[v1.Hash]bool{}
	for _, n := range p.graph.Nodes {
		if written[n.Desc.Digest] {
			if n.IsManifest() { // its bytes went as a blob already
				p.manifests = append(p.manifests, n.Desc)
				p.listedAfter = append(p.listedAfter, n.Desc)
			}
			continue
		}
		if n.IsManifest() {
			// Every manifest visited is listed in the final index.json. Its
			// bytes are written unless the far side is known to hold it as a
			// pushed manifest: one of an EXISTING-IMAGE, which the far side
			// has whole. Blobs merely delivered before (a resumed run, a
			// checkpoint ledger) do not count for manifests: a partial medium
			// may have carried a manifest's bytes whose children never
			// arrived, so it was never pushed, and the far side can only push
			// it with its bytes at hand. The root is always written: the
			// reader tags it from those bytes.
			p.manifests = append(p.manifests, n.Desc)
			if pushed[n.Desc.Digest] && n.Desc.Digest != root.Digest {
				p.skipped++
				p.skippedLen += n.Desc.Size
				p.listedAfter = append(p.listedAfter, n.Desc)
				continue
			}
			p.items = append(p.items, &serialItem{desc: n.Desc, manifest: true, raw: n.Raw, listed: p.listedAfter})
			written[n.Desc.Digest] = true
			p.listedAfter = nil
			p.total += n.Desc.Size
			continue
		}
		if skip[n.Desc.Digest] {
			p.skipped++
			p.skippedLen += n.Desc.Size
			continue
		}
		written[n.Desc.Digest] = true
		p.items = append(p.items, &serialItem{desc: n.Desc, raw: p.graph.BytesOf(n.Desc.Digest), listed: p.listedAfter})
		p.listedAfter = nil
		p.total += n.Desc.Size
	}
	return p, nil
}

// existingBlobs adds the layers and configs of an existing image to skip,
// and its manifests (the image's own and, for an index, its children's) to
// pushed: the far side has the image complete.
func existingBlobs(ctx context.Context, env Env, s string, skip, pushed map[v1.Hash]bool) error {
	_, g, err := walkImage(ctx, env, s, WalkOptions{})
	if err != nil {
		return fmt.Errorf("existing image %s: %w", s, err)
	}
	for _, n := range g.Nodes {
		if n.IsManifest() {
			pushed[n.Desc.Digest] = true
		} else {
			skip[n.Desc.Digest] = true
		}
	}
	return nil
}

// walkImage resolves an image reference and walks its whole graph in its
// repository.
func walkImage(ctx context.Context, env Env, s string, o WalkOptions) (name.Repository, *Graph, error) {
	ref, err := refs.Parse(s)
	if err != nil {
		return name.Repository{}, nil, err
	}
	repo := env.repoOf(ref.Name())
	desc, raw, err := repo.Resolve(ctx, ref.Name().Identifier())
	if err != nil {
		return name.Repository{}, nil, err
	}
	g := NewGraph()
	if err := g.Add(ctx, repo, desc, raw, o); err != nil {
		return name.Repository{}, nil, err
	}
	return ref.Name().Context(), g, nil
}

// Present lists every digest reachable from image where it is: its
// manifests, their children (an index of indexes to the last layer) and,
// through the referrers API or its tag schema, every referrer's graph. A
// receipt is made of it.
func Present(ctx context.Context, env Env, image string) (name.Repository, []v1.Hash, error) {
	repo, g, err := walkImage(ctx, env, image, WalkOptions{Referrers: true})
	if err != nil {
		return repo, nil, fmt.Errorf("reading %s: %w", image, err)
	}
	out := make([]v1.Hash, 0, len(g.Nodes))
	for _, n := range g.Nodes {
		out = append(out, n.Desc.Digest)
	}
	return repo, out, nil
}

// SerializeSavings is what a serialize would leave out, worked out the way
// the run decides it, without writing anything: the plan shows it.
type SerializeSavings struct {
	Blobs        int   `json:"blobs"` // entries that would be written
	Bytes        int64 `json:"bytes"`
	Skipped      int   `json:"skipped"`
	SkippedBytes int64 `json:"skippedBytes"`
}

// PlanSavings plans a serialize of o and tells what it would write and
// leave out; the run's SerializeResult reports the same Skipped figures.
func PlanSavings(ctx context.Context, env Env, o SerializeOptions) (SerializeSavings, error) {
	checkpoints, err := parseCheckpoints(o.ExistingFromCheckpoint, "")
	if err != nil {
		return SerializeSavings{}, err
	}
	p, err := planSerialize(ctx, env, o, checkpoints)
	if err != nil {
		return SerializeSavings{}, err
	}
	return SerializeSavings{Blobs: len(p.items), Bytes: p.total, Skipped: p.skipped, SkippedBytes: p.skippedLen}, nil
}
