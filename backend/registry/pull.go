package registry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"ferry/backend/config"
)

// pull runs f on each of ref's pull targets in order until one succeeds. Any
// failure moves on to the next endpoint (a mirror may be down, lack the
// image, refuse the credentials or fail); the error lists every attempt.
func pull[T any](ctx context.Context, c *Client, ref name.Reference, f func(Target, []remote.Option) (T, error)) (T, error) {
	var zero T
	targets, err := c.PullTargets(ref)
	if err != nil {
		return zero, err
	}
	var attempts []*Error
	for i, t := range targets {
		v, err := f(t, append(t.Options(), remote.WithContext(ctx)))
		if err == nil {
			return v, nil
		}
		if ctx.Err() != nil {
			return zero, ctx.Err()
		}
		var e *Error
		if !errors.As(explainAt(err, ref, t), &e) {
			return zero, err
		}
		attempts = append(attempts, e)
		if i+1 < len(targets) {
			c.debugf("%s: endpoint %s failed (%v); trying %s", ref, t.Endpoint, e, targets[i+1].Endpoint)
		}
	}
	if len(attempts) == 1 {
		return zero, attempts[0]
	}
	return zero, &FallbackError{Ref: ref.String(), Attempts: attempts}
}

// Get fetches ref's manifest from the first endpoint that has it; the
// descriptor's Image or ImageIndex reads blobs from that same endpoint.
func (c *Client) Get(ctx context.Context, ref name.Reference) (*remote.Descriptor, error) {
	return pull(ctx, c, ref, func(t Target, opts []remote.Option) (*remote.Descriptor, error) {
		return remote.Get(t.Ref, opts...)
	})
}

// Head resolves ref to a descriptor (media type, digest, size) without
// fetching the manifest, trying endpoints in order.
func (c *Client) Head(ctx context.Context, ref name.Reference) (*v1.Descriptor, error) {
	return pull(ctx, c, ref, func(t Target, opts []remote.Option) (*v1.Descriptor, error) {
		return remote.Head(t.Ref, opts...)
	})
}

// Blob opens the blob ref names from the first endpoint that serves it.
// Reading verifies the digest: the final Read fails if the bytes do not match.
func (c *Client) Blob(ctx context.Context, ref name.Digest) (io.ReadCloser, error) {
	return pull(ctx, c, ref, func(t Target, opts []remote.Option) (io.ReadCloser, error) {
		l, err := remote.Layer(t.Ref.(name.Digest), opts...)
		if err != nil {
			return nil, err
		}
		return l.Compressed()
	})
}

// RawBlob opens the blob ref names from the first endpoint that serves it,
// without verifying it: for a caller that proves the digest itself while it
// reads (the archive writer), so the bytes are hashed once.
func (c *Client) RawBlob(ctx context.Context, ref name.Digest) (io.ReadCloser, error) {
	return pull(ctx, c, ref, func(t Target, _ []remote.Option) (io.ReadCloser, error) {
		repo := t.Ref.Context()
		hc, err := c.authorized(ctx, t, repo.Scope(transport.PullScope))
		if err != nil {
			return nil, err
		}
		u := v2URL(repo, "/blobs/"+t.Ref.Identifier())
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		if err := transport.CheckError(resp, http.StatusOK); err != nil {
			resp.Body.Close()
			return nil, err
		}
		return resp.Body, nil
	})
}

// Referrers lists the manifests whose subject is ref, as the endpoint's
// supportsReferrers setting says: "api" uses only the OCI 1.1 referrers API,
// "tag" only the sha256-<hex> tag schema, "auto" the API and then the tag.
// No referrers is an empty list, not an error.
func (c *Client) Referrers(ctx context.Context, ref name.Digest) ([]v1.Descriptor, error) {
	return pull(ctx, c, ref, func(t Target, opts []remote.Option) ([]v1.Descriptor, error) {
		d := t.Ref.(name.Digest)
		if t.Referrers == config.ReferrersTag {
			return referrersByTag(d, opts)
		}
		idx, err := remote.Referrers(d, opts...)
		if err != nil {
			return nil, err
		}
		m, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		return m.Manifests, nil
	})
}

// FallbackTag is the tag schema's tag for a subject digest: "sha256-<hex>".
func FallbackTag(d name.Digest) name.Tag {
	return d.Context().Tag(strings.Replace(d.DigestStr(), ":", "-", 1))
}

func referrersByTag(d name.Digest, opts []remote.Option) ([]v1.Descriptor, error) {
	desc, err := remote.Get(FallbackTag(d), opts...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	return m.Manifests, nil
}
