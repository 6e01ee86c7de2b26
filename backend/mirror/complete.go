package mirror

import (
	"context"
	"fmt"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"
)

// IncompleteCopyError says that a copy ended with nodes of the graph absent
// from the destination: the image there is not complete and must not be
// counted as delivered.
type IncompleteCopyError struct {
	Dest    string
	Missing []v1.Descriptor
}

func (e *IncompleteCopyError) Error() string {
	const shown = 5
	names := make([]string, 0, shown)
	for i, d := range e.Missing {
		if i == shown {
			names = append(names, fmt.Sprintf("and %d more", len(e.Missing)-shown))
			break
		}
		names = append(names, fmt.Sprintf("%s (%s)", d.Digest, RoleOf(d)))
	}
	return fmt.Sprintf("%s is incomplete after the copy: %d missing: %s", e.Dest, len(e.Missing), strings.Join(names, ", "))
}

// confirmedSet is what a copy has seen in the destination, per (digest,
// role): found there, or pushed and accepted.
type confirmedSet struct {
	mu   sync.Mutex
	keys map[NodeKey]bool
}

func newConfirmedSet() *confirmedSet { return &confirmedSet{keys: map[NodeKey]bool{}} }

func (s *confirmedSet) add(d v1.Descriptor) {
	s.mu.Lock()
	s.keys[KeyOf(d)] = true
	s.mu.Unlock()
}

func (s *confirmedSet) has(d v1.Descriptor) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[KeyOf(d)]
}

// checkComplete proves that dst holds the whole graph of every manifest in
// g. The children are read again from each manifest's bytes (not taken from
// the walk's bookkeeping), so a node the walk failed to visit is caught
// here; whatever the copy did not confirm is asked for with a HEAD request.
func checkComplete(ctx context.Context, g *Graph, dst Repo, confirmed *confirmedSet, concurrency int) error {
	var need []v1.Descriptor
	queued := map[NodeKey]bool{}
	want := func(d v1.Descriptor) {
		k := KeyOf(d)
		if queued[k] || confirmed.has(d) {
			return
		}
		queued[k] = true
		need = append(need, v1.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size})
	}
	for _, n := range g.Manifests() {
		want(n.Desc)
		m, err := parseManifest(n.Raw)
		if err != nil {
			return fmt.Errorf("%s: %w", n.Desc.Digest, err)
		}
		children, err := m.children(n.Desc.MediaType)
		if err != nil {
			return fmt.Errorf("%s: %w", n.Desc.Digest, err)
		}
		for _, c := range children {
			want(c)
		}
	}
	var mu sync.Mutex
	var missing []v1.Descriptor
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(max(concurrency, 1))
	for _, d := range need {
		eg.Go(func() error {
			has, err := dst.Has(ectx, d)
			if err != nil {
				return fmt.Errorf("checking %s in %s: %w", d.Digest, dst, err)
			}
			if !has {
				mu.Lock()
				missing = append(missing, d)
				mu.Unlock()
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return err
	}
	if len(missing) > 0 {
		return &IncompleteCopyError{Dest: dst.String(), Missing: missing}
	}
	return nil
}
