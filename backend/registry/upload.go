package registry

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// UploadBlob sends one blob of known digest and size to t's repository
// unless the registry has it: a HEAD, then a POST that opens the upload and
// one PUT that carries the content and commits it (the distribution spec's
// monolithic upload), one request fewer than go-containerregistry's POST,
// PATCH and PUT. The registry verifies the digest when it commits; sent says
// whether body was read. The PUT is not retried: body is a stream.
func (c *Client) UploadBlob(ctx context.Context, t Target, d v1.Descriptor, body io.Reader) (sent bool, err error) {
	repo := t.Ref.Context()
	hc, err := c.authorized(ctx, t, repo.Scope(transport.PushScope))
	if err != nil {
		return false, explainAt(err, repo, t)
	}
	if has, err := hasBlob(ctx, hc, repo, d); err != nil || has {
		return false, explainAt(err, repo, t)
	}
	start := v2URL(repo, "/blobs/uploads/")
	resp, err := do(ctx, hc, http.MethodPost, start.String(), nil, 0, http.StatusAccepted)
	if err != nil {
		return false, explainAt(err, repo, t)
	}
	loc, err := location(resp)
	if err != nil {
		return false, explainAt(err, repo, t)
	}
	q := loc.Query()
	q.Set("digest", d.Digest.String())
	loc.RawQuery = q.Encode()
	if _, err := do(ctx, hc, http.MethodPut, loc.String(), body, d.Size, http.StatusCreated); err != nil {
		return true, explainAt(err, repo, t)
	}
	return true, nil
}

// HasBlob asks t's registry whether t's repository holds the blob (a HEAD).
func (c *Client) HasBlob(ctx context.Context, t Target, d v1.Descriptor) (bool, error) {
	repo := t.Ref.Context()
	hc, err := c.authorized(ctx, t, repo.Scope(transport.PullScope))
	if err != nil {
		return false, explainAt(err, repo, t)
	}
	has, err := hasBlob(ctx, hc, repo, d)
	return has, explainAt(err, repo, t)
}

func hasBlob(ctx context.Context, hc *http.Client, repo name.Repository, d v1.Descriptor) (bool, error) {
	u := v2URL(repo, "/blobs/"+d.Digest.String())
	resp, err := do(ctx, hc, http.MethodHead, u.String(), nil, 0, http.StatusOK, http.StatusNotFound)
	if err != nil {
		return false, err
	}
	return resp.StatusCode == http.StatusOK, nil
}

// manifestAccept is what a manifest HEAD accepts besides the descriptor's
// own media type, as go-containerregistry asks.
var manifestAccept = []string{string(types.OCIManifestSchema1), string(types.OCIImageIndex), string(types.DockerManifestSchema2),
	string(types.DockerManifestList), string(types.DockerManifestSchema1), string(types.DockerManifestSchema1Signed)}

// HasManifest asks t's registry whether t's repository holds the manifest d
// names (a HEAD by digest).
func (c *Client) HasManifest(ctx context.Context, t Target, d v1.Descriptor) (bool, error) {
	repo := t.Ref.Context()
	hc, err := c.authorized(ctx, t, repo.Scope(transport.PullScope))
	if err != nil {
		return false, explainAt(err, repo, t)
	}
	u := v2URL(repo, "/manifests/"+d.Digest.String())
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u.String(), nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", strings.Join(append([]string{string(d.MediaType)}, manifestAccept...), ","))
	resp, err := send(hc, req, http.StatusOK, http.StatusNotFound)
	if err != nil {
		return false, explainAt(err, repo, t)
	}
	return resp.StatusCode == http.StatusOK, nil
}

// PutManifest puts raw, a manifest of mediaType, under ref (a tag or a
// digest) in t's repository, whose registry must hold its children. For a
// manifest with a subject use Pusher.Put: it also keeps the subject's
// referrers tag where the registry lacks the referrers API.
func (c *Client) PutManifest(ctx context.Context, t Target, ref string, mediaType types.MediaType, raw []byte) error {
	repo := t.Ref.Context()
	hc, err := c.authorized(ctx, t, repo.Scope(transport.PushScope))
	if err != nil {
		return explainAt(err, repo, t)
	}
	u := v2URL(repo, "/manifests/"+ref)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.String(), bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", string(mediaType))
	_, err = send(hc, req, http.StatusOK, http.StatusCreated, http.StatusAccepted)
	return explainAt(err, repo, t)
}

