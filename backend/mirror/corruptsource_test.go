package mirror

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"ferry/backend/registrytest"
	"ferry/backend/sources"
)

// corruptBlobs serves host, with one byte of every GET of the blob digest
// flipped.
func corruptBlobs(t *testing.T, host, digest string) string {
	t.Helper()
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: host})
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method != http.MethodGet || !strings.HasSuffix(resp.Request.URL.Path, "/blobs/"+digest) {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if len(b) > 0 {
			b[len(b)/2] ^= 0xff
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		return nil
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// A source registry that serves a blob whose bytes do not match its digest
// fails serialize (the archive writer proves every blob, fetched unverified)
// and a copy to another registry (which proves it at the upload's commit),
// naming the blob; nothing is tagged.
func TestCorruptSourceBlobIsRefused(t *testing.T) {
	host := registrytest.InProcess(t)
	layer := registrytest.Layer(t, 77, 300_000)
	registrytest.PushImage(t, host+"/app/x:1", layer)
	index := "/transfer/x:sync-1"
	if _, err := Gather(context.Background(), testEnv(), GatherOptions{Sources: []sources.Source{{Line: 1, Ref: host + "/app/x:1"}}, Dest: host + index}); err != nil {
		t.Fatal(err)
	}
	d, err := layer.Digest()
	if err != nil {
		t.Fatal(err)
	}
	bad := corruptBlobs(t, host, d.String())

	_, err = Serialize(context.Background(), testEnv(), SerializeOptions{Source: bad + index, Dest: filepath.Join(t.TempDir(), "sync.tar")})
	if err == nil || !strings.Contains(err.Error(), d.String()) {
		t.Errorf("serialize from a corrupt source: err = %v, want a failure naming %s", err, d)
	}

	dst := registrytest.InProcess(t) + "/landing/x:1"
	_, err = Gather(context.Background(), testEnv(), GatherOptions{Sources: []sources.Source{{Line: 1, Ref: bad + "/app/x:1"}}, Dest: dst})
	if err == nil || !strings.Contains(err.Error(), d.String()) {
		t.Errorf("gather from a corrupt source: err = %v, want a failure naming %s", err, d)
	}
	if registrytest.HeadDigest(t, dst) != "" {
		t.Error("a gather from a corrupt source was tagged")
	}
}
