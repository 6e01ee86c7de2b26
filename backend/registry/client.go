// Package registry gives go-containerregistry's remote package what the
// configuration says about each registry: credentials from the docker
// keychain, mirror endpoints tried in order with pull rewrites, TLS settings,
// retries with backoff, a user agent and a per-registry concurrency limit.
// Every error it returns names the reference and the registry (see Explain).
package registry

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sirupsen/logrus"

	"ferry/backend/config"
	"ferry/backend/version"
)

// Client reaches registries as the configuration describes. It is safe for
// concurrent use; make one per operation or share one.
type Client struct {
	cfg       *config.Config
	keychain  authn.Keychain
	userAgent string
	backoff   remote.Backoff
	limit     int
	log       *logrus.Entry // nil: nothing is logged

	mu         sync.Mutex
	transports map[string]http.RoundTripper // by endpoint URL
	sessions   map[string]session           // by endpoint URL and its settings
	clients    map[string]*authClient       // by session and scopes (see authorized)
}

// session is the puller and pusher every request to one endpoint goes
// through (remote.Reuse): they keep the registry's ping, tokens and
// per-repository writers from one call to the next, so a HEAD or an upload
// costs its own request only.
type session struct {
	puller *remote.Puller
	pusher *remote.Pusher
}

// Option configures a Client.
type Option func(*Client)

// WithKeychain replaces authn.DefaultKeychain (docker config.json found via
// DOCKER_CONFIG, and its credential helpers).
func WithKeychain(k authn.Keychain) Option {
	return func(c *Client) { c.keychain = k }
}

// WithUserAgent replaces the user agent "ferry/<version>".
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// WithRetryBackoff replaces the retry schedule for 408, 429 and 5xx answers
// and reset connections (default: 4 tries, 1 s then 3 s then 9 s apart).
func WithRetryBackoff(b remote.Backoff) Option {
	return func(c *Client) { c.backoff = b }
}

// WithRegistryLimit sets how many blobs one push or pull moves at once, and
// the concurrency the mirror operations use per registry (Limit; default:
// the configuration's ferry.registryConcurrency).
func WithRegistryLimit(n int) Option {
	return func(c *Client) {
		if n > 0 {
			c.limit = n
		}
	}
}

// DefaultBackoff is the retry schedule used unless WithRetryBackoff replaces it.
var DefaultBackoff = remote.Backoff{Duration: time.Second, Factor: 3, Jitter: 0.1, Steps: 4}

// retryStatusCodes are the answers worth asking again: timeouts, rate limits
// and server-side failures.
var retryStatusCodes = []int{
	http.StatusRequestTimeout,
	http.StatusTooManyRequests,
	http.StatusInternalServerError,
	http.StatusBadGateway,
	http.StatusServiceUnavailable,
	http.StatusGatewayTimeout,
}

