package builtin

import (
	"context"
	"ferry/backend/registrytest"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sirupsen/logrus"
)

func start(t *testing.T, root string) *Registry {
	t.Helper()
	r, err := Start(context.Background(), Options{Listen: "127.0.0.1:0", Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func push(t *testing.T, ref string, size int64) v1.Hash {
	t.Helper()
	img, err := random.Image(size, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(mustRef(t, ref), img); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, _ := img.Digest()
	return d
}

func TestRestartKeepsContent(t *testing.T) {
	root := t.TempDir()
	r := start(t, root)
	want := push(t, r.Addr()+"/low/app:1", 2000)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if registrytest.HeadDigest(t, r.Addr()+"/low/app:1") != "" {
		t.Fatal("a closed registry still answers")
	}
	r2 := start(t, root)
	got := registrytest.HeadDigest(t, r2.Addr()+"/low/app:1")
	if got != want.String() {
		t.Fatalf("after restart: %q, want %s", got, want)
	}
	repos, err := Repositories(context.Background(), root)
	if err != nil || !slices.Equal(repos, []string{"low/app"}) {
		t.Fatalf("repositories = %v, %v", repos, err)
	}
}

func TestSecondRegistryAndGCRefusedWhileServing(t *testing.T) {
	root := t.TempDir()
	start(t, root)
	if _, err := Start(context.Background(), Options{Listen: "127.0.0.1:0", Root: root}); err == nil || !strings.Contains(err.Error(), "stop it first") {
		t.Fatalf("second registry on one root: %v", err)
	}
	if _, err := GC(context.Background(), root, false, nil); err == nil || !strings.Contains(err.Error(), "stop it first") {
		t.Fatalf("gc while serving: %v", err)
	}
}

func TestGCFreesTheSpaceOfADeletedImage(t *testing.T) {
	root := t.TempDir()
	r := start(t, root)
	keep := push(t, r.Addr()+"/low/keep:1", 50_000)
	gone := push(t, r.Addr()+"/low/gone:1", 400_000)
	// A second tag on the deleted manifest goes with it.
	if err := remote.Tag(mustRef(t, r.Addr()+"/low/gone:also").(name.Tag), mustGet(t, r.Addr()+"/low/gone:1")); err != nil {
		t.Fatal(err)
	}
	del, err := Delete(context.Background(), root, r.Addr()+"/low/gone:1")
	if err != nil {
		t.Fatal(err)
	}
	if del.Digest != gone.String() || !slices.Equal(del.Tags, []string{"1", "also"}) {
		t.Fatalf("deleted %+v", del)
	}
	if registrytest.HeadDigest(t, r.Addr()+"/low/gone:also") != "" {
		t.Fatal("the other tag still answers")
	}
	if _, err := Delete(context.Background(), root, "low/gone:1"); err == nil || !strings.Contains(err.Error(), "not in the built-in registry") {
		t.Fatalf("deleting twice: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	res, err := GC(context.Background(), root, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Freed() < 400_000 {
		t.Fatalf("gc freed %d bytes (before %d, after %d), want at least the deleted layer's 400000", res.Freed(), res.Before, res.After)
	}
	if size, _ := Size(root); size != res.After {
		t.Errorf("size after = %d, measured %d", res.After, size)
	}
	r2 := start(t, root)
	if got := registrytest.HeadDigest(t, r2.Addr()+"/low/keep:1"); got != keep.String() {
		t.Fatalf("kept image after gc: %s, %v", got, err)
	}
	img, err := remote.Image(mustRef(t, r2.Addr()+"/low/keep:1"))
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatalf("kept layer after gc: %v", err)
		}
		rc.Close()
	}
}

func mustGet(t *testing.T, ref string) *remote.Descriptor {
	t.Helper()
	d, err := remote.Get(mustRef(t, ref))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestRemoteNeedsTLSAndCredentials(t *testing.T) {
	dir := t.TempDir()
	file := func(n string) string {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cert, key, pw := file("cert.pem"), file("key.pem"), file("htpasswd")
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Listen: "0.0.0.0:5000"}, "add --allow-remote with --tls-cert, --tls-key and --htpasswd"},
		{Options{Listen: ":5000"}, "add --allow-remote"},
		{Options{Listen: "192.0.2.1:5000"}, "add --allow-remote"},
		{Options{Listen: "0.0.0.0:5000", AllowRemote: true}, "add --tls-cert FILE, --tls-key FILE, --htpasswd FILE"},
		{Options{Listen: "0.0.0.0:5000", AllowRemote: true, TLSCert: cert, TLSKey: key}, "add --htpasswd FILE"},
		{Options{Listen: "0.0.0.0:5000", AllowRemote: true, Htpasswd: pw}, "add --tls-cert FILE, --tls-key FILE"},
		{Options{Listen: "0.0.0.0:5000", AllowRemote: true, TLSCert: cert, TLSKey: key, Htpasswd: filepath.Join(dir, "absent")}, "--htpasswd: "},
		{Options{Listen: "nonsense"}, "want host:port"},
	} {
		_, err := Start(context.Background(), c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.want)
		}
	}
	cfg, err := Options{Listen: "0.0.0.0:5000", AllowRemote: true, TLSCert: cert, TLSKey: key, Htpasswd: pw, Root: dir}.Configuration()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.TLS.Certificate != cert || cfg.HTTP.TLS.Key != key || cfg.Auth.Type() != "htpasswd" || cfg.Auth.Parameters()["path"] != pw {
		t.Errorf("remote configuration: %+v %+v", cfg.HTTP.TLS, cfg.Auth)
	}
	for _, host := range []string{"127.0.0.1:5000", "localhost:5000", "[::1]:5000"} {
		cfg, err := Options{Listen: host, Root: dir}.Configuration()
		if err != nil || cfg.Auth.Type() != "" || cfg.HTTP.TLS.Certificate != "" {
			t.Errorf("%s: %v, %+v", host, err, cfg)
		}
	}
}

func TestServesTheDistributionAPI(t *testing.T) {
	r := start(t, t.TempDir())
	resp, err := http.Get(r.URL() + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Docker-Distribution-Api-Version") != "registry/2.0" {
		t.Fatalf("/v2/: %d %v", resp.StatusCode, resp.Header)
	}
	push(t, r.Addr()+"/low/app:1", 100)
	repo, err := name.NewRepository(r.Addr() + "/low/app")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := remote.Catalog(context.Background(), repo.Registry)
	if err != nil || !slices.Equal(cat, []string{"low/app"}) {
		t.Fatalf("catalog = %v, %v", cat, err)
	}
}

func mustRef(t *testing.T, ref string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRequestLinesGoToDebug(t *testing.T) {
	var buf strings.Builder
	log := logrus.New()
	log.SetOutput(&buf)
	log.SetLevel(logrus.InfoLevel)
	r, err := Start(context.Background(), Options{Listen: "127.0.0.1:0", Root: t.TempDir(), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if registrytest.HeadDigest(t, r.Addr()+"/low/absent:1") != "" {
		t.Fatal("an absent tag answered")
	}
	if strings.Contains(buf.String(), "response completed") {
		t.Errorf("a request line reached the info level:\n%s", buf.String())
	}
	log.SetLevel(logrus.DebugLevel)
	if registrytest.HeadDigest(t, r.Addr()+"/low/absent:2") != "" {
		t.Fatal("an absent tag answered")
	}
	if !strings.Contains(buf.String(), "response completed with error") || !strings.Contains(buf.String(), "component=registry") {
		t.Errorf("no request line at debug:\n%s", buf.String())
	}
}
