package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/registrytest"
)

func blobOf(b []byte) v1.Descriptor {
	return v1.Descriptor{MediaType: "application/octet-stream", Size: int64(len(b)),
		Digest: v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sha256.Sum256(b))}}
}

// requestLog serves the in-process registry and notes each request's method.
type requestLog struct {
	mu      sync.Mutex
	methods []string
	fail    func(r *http.Request) bool // answer 503 instead
}

func (l *requestLog) serve(t *testing.T) string { return l.serveFrom(t, registrytest.Handler()) }

func (l *requestLog) serveFrom(t *testing.T, inner http.Handler) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			inner.ServeHTTP(w, r)
			return
		}
		l.mu.Lock()
		l.methods = append(l.methods, r.Method)
		fail := l.fail != nil && l.fail(r)
		l.mu.Unlock()
		if fail {
			io.Copy(io.Discard, r.Body)
			http.Error(w, `{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}`, http.StatusServiceUnavailable)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func (l *requestLog) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.Join(l.methods, " ")
	l.methods = nil
	return s
}

// logged is a client and the push target of a repository of the
// in-process registry, with the requests it gets.
func logged(t *testing.T) (*requestLog, *Client, Target) {
	log := &requestLog{}
	host := log.serve(t)
	c := newClient(t, "")
	target, err := c.PushTarget(ref(t, host+"/app/x:1"))
	if err != nil {
		t.Fatal(err)
	}
	return log, c, target
}

// A blob goes up in one PUT after a HEAD and a POST; a blob the registry
// has is asked for and not read.
func TestUploadBlobIsOnePutAndSkipsWhatIsThere(t *testing.T) {
	log, c, target := logged(t)
	data := bytes.Repeat([]byte("ferry"), 10_000)
	d := blobOf(data)
	sent, err := c.UploadBlob(context.Background(), target, d, bytes.NewReader(data))
	if err != nil || !sent {
		t.Fatalf("sent=%v err=%v", sent, err)
	}
	if got := log.take(); got != "HEAD POST PUT" {
		t.Errorf("requests %q, want HEAD POST PUT", got)
	}
	rc, err := c.Blob(context.Background(), target.Ref.Context().Digest(d.Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	back, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(back, data) {
		t.Fatalf("the blob read back differs (err %v)", err)
	}
	log.take()
	sent, err = c.UploadBlob(context.Background(), target, d, iotestErrReader{})
	if err != nil || sent {
		t.Errorf("a blob the registry has: sent=%v err=%v", sent, err)
	}
	if got := log.take(); got != "HEAD" {
		t.Errorf("requests %q, want HEAD alone", got)
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("must not be read") }

// The registry proves the content: a blob that does not match its digest
// is refused, and the PUT, whose body is a stream, is not sent again after
// a server error (the requests without a body are retried).
func TestUploadBlobRefusedContentAndNoSecondPut(t *testing.T) {
	log, c, target := logged(t)
	data := []byte("the right content")
	d := blobOf(data)
	if _, err := c.UploadBlob(context.Background(), target, d, strings.NewReader("the wrong content")); err == nil {
		t.Error("content that does not match its digest was accepted")
	}
	log.take()

	posts := 0
	log.fail = func(r *http.Request) bool {
		if r.Method == http.MethodPost {
			posts++
			return posts == 1 // one transient failure of the POST
		}
		return r.Method == http.MethodPut
	}
	if _, err := c.UploadBlob(context.Background(), target, d, bytes.NewReader(data)); !errors.Is(err, ErrServer) {
		t.Errorf("err = %v, want a server error", err)
	}
	if got := log.take(); got != "HEAD POST POST PUT" {
		t.Errorf("requests %q, want HEAD POST POST PUT (the POST retried, the PUT not)", got)
	}
}

// An upload carries the credentials the keychain gives for the registry.
func TestUploadBlobWithCredentials(t *testing.T) {
	host := authServer(t)
	c := newClient(t, "")
	data := []byte("private content")
	d := blobOf(data)
	target, err := c.PushTarget(ref(t, host+"/private/app:1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadBlob(context.Background(), target, d, bytes.NewReader(data)); !errors.Is(err, ErrDenied) {
		t.Fatalf("without credentials: want ErrDenied, got %v", err)
	}
	writeDockerConfig(t, host, "user", "pass") // read at the next target
	if target, err = c.PushTarget(ref(t, host+"/private/app:1")); err != nil {
		t.Fatal(err)
	}
	if sent, err := c.UploadBlob(context.Background(), target, d, bytes.NewReader(data)); err != nil || !sent {
		t.Fatalf("with credentials: sent=%v err=%v", sent, err)
	}
}

// A mount is one POST; a blob the other repository lacks is refused (the
// registry opens an upload instead) and reported as not mounted.
func TestMountBlob(t *testing.T) {
	log := &requestLog{}
	// Distribution: the in-process registry does not mount.
	host := log.serveFrom(t, httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: registrytest.Start(t).Host()}))
	c := newClient(t, "")
	from, err := c.PushTarget(ref(t, host+"/app/from:1"))
	if err != nil {
		t.Fatal(err)
	}
	to, err := c.PushTarget(ref(t, host+"/app/to:1"))
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("shared layer")
	d := blobOf(data)
	if _, err := c.UploadBlob(context.Background(), from, d, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	log.take()
	if mounted, err := c.MountBlob(context.Background(), to, d, from.Ref.Context()); err != nil || !mounted {
		t.Fatalf("mounted=%v err=%v", mounted, err)
	}
	if got := log.take(); got != "POST" {
		t.Errorf("requests %q, want one POST", got)
	}
	if sent, err := c.UploadBlob(context.Background(), to, d, iotestErrReader{}); err != nil || sent {
		t.Errorf("after the mount the blob is not there: sent=%v err=%v", sent, err)
	}
	other := blobOf([]byte("not in from"))
	if mounted, err := c.MountBlob(context.Background(), to, other, from.Ref.Context()); err != nil || mounted {
		t.Errorf("a blob the source repository lacks: mounted=%v err=%v", mounted, err)
	}
}

// A manifest is put under a tag or its digest in one request and found by
// digest; its absence is a plain false.
func TestPutAndHasManifest(t *testing.T) {
	log, c, target := logged(t)
	config := []byte("{}")
	cd := blobOf(config)
	if _, err := c.UploadBlob(context.Background(), target, cd, bytes.NewReader(config)); err != nil {
		t.Fatal(err)
	}
	raw := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":2},"layers":[]}`, cd.Digest))
	d := blobOf(raw)
	d.MediaType = "application/vnd.oci.image.manifest.v1+json"
	if has, err := c.HasManifest(context.Background(), target, d); err != nil || has {
		t.Fatalf("before the put: has=%v err=%v", has, err)
	}
	log.take()
	if err := c.PutManifest(context.Background(), target, "v1", d.MediaType, raw); err != nil {
		t.Fatal(err)
	}
	if got := log.take(); got != "PUT" {
		t.Errorf("requests %q, want one PUT", got)
	}
	if has, err := c.HasManifest(context.Background(), target, d); err != nil || !has {
		t.Errorf("after the put: has=%v err=%v", has, err)
	}
	got, err := c.Get(context.Background(), ref(t, target.Ref.Context().String()+":v1"))
	if err != nil || !bytes.Equal(got.Manifest, raw) {
		t.Errorf("the manifest read back under its tag differs (err %v)", err)
	}
}
