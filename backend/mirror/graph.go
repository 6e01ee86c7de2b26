package mirror

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Node is one blob or manifest of an image graph.
type Node struct {
	// Desc is the descriptor as found in the node's parent.
	Desc v1.Descriptor
	// Raw holds a manifest's bytes; nil for plain blobs.
	Raw []byte
	// Children are a manifest's children in walk order.
	Children []v1.Descriptor
	// Referrer marks a manifest reached through the referrers API.
	Referrer bool
}

// IsManifest reports whether the node is a manifest or index.
func (n *Node) IsManifest() bool { return n.Raw != nil }

// Role is how a graph refers to a digest: as a manifest (pushed and fetched
// through the manifests API) or as a blob (a config, a layer, a subject of a
// blob media type). The same bytes can be reached in both roles in one graph:
// a manifest whose bytes are also a layer of another manifest.
type Role uint8

const (
	RoleBlob Role = iota
	RoleManifest
)

// RoleOf is the role a descriptor gives the digest it points at.
func RoleOf(d v1.Descriptor) Role {
	if IsManifest(d.MediaType) {
		return RoleManifest
	}
	return RoleBlob
}

func (r Role) String() string {
	if r == RoleManifest {
		return "manifest"
	}
	return "blob"
}

// NodeKey identifies a node: a digest in one role.
type NodeKey struct {
	Digest v1.Hash
	Role   Role
}

// KeyOf is the node key of a descriptor.
func KeyOf(d v1.Descriptor) NodeKey { return NodeKey{d.Digest, RoleOf(d)} }

// Graph is the content reachable from one or more roots, each (digest, role)
// once, in depth-first pre-order: a manifest, then its children (subject,
// config, layers; or subject, manifests, extra manifests), then its
// referrers. This is the order the serialized stream uses. A digest reached
// both as a blob and as a manifest has two nodes, and the manifest's
// children are walked whichever role was met first.
type Graph struct {
	Nodes []*Node
	index map[NodeKey]*Node
}

// WalkOptions tune a walk.
type WalkOptions struct {
	// Referrers adds every manifest's referrers (and their graphs) after its subtree.
	Referrers bool
}

// NewGraph returns an empty graph.
func NewGraph() *Graph { return &Graph{index: map[NodeKey]*Node{}} }

// Get returns the node of a digest, its manifest node when it has both, or nil.
func (g *Graph) Get(h v1.Hash) *Node {
	if n := g.index[NodeKey{h, RoleManifest}]; n != nil {
		return n
	}
	return g.index[NodeKey{h, RoleBlob}]
}

// Manifest returns the manifest node of a digest, or nil.
func (g *Graph) Manifest(h v1.Hash) *Node { return g.index[NodeKey{h, RoleManifest}] }

// HasBlob reports whether the graph reaches a digest as a blob.
func (g *Graph) HasBlob(h v1.Hash) bool { return g.index[NodeKey{h, RoleBlob}] != nil }

// BytesOf returns the bytes of a digest when the graph holds them: a
// manifest's. A blob node whose digest is also a manifest is sent from them,
// so it never depends on the source serving manifest bytes as a blob.
func (g *Graph) BytesOf(h v1.Hash) []byte {
	if n := g.Manifest(h); n != nil {
		return n.Raw
	}
	return nil
}

// Add walks root (whose manifest bytes may be given as raw, or nil to fetch)
// in repo and appends what it has not seen yet.
func (g *Graph) Add(ctx context.Context, repo Repo, root v1.Descriptor, raw []byte, o WalkOptions) error {
	return g.visit(ctx, repo, root, raw, o, false, 0)
}

const maxDepth = 64

func (g *Graph) visit(ctx context.Context, repo Repo, d v1.Descriptor, raw []byte, o WalkOptions, referrer bool, depth int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if depth > maxDepth {
		return fmt.Errorf("%s: manifests nested more than %d deep", d.Digest, maxDepth)
	}
	k := KeyOf(d)
	if _, seen := g.index[k]; seen {
		return nil
	}
	n := &Node{Desc: d, Referrer: referrer}
	g.index[k] = n
	g.Nodes = append(g.Nodes, n)
	if k.Role == RoleBlob {
		return nil
	}
	if raw == nil {
		var err error
		if raw, err = repo.Manifest(ctx, d); err != nil {
			return err
		}
	}
	n.Raw = raw
	m, err := parseManifest(raw)
	if err != nil {
		return fmt.Errorf("%s in %s: %w", d.Digest, repo, err)
	}
	if n.Children, err = m.children(d.MediaType); err != nil {
		return fmt.Errorf("%s in %s: %w", d.Digest, repo, err)
	}
	for _, c := range n.Children {
		if err := g.visit(ctx, repo, c, nil, o, false, depth+1); err != nil {
			return err
		}
	}
	if o.Referrers {
		refs, err := repo.Referrers(ctx, d)
		if err != nil {
			return err
		}
		for _, r := range refs {
			if err := g.visit(ctx, repo, r, nil, o, true, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// Manifests returns the manifest nodes in walk order.
func (g *Graph) Manifests() []*Node {
	var out []*Node
	for _, n := range g.Nodes {
		if n.IsManifest() {
			out = append(out, n)
		}
	}
	return out
}

// PushOrder returns the manifests so that every manifest comes after all of
// its children, and a referrer after its subject: the order a registry
// accepts them in.
func (g *Graph) PushOrder() []*Node {
	var out []*Node
	done := map[v1.Hash]bool{}
	var post func(n *Node)
	post = func(n *Node) {
		if done[n.Desc.Digest] {
			return
		}
		done[n.Desc.Digest] = true
		for _, c := range n.Children {
			if cn := g.Manifest(c.Digest); cn != nil && RoleOf(c) == RoleManifest {
				post(cn)
			}
		}
		out = append(out, n)
	}
	for _, n := range g.Nodes {
		if n.IsManifest() {
			post(n)
		}
	}
	return out
}

// Sizes counts the non-manifest blobs under roots the way the reference
// does: total counts every occurrence, deduplicated each digest once.
// Referrers are not counted.
func (g *Graph) Sizes(roots []v1.Descriptor) (total, dedup int64) {
	seen := map[v1.Hash]bool{}
	var walk func(d v1.Descriptor, depth int)
	walk = func(d v1.Descriptor, depth int) {
		if depth > maxDepth {
			return
		}
		if !IsManifest(d.MediaType) {
			total += d.Size
			if !seen[d.Digest] {
				seen[d.Digest] = true
				dedup += d.Size
			}
			return
		}
		if n := g.Manifest(d.Digest); n != nil {
			for _, c := range n.Children {
				walk(c, depth+1)
			}
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return total, dedup
}

// Merge adds the nodes of other that g has not seen.
func (g *Graph) Merge(other *Graph) {
	for _, n := range other.Nodes {
		k := KeyOf(n.Desc)
		if _, ok := g.index[k]; !ok {
			g.index[k] = n
			g.Nodes = append(g.Nodes, n)
		}
	}
}
