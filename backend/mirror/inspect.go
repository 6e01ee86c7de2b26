package mirror

import (
	"context"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/refs"
)

// Inspection is what a registry says about one reference, before anything
// is copied: the operator sees reachability, auth and TLS problems per row.
type Inspection struct {
	Ref       string   `json:"ref"`
	OK        bool     `json:"ok"`
	Digest    string   `json:"digest,omitempty"`
	MediaType string   `json:"mediaType,omitempty"`
	Platforms []string `json:"platforms,omitempty"`
	// Size is the sum of the blobs the manifests list (deduplicated within
	// the image); child manifests of an index are fetched to count it.
	Size  int64  `json:"size"`
	Error string `json:"error,omitempty"`
}

// Inspect resolves every reference, several at once, and never fails as a
// whole: each row carries its own error.
func Inspect(ctx context.Context, env Env, refsIn []string) []Inspection {
	out := make([]Inspection, len(refsIn))
	var wg sync.WaitGroup
	sem := make(chan struct{}, env.concurrency()*2)
	for i, s := range refsIn {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				out[i] = Inspection{Ref: s, Error: ctx.Err().Error()}
				return
			}
			out[i] = inspectOne(ctx, env, s)
		}()
	}
	wg.Wait()
	return out
}

func inspectOne(ctx context.Context, env Env, s string) Inspection {
	in := Inspection{Ref: s}
	ref, err := refs.Parse(s)
	if err != nil {
		in.Error = err.Error()
		return in
	}
	repo := env.repoOf(ref.Name())
	desc, raw, err := repo.Resolve(ctx, ref.Name().Identifier())
	if err != nil {
		in.Error = err.Error()
		return in
	}
	in.OK, in.Digest, in.MediaType = true, desc.Digest.String(), string(desc.MediaType)
	g := NewGraph()
	if err := g.Add(ctx, repo, desc, raw, WalkOptions{}); err != nil {
		in.Error = "resolved, but its manifests could not be read: " + err.Error()
		return in
	}
	_, in.Size = g.Sizes([]v1.Descriptor{desc})
	if n := g.Get(desc.Digest); n != nil && IsIndex(desc.MediaType) {
		for _, c := range n.Children {
			if c.Platform != nil {
				in.Platforms = append(in.Platforms, c.Platform.String())
			}
		}
	}
	return in
}
