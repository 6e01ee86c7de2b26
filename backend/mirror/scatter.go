package mirror

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"ferry/backend/mapping"
	"ferry/backend/refs"
	"ferry/backend/sources"
)

// ScatterOptions are the options of `ferry mirror scatter`.
type ScatterOptions struct {
	// Source is the gather index as repository:tag or repository@digest.
	// ScatterFrom, which is given the repository directly, ignores it.
	Source string `json:"source"`
	// Mapping is the TYPE=ARG spec Mapper was built from, kept for history.
	Mapping string         `json:"mapping"`
	Mapper  mapping.Mapper `json:"-"`
	// Subset, when not empty, restricts the scatter to the entries whose
	// source (as written in sources.list) is listed: the references of a
	// --subset sources list.
	Subset []string `json:"subset,omitempty"`
	// Selectors keep the entries whose labels match any expression
	// (comma-separated requirements within one expression must all hold).
	Selectors []string `json:"selectors,omitempty"`
	// Check computes every destination and pushes nothing.
	Check bool `json:"check,omitempty"`
	// Continue delivers what it can and reports every failure at the end,
	// instead of stopping at the first.
	Continue bool `json:"continue,omitempty"`
	// Referrers also copies the referrers (signatures, SBOMs) of every manifest.
	Referrers bool `json:"referrers,omitempty"`
}

// ScatterResult says what a scatter or clone did, or with Check would do.
type ScatterResult struct {
	// Index is the gather index scattered (zero for clone).
	Index v1.Descriptor `json:"index"`
	// Entries is the number of images selected by subset and selectors.
	Entries int `json:"entries"`
	// Images counts the images delivered to at least one destination.
	Images int `json:"images"`
	// Destinations counts destinations delivered (with Check: planned).
	Destinations int `json:"destinations"`
	// Unmatched counts images no rule maps anywhere; they are skipped.
	Unmatched int `json:"unmatched"`
	// Plan is where every selected image goes and what is wrong with it.
	Plan mapping.Result `json:"plan"`
	// SubsetMissing lists subset references the gather index does not hold.
	SubsetMissing []string  `json:"subsetMissing,omitempty"`
	Stats         CopyStats `json:"stats"`
	// Failures lists every destination (or image) that was not delivered.
	Failures []Failure `json:"failures,omitempty"`
}

// Failure is one image or destination that could not be delivered.
type Failure struct {
	Source      string `json:"source"`
	Destination string `json:"destination,omitempty"` // empty when the whole image failed
	Error       string `json:"error"`
}

func (f Failure) String() string {
	if f.Destination == "" {
		return f.Source + ": " + f.Error
	}
	return f.Source + " -> " + f.Destination + ": " + f.Error
}

// DeliveryError is returned by Scatter and Clone when anything was not
// delivered. It lists every failure.
type DeliveryError struct {
	Op       string // scatter or clone
	Failures []Failure
	// Stopped is set when the operation stopped at the failure instead of
	// continuing (no Continue option).
	Stopped bool
	// Planning is set when the failures were found before anything was pushed.
	Planning bool
}

func (e *DeliveryError) Error() string {
	lines := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		lines[i] = f.String()
	}
	var head string
	switch {
	case e.Planning && e.Stopped:
		head = fmt.Sprintf("%s pushed nothing: %d problems in the mapping or sources (use --continue to deliver the rest)", e.Op, len(e.Failures))
	case e.Planning:
		head = fmt.Sprintf("%s found %d problems", e.Op, len(e.Failures))
	case e.Stopped:
		head = e.Op + " stopped at the first failure (use --continue to deliver the rest)"
	default:
		head = fmt.Sprintf("%s could not deliver %d destinations", e.Op, len(e.Failures))
	}
	return head + ":\n  " + strings.Join(lines, "\n  ")
}