// MountBlob asks t's registry to link the blob from another of its
// repositories into t's (one POST, the blob never travels); mounted is false
// when the registry refuses and opens an upload instead, which is left to
// expire.
func (c *Client) MountBlob(ctx context.Context, t Target, d v1.Descriptor, from name.Repository) (mounted bool, err error) {
	repo := t.Ref.Context()
	// A token for the mount must also allow pulling from the other repository.
	hc, err := c.authorized(ctx, t, repo.Scope(transport.PushScope), from.Scope(transport.PullScope))
	if err != nil {
		return false, explainAt(err, repo, t)
	}
	u := v2URL(repo, "/blobs/uploads/")
	u.RawQuery = url.Values{"mount": {d.Digest.String()}, "from": {from.RepositoryStr()}}.Encode()
	resp, err := do(ctx, hc, http.MethodPost, u.String(), nil, 0, http.StatusCreated, http.StatusAccepted)
	if err != nil {
		return false, explainAt(err, repo, t)
	}
	return resp.StatusCode == http.StatusCreated, nil
}

// do sends one request and checks its status; the response body is read
// and closed.
func do(ctx context.Context, hc *http.Client, method, u string, body io.Reader, size int64, ok ...int) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", "application/octet-stream")
		req.GetBody = nil // a stream: not sent twice
	}
	return send(hc, req, ok...)
}

// send sends req and checks its status; the response body is read and
// closed.
func send(hc *http.Client, req *http.Request, ok ...int) (*http.Response, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, ok...); err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp, nil
}

// location is where an opened upload goes on, resolved against the request.
func location(resp *http.Response) (*url.URL, error) {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil, fmt.Errorf("the registry opened an upload without a Location")
	}
	u, err := url.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("the registry opened an upload at %q: %w", loc, err)
	}
	return resp.Request.URL.ResolveReference(u), nil
}

// authorized is the HTTP client for requests to t's registry in the scopes,
// kept per endpoint session and scopes: a registry whose ping asks for no
// credentials gets one client for every scope (go-containerregistry would
// ping again for each repository), others a ping and, for token auth, a
// token per scope set at first use.
func (c *Client) authorized(ctx context.Context, t Target, scopes ...string) (*http.Client, error) {
	repo := t.Ref.Context()
	if hc := c.anonymous(ctx, t); hc != nil {
		return hc, nil
	}
	u := c.authClient(t.session + "|" + strings.Join(scopes, " "))
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.client != nil {
		return u.client, nil
	}
	auth := t.auth
	if auth == nil {
		a, err := c.keychain.Resolve(repo)
		if err != nil {
			return nil, err
		}
		auth = a
	}
	rt, err := transport.NewWithContext(ctx, repo.Registry, auth, c.roundTripper(t), scopes)
	if err != nil {
		return nil, err
	}
	u.client = &http.Client{Transport: rt}
	return u.client, nil
}

// anonymous pings t's registry once per session, as go-containerregistry
// does (the scheme the registry name implies): a plain 200 means no
// credentials are asked for, and the client returned serves every request.
// nil means the registry asks for credentials (or the ping failed: the
// authorizing ping says why).
func (c *Client) anonymous(ctx context.Context, t Target) *http.Client {
	u := c.authClient(t.session)
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.pinged {
		return u.client
	}
	u.pinged = true
	reg := t.Ref.Context().Registry
	hc := &http.Client{Transport: c.roundTripper(t)}
	ping := url.URL{Scheme: reg.Scheme(), Host: reg.RegistryStr(), Path: "/v2/"}
	if _, err := do(ctx, hc, http.MethodGet, ping.String(), nil, 0, http.StatusOK); err == nil {
		u.client = hc
	}
	return u.client
}

// roundTripper is what the requests to t's endpoint go through: retries
// (of bodiless requests only) and the user agent. Made only where a session's
// client is made, not for every request.
func (c *Client) roundTripper(t Target) http.RoundTripper {
	retry := transport.NewRetry(t.transport, transport.WithRetryBackoff(c.backoff), transport.WithRetryPredicate(c.retryPredicate(t.Endpoint)),
		transport.WithRetryStatusCodes(retryStatusCodes...))
	return transport.NewUserAgent(retryBodiless{retry: retry, once: t.transport}, c.userAgent)
}

// v2URL is the address of path (e.g. "/blobs/uploads/") under repo's /v2/
// API.
func v2URL(repo name.Repository, path string) url.URL {
	return url.URL{Scheme: repo.Registry.Scheme(), Host: repo.RegistryStr(), Path: "/v2/" + repo.RepositoryStr() + path}
}

func (c *Client) authClient(key string) *authClient {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.clients[key]
	if u == nil {
		u = &authClient{}
		c.clients[key] = u
	}
	return u
}

// retryBodiless retries only requests without a body: a blob's content is
// a stream, read once (a medium cut under it must not look like a dropped
// connection worth another try).
type retryBodiless struct{ retry, once http.RoundTripper }

func (r retryBodiless) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return r.retry.RoundTrip(req)
	}
	return r.once.RoundTrip(req)
}

type authClient struct {
	mu     sync.Mutex
	pinged bool // for a session's entry: anonymous asked already
	client *http.Client
}
