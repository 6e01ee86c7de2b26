package registry

import (
	"context"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Pusher writes to registries through their push targets (see PushTarget).
// Every push through one Client shares the endpoint's remote.Pusher, which
// reuses connections, tokens and in-flight uploads across calls, so several
// goroutines can push the blobs and manifests of one transfer.
type Pusher struct{ c *Client }

// Pusher returns a Pusher. Pushes of a manifest that has a subject also
// update the referrers tag on registries without the referrers API.
func (c *Client) Pusher() *Pusher { return &Pusher{c: c} }

func (p *Pusher) target(ref name.Reference) (Target, *remote.Pusher, error) {
	t, err := p.c.PushTarget(ref)
	if err != nil {
		return Target{}, nil, err
	}
	rp := t.pusher
	if rp == nil {
		if rp, err = remote.NewPusher(t.Options()...); err != nil {
			return Target{}, nil, err
		}
	}
	return t, rp, nil
}

// Push writes t (an image, an index or a raw manifest) to ref with every blob
// and child manifest it needs that the registry lacks.
func (p *Pusher) Push(ctx context.Context, ref name.Reference, t remote.Taggable) error {
	target, rp, err := p.target(ref)
	if err != nil {
		return err
	}
	return explainAt(rp.Push(ctx, target.Ref, t), ref, target)
}

// Put writes only the manifest t to ref; its children must already be there.
func (p *Pusher) Put(ctx context.Context, ref name.Reference, t remote.Taggable) error {
	target, rp, err := p.target(ref)
	if err != nil {
		return err
	}
	return explainAt(rp.Put(ctx, target.Ref, t), ref, target)
}

// Upload writes one blob to repo unless the registry already has it.
func (p *Pusher) Upload(ctx context.Context, repo name.Repository, l v1.Layer) error {
	// PushTarget works on references; any tag of repo gives its repository.
	ref := repo.Tag("latest")
	target, rp, err := p.target(ref)
	if err != nil {
		return err
	}
	return explainAt(rp.Upload(ctx, target.Ref.Context(), l), repo, target)
}

// Push writes t to ref as Pusher.Push does, for a single write.
func (c *Client) Push(ctx context.Context, ref name.Reference, t remote.Taggable) error {
	return c.Pusher().Push(ctx, ref, t)
}