// Scatter pushes every entry of a gather index in a registry to the
// destinations the mapper gives it.
func Scatter(ctx context.Context, env Env, o ScatterOptions) (ScatterResult, error) {
	ref, err := refs.Parse(o.Source)
	if err != nil {
		return ScatterResult{}, fmt.Errorf("gather index: %w", err)
	}
	if ref.Tag() == "" && ref.Digest() == "" {
		return ScatterResult{}, fmt.Errorf("gather index %q: name its tag or digest, e.g. %s:sync-45", o.Source, o.Source)
	}
	return ScatterFrom(ctx, env, env.repoOf(ref.Name()), ref.Name().Identifier(), o)
}

// ScatterFrom scatters the gather index that tagOrDigest names in src, which
// may be a registry repository or a local store (unarchive): each entry,
// including index-fallback extra manifests, is copied with its whole graph
// (and referrers with o.Referrers) into every destination the mapper gives,
// then tagged. A destination without tag or digest is tagged "latest"; one
// with only a digest is pushed by digest; one with tag and digest must pin
// the entry's digest. Entries without a destination are reported as skipped.
func ScatterFrom(ctx context.Context, env Env, src Repo, tagOrDigest string, o ScatterOptions) (ScatterResult, error) {
	var res ScatterResult
	if o.Mapper == nil {
		return res, errors.New("scatter needs a mapping, e.g. nest=reg.example/mirror")
	}
	sel, err := sources.ParseSelector(o.Selectors)
	if err != nil {
		return res, err
	}
	desc, raw, err := src.Resolve(ctx, tagOrDigest)
	if err != nil {
		return res, fmt.Errorf("gather index %s in %s: %w", tagOrDigest, src, err)
	}
	if !IsIndex(desc.MediaType) {
		return res, fmt.Errorf("%s in %s is a %s, not an image index: scatter needs the gather index that gather or deserialize tagged", tagOrDigest, src, desc.MediaType)
	}
	res.Index = desc
	all, err := GatherEntries(raw)
	if err != nil {
		return res, fmt.Errorf("gather index %s in %s: %w", tagOrDigest, src, err)
	}

	subset := newSubsetFilter(o.Subset)
	var entries []*deliveryEntry
	for _, d := range all {
		source := d.Annotations[AnnotationSource]
		if !subset.keep(source) {
			continue
		}
		lbls, err := sources.DecodeLabels(d.Annotations[AnnotationLabels])
		if err != nil {
			return res, fmt.Errorf("entry %s (%s): %w", source, d.Digest, err)
		}
		if !sel.Matches(lbls) {
			continue
		}
		entries = append(entries, &deliveryEntry{desc: d, repo: src})
	}
	res.SubsetMissing = subset.missing()
	for _, m := range res.SubsetMissing {
		env.logf("subset: %s is not in the gather index", m)
	}
	if len(entries) == 0 {
		return res, fmt.Errorf("no entry of the gather index (%d entries) is selected by the subset and selectors", len(all))
	}
	err = deliver(ctx, env, entries, deliveryOptions{op: "scatter", mapper: o.Mapper, check: o.Check, cont: o.Continue, referrers: o.Referrers}, &res)
	return res, err
}

// subsetFilter matches entry sources against a subset list, by exact
// spelling or by canonical form ("docker.io/x" matches
// "index.docker.io/library/x:latest").
type subsetFilter struct {
	want map[string]string // key (exact or canonical) -> reference as listed
	seen map[string]bool   // references as listed that matched
	refs []string
}

func newSubsetFilter(list []string) *subsetFilter {
	f := &subsetFilter{want: map[string]string{}, seen: map[string]bool{}}
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		f.refs = append(f.refs, s)
		f.want[s] = s
		if r, err := refs.Parse(s); err == nil {
			f.want[r.Canonical()] = s
		}
	}
	return f
}

func (f *subsetFilter) keep(source string) bool {
	if len(f.refs) == 0 {
		return true
	}
	listed, ok := f.want[source]
	if !ok {
		if r, err := refs.Parse(source); err == nil {
			listed, ok = f.want[r.Canonical()]
		}
	}
	if ok {
		f.seen[listed] = true
	}
	return ok
}

