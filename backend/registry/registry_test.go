package registry

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"ferry/backend/config"
	"ferry/backend/registrytest"
	"ferry/backend/version"
)

var fastRetry = remote.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 3}

// newClient isolates the test from the user's docker credentials and parses
// cfgText (a registryConfig body; "" for none) as a configuration file.
func newClient(t *testing.T, cfgText string, opts ...Option) *Client {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("DOCKER_CONFIG", filepath.Join(home, ".docker"))
	cfg, err := config.Parse("test.yaml", []byte("apiVersion: config.dt.act3-ace.io/v1alpha1\nkind: Configuration\n"+cfgText))
	if err != nil {
		t.Fatal(err)
	}
	return New(cfg, append([]Option{WithRetryBackoff(fastRetry)}, opts...)...)
}

func ref(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func digestOf(t *testing.T, d interface{ Digest() (v1.Hash, error) }) v1.Hash {
	t.Helper()
	h, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestGetTriesEndpointsInOrderWithRewrite(t *testing.T) {
	origin, mirror, down := registrytest.InProcess(t), registrytest.InProcess(t), closedPort(t)
	registrytest.PushImage(t, origin+"/app/web:1")
	mirrored := registrytest.PushImage(t, mirror+"/cache/app/web:1", registrytest.Layer(t, 9, 64))

	c := newClient(t, fmt.Sprintf(`registryConfig:
  registries:
    %s:
      endpoints: [http://%s, http://%s]
      rewritePull:
        "^app/(.*)": "cache/app/$1"
`, origin, down, mirror))

	d, err := c.Get(context.Background(), ref(t, origin+"/app/web:1"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Digest != digestOf(t, mirrored) {
		t.Errorf("got %s, want the image at the mirror's rewritten path %s", d.Digest, digestOf(t, mirrored))
	}

	// Blobs come from the endpoint that has them, verified against their digest.
	layers, _ := mirrored.Layers()
	blobRef := ref(t, origin+"/app/web@"+digestOf(t, layers[0]).String()).(name.Digest)
	rc, err := c.Blob(context.Background(), blobRef)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc)
	rc.Close()
	if size, _ := layers[0].Size(); err != nil || n != size {
		t.Errorf("read %d bytes of %d: %v", n, size, err)
	}

	// Head agrees with Get.
	h, err := c.Head(context.Background(), ref(t, origin+"/app/web:1"))
	if err != nil || h.Digest != d.Digest {
		t.Errorf("Head = %v, %v; want %s", h, err, d.Digest)
	}
}

func TestGetFallsBackToOriginOn404And5xx(t *testing.T) {
	origin, empty := registrytest.InProcess(t), registrytest.InProcess(t)
	img := registrytest.PushImage(t, origin+"/app/web:1")

	var failing atomic.Int32
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		failing.Add(1)
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	}))
	t.Cleanup(broken.Close)

	c := newClient(t, fmt.Sprintf(`registryConfig:
  registries:
    %s:
      endpoints: [%s, http://%s]
`, origin, broken.URL, empty))
	d, err := c.Get(context.Background(), ref(t, origin+"/app/web:1"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Digest != digestOf(t, img) {
		t.Error("did not fall back to the registry itself")
	}
	if failing.Load() < 2 {
		t.Errorf("a 503 must be retried before moving on; %d requests", failing.Load())
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	inner := registrytest.Handler()
	var fails atomic.Int32
	fails.Store(2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/manifests/") && r.Method == http.MethodGet && fails.Add(-1) >= 0 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	img := registrytest.PushImage(t, host+"/a:1")

	d, err := newClient(t, "").Get(context.Background(), ref(t, host+"/a:1"))
	if err != nil {
		t.Fatalf("two 429s then success must succeed: %v", err)
	}
	if d.Digest != digestOf(t, img) {
		t.Error("wrong image")
	}
}

func TestEveryEndpointFailing(t *testing.T) {
	origin, mirror := registrytest.InProcess(t), registrytest.InProcess(t)
	c := newClient(t, fmt.Sprintf("registryConfig:\n  registries:\n    %s:\n      endpoints: [http://%s]\n", origin, mirror))

	_, err := c.Get(context.Background(), ref(t, origin+"/nothing:1"))
	var fe *FallbackError
	if !errors.As(err, &fe) || len(fe.Attempts) != 2 {
		t.Fatalf("want a FallbackError with 2 attempts, got %v", err)
	}
	if !errors.Is(err, ErrNotFound) {
		t.Error("missing on every endpoint must be ErrNotFound")
	}
	for _, host := range []string{origin, mirror} {
		if !strings.Contains(err.Error(), host) {
			t.Errorf("error does not name endpoint %s:\n%v", host, err)
		}
	}

	// Found nowhere is different from "one endpoint was down".
	c = newClient(t, fmt.Sprintf("registryConfig:\n  registries:\n    %s:\n      endpoints: [http://%s]\n", origin, closedPort(t)))
	_, err = c.Get(context.Background(), ref(t, origin+"/nothing:1"))
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnreachable) {
		t.Errorf("mixed failures must match no single kind: %v", err)
	}
}

func TestNotFoundNamesTheReference(t *testing.T) {
	host := registrytest.InProcess(t)
	_, err := newClient(t, "").Get(context.Background(), ref(t, host+"/app/missing:2"))
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
	if want := host + "/app/missing:2: not found on " + host; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

// authServer serves the in-process registry only to user:pass.
func authServer(t *testing.T) string {
	inner := registrytest.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "pass" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func writeDockerConfig(t *testing.T, host, user, pass string) {
	t.Helper()
	dir := os.Getenv("DOCKER_CONFIG")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	text := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, auth)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCredentialsFromDockerConfig(t *testing.T) {
	host := authServer(t)
	c := newClient(t, "")
	r := ref(t, host+"/private/app:1")

	_, err := c.Get(context.Background(), r)
	if !errors.Is(err, ErrDenied) {
		t.Fatalf("without credentials: want ErrDenied, got %v", err)
	}
	for _, want := range []string{host + "/private/app:1", "docker login " + host, "DOCKER_CONFIG", "401"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}

	writeDockerConfig(t, host, "user", "wrong-secret-xyz")
	_, err = c.Get(context.Background(), r)
	if !errors.Is(err, ErrDenied) || strings.Contains(err.Error(), "wrong-secret-xyz") {
		t.Fatalf("bad password: want ErrDenied without the secret, got %v", err)
	}

	writeDockerConfig(t, host, "user", "pass")
	if err := c.Push(context.Background(), r, registrytest.Image(t, v1.Platform{OS: "linux", Architecture: "amd64"}, registrytest.Layer(t, 1, 10))); err != nil {
		t.Fatalf("push with credentials from DOCKER_CONFIG: %v", err)
	}
	if _, err := c.Get(context.Background(), r); err != nil {
		t.Fatalf("pull with credentials from DOCKER_CONFIG: %v", err)
	}
}

// The configuration's registryAuthFile is read before the docker
// configuration, at each lookup; a missing file holds no credentials and a
// damaged one is reported by name.
func TestCredentialsFromRegistryAuthFile(t *testing.T) {
	host := authServer(t)
	authFile := filepath.Join(t.TempDir(), "auth.json")
	c := newClient(t, "registryAuthFile: "+authFile+"\n")
	r := ref(t, host+"/private/app:1")

	if _, err := c.Get(context.Background(), r); !errors.Is(err, ErrDenied) {
		t.Fatalf("no auth file yet: want ErrDenied, got %v", err)
	}
	if err := os.WriteFile(authFile, []byte(`{"auths": {`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(context.Background(), r); err == nil || !strings.Contains(err.Error(), authFile) {
		t.Fatalf("damaged auth file: want an error naming %s, got %v", authFile, err)
	}

	writeDockerConfig(t, host, "user", "wrong-secret-xyz") // the auth file comes first
	auth := base64.StdEncoding.EncodeToString([]byte("user:pass"))
	if err := os.WriteFile(authFile, fmt.Appendf(nil, `{"auths":{%q:{"auth":%q}}}`, host, auth), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.Push(context.Background(), r, registrytest.Image(t, v1.Platform{OS: "linux", Architecture: "amd64"}, registrytest.Layer(t, 1, 10))); err != nil {
		t.Fatalf("push with credentials from the auth file: %v", err)
	}
	if _, err := c.Get(context.Background(), r); err != nil {
		t.Fatalf("pull with credentials from the auth file: %v", err)
	}
}

func TestTLSFailureAndInsecureSkipVerify(t *testing.T) {
	srv := httptest.NewUnstartedServer(registrytest.Handler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	srv.StartTLS()                                   // with a self-signed certificate
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")
	r := ref(t, host+"/app:1")

	_, err := newClient(t, "").Get(context.Background(), r)
	if !errors.Is(err, ErrTLS) {
		t.Fatalf("want ErrTLS, got %v", err)
	}
	for _, want := range []string{host + "/app:1", "TLS failure with " + host, "insecureSkipVerify", "CA"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}

	c := newClient(t, fmt.Sprintf("registryConfig:\n  endpointConfig:\n    https://%s:\n      tls: {insecureSkipVerify: true}\n", host))
	img := registrytest.Image(t, v1.Platform{OS: "linux", Architecture: "amd64"}, registrytest.Layer(t, 3, 10))
	if err := c.Push(context.Background(), r, img); err != nil {
		t.Fatalf("push with insecureSkipVerify: %v", err)
	}
	if d, err := c.Get(context.Background(), r); err != nil || d.Digest != digestOf(t, img) {
		t.Fatalf("pull with insecureSkipVerify: %v", err)
	}
}

func TestUnreachableRegistry(t *testing.T) {
	addr := closedPort(t)
	_, err := newClient(t, "").Get(context.Background(), ref(t, addr+"/app:1"))
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("want ErrUnreachable, got %v", err)
	}
	if !strings.Contains(err.Error(), "cannot reach "+addr) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error = %v", err)
	}
}

func TestExplainWrapsRawErrors(t *testing.T) {
	host := registrytest.InProcess(t)
	down := closedPort(t)
	cases := []struct {
		ref  string
		kind error
	}{
		{host + "/missing:1", ErrNotFound},
		{down + "/x:1", ErrUnreachable},
	}
	for _, tc := range cases {
		_, raw := remote.Get(ref(t, tc.ref))
		err := Explain(raw, tc.ref)
		if !errors.Is(err, tc.kind) || !strings.HasPrefix(err.Error(), tc.ref+": ") {
			t.Errorf("Explain(%v) = %v, want kind %v naming the reference", raw, err, tc.kind)
		}
		if again := Explain(err, "other"); again != err {
			t.Error("explaining twice must not wrap again")
		}
	}
	if Explain(nil, "x") != nil || !errors.Is(Explain(context.Canceled, "x"), context.Canceled) || Explain(context.Canceled, "x") != context.Canceled {
		t.Error("nil and cancellation must pass through unchanged")
	}
}

func TestPlainHTTPOnlyWhereAllowed(t *testing.T) {
	guard := &httpsOnly{host: "10.1.2.3:5000", next: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
	})}
	req, _ := http.NewRequest(http.MethodGet, "http://10.1.2.3:5000/v2/", nil)
	if _, err := guard.RoundTrip(req); !errors.Is(err, errPlainHTTP) {
		t.Errorf("plain HTTP to a private address must be refused without an http:// endpoint, got %v", err)
	}
	req, _ = http.NewRequest(http.MethodGet, "https://10.1.2.3:5000/v2/", nil)
	if _, err := guard.RoundTrip(req); err != nil {
		t.Errorf("HTTPS must pass: %v", err)
	}

	c := newClient(t, "registryConfig:\n  registries:\n    10.1.2.3:5000:\n      endpoints: [http://10.1.2.3:5000]\n")
	targets, err := c.PullTargets(ref(t, "10.1.2.3:5000/a:1"))
	if err != nil || len(targets) != 1 {
		t.Fatalf("targets = %v, %v", targets, err)
	}
	if _, guarded := c.transport(targets[0].Endpoint, "10.1.2.3:5000", false, true).(*httpsOnly); guarded {
		t.Error("an http:// endpoint must allow plain HTTP")
	}
	plain, ok := c.transport(targets[0].Endpoint, "10.1.2.3:5000", false, true).(*httpOnly)
	if !ok {
		t.Fatal("an http:// endpoint is not kept on plain HTTP")
	}
	plain.next = guard.next
	req, _ = http.NewRequest(http.MethodGet, "https://10.1.2.3:5000/v2/", nil)
	if _, err := plain.RoundTrip(req); err == nil {
		t.Error("HTTPS to an http:// endpoint must end before it dials")
	}
	req, _ = http.NewRequest(http.MethodGet, "https://auth.example/token", nil)
	if _, err := plain.RoundTrip(req); err != nil {
		t.Errorf("other hosts (a token server) must pass: %v", err)
	}
	if _, guarded := c.transport("https://10.1.2.3:5000", "10.1.2.3:5000", false, false).(*httpsOnly); !guarded {
		t.Error("an https endpoint on a private address must refuse plain HTTP")
	}
	if _, guarded := c.transport("https://127.0.0.1:5000", "127.0.0.1:5000", false, false).(*httpsOnly); guarded {
		t.Error("loopback registries must work over plain HTTP without configuration")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestUserAgent(t *testing.T) {
	inner := registrytest.Handler()
	var agents atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agents.Store(r.UserAgent())
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	registrytest.PushImage(t, host+"/a:1")

	if _, err := newClient(t, "").Get(context.Background(), ref(t, host+"/a:1")); err != nil {
		t.Fatal(err)
	}
	if ua, _ := agents.Load().(string); !strings.HasPrefix(ua, "ferry/"+version.Version) {
		t.Errorf("User-Agent = %q, want ferry/%s first", ua, version.Version)
	}
}

func TestPushGoesToFirstEndpointWithoutRewrite(t *testing.T) {
	origin, mirror := registrytest.InProcess(t), registrytest.InProcess(t)
	c := newClient(t, fmt.Sprintf(`registryConfig:
  registries:
    %s:
      endpoints: [http://%s]
      rewritePull: {"^app/(.*)": "elsewhere/$1"}
`, origin, mirror))
	img := registrytest.Image(t, v1.Platform{OS: "linux", Architecture: "amd64"}, registrytest.Layer(t, 5, 10))

	p := c.Pusher()
	layers, _ := img.Layers()
	if err := p.Upload(context.Background(), ref(t, origin+"/app/x:1").Context(), layers[0]); err != nil {
		t.Fatal(err)
	}
	if err := p.Push(context.Background(), ref(t, origin+"/app/x:1"), img); err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Head(ref(t, mirror+"/app/x:1")); err != nil {
		t.Errorf("push did not land on the first endpoint under its own name: %v", err)
	}
	if _, err := remote.Head(ref(t, origin+"/app/x:1")); err == nil {
		t.Error("push reached the registry itself instead of its endpoint")
	}
	// Put writes a manifest whose blobs are there already: a second tag.
	if err := p.Put(context.Background(), ref(t, origin+"/app/x:2"), img); err != nil {
		t.Fatal(err)
	}
	if d, err := remote.Head(ref(t, mirror+"/app/x:2")); err != nil || d.Digest != digestOf(t, img) {
		t.Errorf("Put: %v", err)
	}
}

func TestReferrersModes(t *testing.T) {
	// The in-process registry has the referrers API; ggcr then writes no tag.
	host := registrytest.InProcess(t)
	img := registrytest.PushImage(t, host+"/app:1")
	art := registrytest.PushReferrer(t, host+"/app:1", "application/vnd.example.sbom")
	subject := ref(t, host+"/app@"+digestOf(t, img).String()).(name.Digest)

	for mode, want := range map[string]int{"auto": 1, "api": 1, "tag": 0} {
		c := newClient(t, fmt.Sprintf("registryConfig:\n  endpointConfig:\n    https://%s:\n      supportsReferrers: %s\n", host, mode))
		got, err := c.Referrers(context.Background(), subject)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if len(got) != want || (want == 1 && (got[0].Digest != art.Digest || got[0].ArtifactType != art.ArtifactType)) {
			t.Errorf("%s: referrers = %+v, want %d (%s)", mode, got, want, art.Digest)
		}
	}
}

func TestReferrersTagSchemaOnDistribution(t *testing.T) {
	reg := registrytest.Start(t) // Distribution 2.8: no referrers API
	img := registrytest.PushImage(t, reg.Ref("app:1"))
	art := registrytest.PushReferrer(t, reg.Ref("app:1"), "application/vnd.example.sig")
	subject := ref(t, reg.Ref("app@"+digestOf(t, img).String())).(name.Digest)

	for _, mode := range []string{"auto", "tag"} {
		c := newClient(t, fmt.Sprintf("registryConfig:\n  endpointConfig:\n    http://%s:\n      supportsReferrers: %s\n", reg.Host(), mode))
		got, err := c.Referrers(context.Background(), subject)
		if err != nil || len(got) != 1 || got[0].Digest != art.Digest {
			t.Errorf("%s: referrers = %+v, %v; want %s", mode, got, err, art.Digest)
		}
	}
	c := newClient(t, fmt.Sprintf("registryConfig:\n  endpointConfig:\n    http://%s:\n      supportsReferrers: api\n", reg.Host()))
	if _, err := c.Referrers(context.Background(), subject); err == nil {
		t.Error("api mode on a registry without the API must fail, not return nothing")
	}

	// No referrers is an empty list.
	other := registrytest.PushImage(t, reg.Ref("other:1"))
	got, err := New(nil).Referrers(context.Background(), ref(t, reg.Ref("other@"+digestOf(t, other).String())).(name.Digest))
	if err != nil || len(got) != 0 {
		t.Errorf("no referrers: %v, %v", got, err)
	}
}

func TestLoopbackReferencesNeedNoConfiguration(t *testing.T) {
	reg := registrytest.Start(t)
	c := New(nil, WithRetryBackoff(fastRetry))
	r := ref(t, reg.Ref("plain/http:1"))
	idx := registrytest.PushIndex(t, reg.Ref("src:1"))
	if err := c.Push(context.Background(), r, idx); err != nil {
		t.Fatal(err)
	}
	d, err := c.Get(context.Background(), r)
	if err != nil || d.Digest != digestOf(t, idx) {
		t.Fatalf("Get = %v, %v", d, err)
	}
}

// Docker Hub credentials are found under docker's key and under podman's
// and skopeo's docker.io.
func TestAuthFileDockerHubKeys(t *testing.T) {
	for _, key := range []string{"https://index.docker.io/v1/", "docker.io", "docker.io/library/alpine"} {
		path := filepath.Join(t.TempDir(), "auth.json")
		auth := base64.StdEncoding.EncodeToString([]byte("hub-user:pw"))
		if err := os.WriteFile(path, fmt.Appendf(nil, `{"auths":{%q:{"auth":%q}}}`, key, auth), 0o600); err != nil {
			t.Fatal(err)
		}
		repo, err := name.NewRepository("alpine")
		if err != nil {
			t.Fatal(err)
		}
		a, err := authFileKeychain{path: path}.Resolve(repo)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := a.Authorization()
		if err != nil || cfg.Username != "hub-user" {
			t.Errorf("key %s: got %+v, %v; want the hub-user credentials", key, cfg, err)
		}
	}
}

// Calls through one Client share the endpoint's session: the registry is
// pinged (GET /v2/) once for all the reads of a repository and once for all
// the writes, not once per call; credentials that change make a new one.
func TestCallsReuseTheEndpointSession(t *testing.T) {
	inner := registrytest.Handler()
	var pings atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			pings.Add(1)
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	img := registrytest.PushImage(t, host+"/app:1")
	c := newClient(t, "")
	ctx := context.Background()
	pings.Store(0)
	for range 3 {
		if _, err := c.Head(ctx, ref(t, host+"/app:1")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Get(ctx, ref(t, host+"/app:1")); err != nil {
			t.Fatal(err)
		}
	}
	if n := pings.Load(); n != 1 {
		t.Errorf("six reads pinged the registry %d times, want once", n)
	}
	pings.Store(0)
	p := c.Pusher()
	for i := range 3 {
		if err := p.Put(ctx, ref(t, fmt.Sprintf("%s/app:copy%d", host, i)), img); err != nil {
			t.Fatal(err)
		}
	}
	if n := pings.Load(); n != 1 {
		t.Errorf("three writes pinged the registry %d times, want once", n)
	}
	pings.Store(0)
	writeDockerConfig(t, host, "user", "pass")
	if _, err := c.Head(ctx, ref(t, host+"/app:1")); err != nil {
		t.Fatal(err)
	}
	if n := pings.Load(); n != 1 {
		t.Errorf("a read with new credentials pinged %d times, want once (a new session)", n)
	}
}