// New returns a Client for cfg (config.Default() when nil).
func New(cfg *config.Config, opts ...Option) *Client {
	if cfg == nil {
		cfg = config.Default()
	}
	c := &Client{
		cfg:        cfg,
		keychain:   authn.DefaultKeychain,
		userAgent:  "ferry/" + version.Version,
		backoff:    DefaultBackoff,
		limit:      cfg.Ferry.RegistryConcurrency,
		transports: map[string]http.RoundTripper{},
		sessions:   map[string]session{},
		clients:    map[string]*authClient{},
	}
	if c.limit <= 0 {
		c.limit = config.DefaultRegistryConcurrency
	}
	if cfg.RegistryAuthFile != "" {
		c.keychain = authn.NewMultiKeychain(authFileKeychain{path: cfg.RegistryAuthFile}, authn.DefaultKeychain)
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Limit is the number of concurrent requests allowed per registry host.
func (c *Client) Limit() int { return c.limit }

// Target is a reference as reached through one endpoint.
type Target struct {
	// Ref is the reference on the endpoint's host; for pulls its repository
	// has been rewritten by the registry's rewritePull rules.
	Ref name.Reference
	// Endpoint is the endpoint URL, e.g. https://mirror.example.com.
	Endpoint string
	// Referrers is the endpoint's supportsReferrers setting (never empty).
	Referrers config.ReferrersMode

	opts   []remote.Option
	pusher *remote.Pusher
	// transport and skipVerify are what requests to Endpoint go through,
	// for Check and UploadBlob.
	transport  http.RoundTripper
	skipVerify bool
	// for UploadBlob: the session's key and the credentials (nil: resolved
	// from the keychain at first use)
	session string
	auth    authn.Authenticator
}

// Options are the remote options for talking to this target; add
// remote.WithContext for cancellation.
func (t Target) Options() []remote.Option {
	return append([]remote.Option(nil), t.opts...)
}

// Origin is ref's registry as written, ignoring configured mirrors.
func (c *Client) Origin(ref name.Reference) Target { return c.origin(ref) }

// PullTargets lists where ref can be pulled from, in the order tried: the
// registry's configured endpoints (with rewritePull applied), then the
// registry itself unless it is already one of them.
func (c *Client) PullTargets(ref name.Reference) ([]Target, error) {
	host := ref.Context().RegistryStr()
	reg := c.cfg.Registry(host)
	var targets []Target
	originListed := false
	repo, _ := reg.RewritePull.Apply(ref.Context().RepositoryStr())
	for _, ep := range reg.Endpoints {
		t, err := c.target(ref, ep, repo)
		if err != nil {
			return nil, err
		}
		if t.Ref.Context().RegistryStr() == host {
			originListed = true
		}
		targets = append(targets, t)
	}
	if !originListed {
		targets = append(targets, c.origin(ref))
	}
	return targets, nil
}

// PushTarget is where a push to ref goes: the registry's first configured
// endpoint, as in the reference tool, else the registry itself. Pushes are
// never rewritten.
func (c *Client) PushTarget(ref name.Reference) (Target, error) {
	reg := c.cfg.Registry(ref.Context().RegistryStr())
	if len(reg.Endpoints) == 0 {
		return c.origin(ref), nil
	}
	return c.target(ref, reg.Endpoints[0], ref.Context().RepositoryStr())
}

// origin is ref's own registry. An endpointConfig entry for https://host
// (or http://host) applies to it.
func (c *Client) origin(ref name.Reference) Target {
	reg := ref.Context().Registry
	cfg := c.cfg.Endpoint("https://" + reg.RegistryStr())
	if cfg == (config.EndpointConfig{}) {
		cfg = c.cfg.Endpoint("http://" + reg.RegistryStr())
	}
	// Scheme is "http" for loopback and private addresses, which
	// go-containerregistry tries over HTTPS first and then plain HTTP.
	return c.newTarget(ref, reg.Scheme()+"://"+reg.RegistryStr(), cfg, false)
}

// target is ref moved to the endpoint URL ep with repository path repo.
func (c *Client) target(ref name.Reference, ep, repo string) (Target, error) {
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" {
		return Target{}, fmt.Errorf("endpoint %q of registry %s is not a URL", ep, ref.Context().RegistryStr())
	}
	plainHTTP := u.Scheme == "http"
	var opts []name.Option
	if plainHTTP {
		opts = append(opts, name.Insecure)
	}
	var moved name.Reference
	if d, ok := ref.(name.Digest); ok {
		moved, err = name.NewDigest(u.Host+"/"+repo+"@"+d.DigestStr(), opts...)
	} else {
		moved, err = name.NewTag(u.Host+"/"+repo+":"+ref.Identifier(), opts...)
	}
	if err != nil {
		return Target{}, fmt.Errorf("%s through endpoint %s: %w", ref, ep, err)
	}
	return c.newTarget(moved, ep, c.cfg.Endpoint(ep), plainHTTP), nil
}

func (c *Client) newTarget(ref name.Reference, endpoint string, ec config.EndpointConfig, plainHTTP bool) Target {
	skipVerify := ec.TLS != nil && ec.TLS.InsecureSkipVerify
	// The credentials are looked up now, at each new target, so a login
	// between two calls counts; the session reused is the one for them.
	auth := remote.WithAuthFromKeychain(c.keychain)
	credKey := "keychain"
	var resolved authn.Authenticator
	if a, err := c.keychain.Resolve(ref.Context()); err == nil {
		if cfg, err := a.Authorization(); err == nil {
			auth, credKey, resolved = remote.WithAuth(a), credentialKey(cfg), a
		}
	}
	tr := c.transport(endpoint, ref.Context().RegistryStr(), skipVerify, plainHTTP)
	opts := []remote.Option{
		auth,
		remote.WithTransport(tr),
		remote.WithUserAgent(c.userAgent),
		remote.WithRetryBackoff(c.backoff),
		remote.WithRetryStatusCodes(retryStatusCodes...),
		remote.WithRetryPredicate(c.retryPredicate(endpoint)),
		remote.WithJobs(c.limit),
		// Foreign (non-distributable) layers, such as Windows base layers,
		// are copied like any other: the far side of an air gap cannot
		// fetch them from their URLs.
		remote.WithNondistributable,
	}
	mode := ec.SupportsReferrers.OrAuto()
	if mode == config.ReferrersAPI {
		opts = append(opts, remote.WithReferrersTagFallback(false))
	}
	key := fmt.Sprintf("%s|%t|%t|%s|%s", endpoint, skipVerify, plainHTTP, mode, credKey)
	s := c.session(key, opts)
	opts = append(opts, remote.Reuse(s.puller), remote.Reuse(s.pusher))
	return Target{Ref: ref, Endpoint: endpoint, Referrers: mode, opts: opts, pusher: s.pusher, transport: tr, skipVerify: skipVerify, session: key, auth: resolved}
}

// credentialKey tells credentials apart without keeping them in the key.
func credentialKey(cfg *authn.AuthConfig) string {
	b, _ := json.Marshal(cfg)
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// session returns the cached puller and pusher for one endpoint's options.
func (c *Client) session(key string, opts []remote.Option) session {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.sessions[key]; ok {
		return s
	}
	puller, err1 := remote.NewPuller(opts...)
	pusher, err2 := remote.NewPusher(opts...)
	if err1 != nil || err2 != nil {
		// Options that fail here fail every call that uses them, which
		// says so; nothing is reused then.
		return session{}
	}
	s := session{puller: puller, pusher: pusher}
	c.sessions[key] = s
	return s
}

// transport returns the cached HTTP transport for one endpoint, so that
// connections are reused across calls.
func (c *Client) transport(endpoint, host string, skipVerify, plainHTTP bool) http.RoundTripper {
	caFile := c.cfg.CAFile(host)
	key := fmt.Sprintf("%s|%t|%t|%s", endpoint, skipVerify, plainHTTP, caFile)
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.transports[key]; ok {
		return t
	}
	base := remote.DefaultTransport.(*http.Transport).Clone()
	if base.TLSClientConfig == nil {
		base.TLSClientConfig = &tls.Config{}
	}
	base.TLSClientConfig.InsecureSkipVerify = skipVerify
	var t http.RoundTripper = base
	if caFile != "" {
		t = trustCAFile(base, host, caFile)
	}
	switch {
	case plainHTTP:
		t = &httpOnly{host: host, next: t}
	case !isLoopback(host):
		t = &httpsOnly{host: host, next: t}
	}
	if c.log != nil {
		t = &logTransport{log: c.log, next: t}
	}
	c.transports[key] = t
	return t
}

// httpsOnly refuses plain HTTP to a registry host. go-containerregistry falls
// back to HTTP for private addresses (10.x, 192.168.x, *.local); Ferry allows
// that only for endpoints configured as http:// and for loopback.
type httpsOnly struct {
	host string
	next http.RoundTripper
}

// errPlainHTTP marks a request refused by httpsOnly.
var errPlainHTTP = errors.New("plain HTTP refused")

func (h *httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && req.URL.Host == h.host {
		return nil, fmt.Errorf("%w to %s: configure an http:// endpoint for it to allow it", errPlainHTTP, h.host)
	}
	return h.next.RoundTrip(req)
}

// httpOnly keeps an endpoint configured as http:// on plain HTTP.
// go-containerregistry tries HTTPS first at every new session with such a
// registry, a TLS handshake with a plain HTTP server that can only fail;
// here that attempt fails before it dials, and the ping goes on over HTTP.
type httpOnly struct {
	host string
	next http.RoundTripper
}

func (h *httpOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "https" && req.URL.Host == h.host {
		return nil, fmt.Errorf("%s is configured as an http:// endpoint: HTTPS is not tried", h.host)
	}
	return h.next.RoundTrip(req)
}

func isLoopback(host string) bool {
	h := host
	if sh, _, err := net.SplitHostPort(host); err == nil {
		h = sh
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// retryPredicate is retryable, saying at debug level what is retried.
// The last try's failure is also passed here, so the line says "unless".
func (c *Client) retryPredicate(endpoint string) func(error) bool {
	return func(err error) bool {
		if !retryable(err) {
			return false
		}
		c.debugf("%s: %v; trying again unless out of tries", endpoint, err)
		return true
	}
}

// retryable says whether a failed request is worth repeating: dropped
// connections and timeouts, not refused connections (a mirror that is down
// should give way to the next endpoint at once).
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var temp interface{ Temporary() bool }
	if errors.As(err, &temp) && temp.Temporary() {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}