func (f *subsetFilter) missing() []string {
	var out []string
	for _, s := range f.refs {
		if !f.seen[s] {
			out = append(out, s)
		}
	}
	return out
}

// deliveryEntry is one image to deliver: its descriptor as a gather index
// lists it, where its content is read, and its graph once walked.
type deliveryEntry struct {
	desc  v1.Descriptor
	raw   []byte // root manifest bytes when already known
	repo  Repo
	graph *Graph
}

type deliveryOptions struct {
	op        string
	mapper    mapping.Mapper
	check     bool
	cont      bool
	referrers bool
}

// deliveryTarget is one destination of one entry.
type deliveryTarget struct {
	entry *deliveryEntry
	dest  refs.Destination
}

// deliver maps entries to their destinations and copies each entry's graph
// to each of them. It is the shared second half of scatter and clone.
func deliver(ctx context.Context, env Env, entries []*deliveryEntry, o deliveryOptions, res *ScatterResult) error {
	descs := make([]v1.Descriptor, len(entries))
	for i, e := range entries {
		descs[i] = e.desc
	}
	res.Entries = len(entries)
	res.Plan = mapping.PreviewContext(ctx, descs, o.mapper)

	var targets [][]deliveryTarget // per entry
	var planFailures []Failure
	for i, row := range res.Plan.Rows {
		e := entries[i]
		source, digest := row.Source, e.desc.Digest.String()
		var ts []deliveryTarget
		blocked := map[string]string{} // destination -> why
		for _, p := range row.Problems {
			switch {
			case p.Severity == mapping.SeverityError && p.Kind == mapping.ProblemInvalidDestination:
				planFailures = append(planFailures, Failure{Source: source, Destination: p.Destination, Error: p.Message})
			case p.Severity == mapping.SeverityError && p.Destination == "":
				planFailures = append(planFailures, Failure{Source: source, Error: p.Message})
			case p.Severity == mapping.SeverityError:
				if _, dup := blocked[p.Destination]; !dup {
					blocked[p.Destination] = p.Message
				}
			case p.Kind == mapping.ProblemNoDestination:
				res.Unmatched++
				env.logf("%s: no rule matches; skipped", source)
				env.item(Item{Source: source, Digest: digest, Status: ItemSkipped, Error: "no destination: " + p.Message})
			default:
				env.logf("%s: warning: %s", source, p.Message)
			}
		}
		for _, d := range row.Destinations {
			if why, bad := blocked[d]; bad {
				planFailures = append(planFailures, Failure{Source: source, Destination: d, Error: why})
				continue
			}
			dest, err := refs.NormalizeDestination(d)
			if err != nil { // Preview only lists valid destinations; keep the guard
				planFailures = append(planFailures, Failure{Source: source, Destination: d, Error: err.Error()})
				continue
			}
			ts = append(ts, deliveryTarget{entry: e, dest: dest})
		}
		targets = append(targets, ts)
	}
	for _, f := range planFailures {
		env.item(Item{Source: f.Source, Destination: f.Destination, Status: ItemFailed, Error: f.Error})
	}
	res.Failures = append(res.Failures, planFailures...)

	if o.check {
		for _, ts := range targets {
			for _, t := range ts {
				env.item(Item{Source: t.entry.desc.Annotations[AnnotationSource], Destination: t.dest.String(), Digest: t.entry.desc.Digest.String(), Status: ItemPlanned})
				res.Destinations++
			}
		}
		if len(planFailures) > 0 {
			return &DeliveryError{Op: o.op, Failures: res.Failures, Planning: true}
		}
		return nil
	}
	if len(planFailures) > 0 && !o.cont {
		return &DeliveryError{Op: o.op, Failures: res.Failures, Planning: true, Stopped: true}
	}

	copier := &Copier{Concurrency: env.concurrency(), Progress: env.Progress, Phase: o.op}
	fail := func(f Failure) error {
		env.item(Item{Source: f.Source, Destination: f.Destination, Status: ItemFailed, Error: f.Error})
		res.Failures = append(res.Failures, f)
		if !o.cont {
			return &DeliveryError{Op: o.op, Failures: res.Failures, Stopped: true}
		}
		return nil
	}

	// Walk every graph first (all at once: a few small requests each) so
	// progress has its totals before bytes move.
	walkErrs := make([]error, len(targets))
	var walks errgroup.Group
	walks.SetLimit(env.concurrency())
	for i, ts := range targets {
		e := entries[i]
		if len(ts) == 0 || e.graph != nil {
			continue
		}
		walks.Go(func() error {
			g := NewGraph()
			if walkErrs[i] = g.Add(ctx, e.repo, e.desc, e.raw, WalkOptions{Referrers: o.referrers}); walkErrs[i] == nil {
				e.graph = g
			}
			return nil
		})
	}
	_ = walks.Wait() // each walk's outcome is in walkErrs
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for i, err := range walkErrs {
		if err == nil {
			continue
		}
		for _, t := range targets[i] {
			if err := fail(Failure{Source: res.Plan.Rows[i].Source, Destination: t.dest.String(), Error: "reading the image: " + err.Error()}); err != nil {
				return err
			}
		}
		targets[i] = nil
	}
	for _, ts := range targets {
		for _, t := range ts {
			copier.Expect(graphBytes(t.entry.graph), 1)
		}
	}

	// Every destination of every entry at once, up to the copier's
	// concurrency: their blobs share its per-registry limit, and what one
	// sends to a registry the others mount there. Outcomes are reported as
	// they come; without Continue the first failure stops the rest.
	var mu sync.Mutex
	dctx, stop := context.WithCancel(ctx)
	defer stop()
	stopped := false
	delivered := make([]bool, len(targets))
	eg := errgroup.Group{}
	eg.SetLimit(env.concurrency())
	for i, ts := range targets {
		source := res.Plan.Rows[i].Source
		for _, t := range ts {
			eg.Go(func() error {
				if dctx.Err() != nil {
					return nil // stopped before it began
				}
				st, err := deliverOne(dctx, env, copier, t)
				mu.Lock()
				defer mu.Unlock()
				res.Stats.add(st)
				switch {
				case err != nil && dctx.Err() != nil:
					// cancelled, or stopped by another's failure: not a failure of its own
				case err != nil:
					if fail(Failure{Source: source, Destination: t.dest.String(), Error: err.Error()}) != nil {
						stopped = true
						stop()
					}
				default:
					delivered[i] = true
					res.Destinations++
					copier.ItemDone(source)
					env.item(Item{Source: source, Destination: t.dest.String(), Digest: t.entry.desc.Digest.String(), Status: ItemDone, Bytes: st.ImageBytes()})
				}
				return nil
			})
		}
	}
	_ = eg.Wait() // every outcome is in res
	for _, d := range delivered {
		if d {
			res.Images++
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if stopped {
		return &DeliveryError{Op: o.op, Failures: res.Failures, Stopped: true}
	}
	env.logf("%s delivered %d images to %d destinations (%d failures)", o.op, res.Images, res.Destinations, len(res.Failures))
	if len(res.Failures) > 0 {
		return &DeliveryError{Op: o.op, Failures: res.Failures}
	}
	return nil
}

// deliverOne copies one entry's graph into one destination repository and
// tags it as the destination says.
func deliverOne(ctx context.Context, env Env, copier *Copier, t deliveryTarget) (CopyStats, error) {
	e := t.entry
	if pin := t.dest.PinnedDigest(); pin != "" && pin != e.desc.Digest.String() {
		return CopyStats{}, fmt.Errorf("destination pins %s but the image is %s", pin, e.desc.Digest)
	}
	dst := env.Open(t.dest.Name().Context())
	if t.dest.Tag() != "" && e.graph.Manifest(e.desc.Digest) == nil {
		return CopyStats{}, fmt.Errorf("%s: manifest missing from the walked graph", e.desc.Digest)
	}
	return copier.CopyTagged(ctx, e.graph, e.repo, dst, e.desc.Digest, t.dest.Tag())
}
