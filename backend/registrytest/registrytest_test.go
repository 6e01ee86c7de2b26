package registrytest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// exercise pushes every kind of test data to host and reads it back.
func exercise(t *testing.T, host string) {
	shared := Layer(t, 42, 2048)
	a := PushImage(t, host+"/app/a:1", shared, Layer(t, 1, 100))
	b := PushImage(t, host+"/app/b:1", shared)

	got, err := remote.Get(parse(t, host+"/app/a:1"), options(t)...)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := a.Digest(); got.Digest != want {
		t.Errorf("pulled %s, pushed %s", got.Digest, want)
	}
	// Shared layers must be the same blob in both images.
	la, _ := a.Layers()
	lb, _ := b.Layers()
	da, _ := la[0].Digest()
	db, _ := lb[0].Digest()
	if da != db {
		t.Errorf("shared layer differs: %s vs %s", da, db)
	}

	idx := PushIndex(t, host+"/app/multi:1")
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 2 || im.Manifests[1].Platform.Architecture != "arm64" {
		t.Fatalf("index manifests: %+v", im.Manifests)
	}
	pulled, err := remote.Index(parse(t, host+"/app/multi:1"), options(t)...)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := idx.Digest(); mustDigest(t, pulled) != want {
		t.Error("index digest differs after the round trip")
	}
	for _, m := range im.Manifests {
		if _, err := remote.Image(parse(t, host+"/app/multi@"+m.Digest.String()), options(t)...); err != nil {
			t.Errorf("child %s not pushed: %v", m.Platform, err)
		}
	}

	ref := PushReferrer(t, host+"/app/multi:1", "application/vnd.example.sbom")
	subject := parse(t, host+"/app/multi@"+mustDigest(t, idx).String()).(name.Digest)
	refs, err := remote.Referrers(subject, options(t)...)
	if err != nil {
		t.Fatal(err)
	}
	rm, _ := refs.IndexManifest()
	if len(rm.Manifests) != 1 || rm.Manifests[0].Digest != ref.Digest || rm.Manifests[0].ArtifactType != "application/vnd.example.sbom" {
		t.Errorf("referrers of the index: %+v, want %s", rm.Manifests, ref.Digest)
	}
}

func mustDigest(t *testing.T, d interface{ Digest() (v1.Hash, error) }) v1.Hash {
	t.Helper()
	h, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestInProcessRegistry(t *testing.T) {
	exercise(t, InProcess(t))
}

func TestDistributionRegistry(t *testing.T) {
	r := Start(t)
	if !strings.HasPrefix(r.Host(), "127.0.0.1:") {
		t.Fatalf("Host() = %q, want 127.0.0.1:PORT", r.Host())
	}
	exercise(t, r.Host())

	// Deletes are enabled, as scatter and cleanup tests need.
	ref := parse(t, r.Ref("app/a:1"))
	d, err := remote.Head(ref, options(t)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Delete(ref.Context().Digest(d.Digest.String()), options(t)...); err != nil {
		t.Errorf("delete refused: %v", err)
	}
}

func TestStopLeavesNoProcess(t *testing.T) {
	r := Start(t)
	pid := r.PID()
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("registry process %d still exists after Stop (kill 0: %v)", pid, err)
	}
	if c, err := net.DialTimeout("tcp", r.Host(), time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Stop", r.Host())
	}
	if err := r.Stop(); err != nil {
		t.Errorf("a second Stop must be harmless: %v", err)
	}
}

func TestRegistriesAreIndependent(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.Host() == b.Host() {
		t.Fatal("two registries on one address")
	}
	PushImage(t, a.Ref("only/here:1"))
	_, err := remote.Head(parse(t, b.Ref("only/here:1")), options(t)...)
	if err == nil {
		t.Error("an image pushed to one registry shows in another: storage is shared")
	}
}

func TestDataIsDeterministic(t *testing.T) {
	if mustDigest(t, Layer(t, 7, 300)) != mustDigest(t, Layer(t, 7, 300)) {
		t.Error("same seed, different layers")
	}
	if mustDigest(t, Layer(t, 7, 300)) == mustDigest(t, Layer(t, 8, 300)) {
		t.Error("different seeds, same layer")
	}
	host := InProcess(t)
	first := mustDigest(t, PushImage(t, host+"/x:1"))
	if again := mustDigest(t, PushImage(t, host+"/x:1")); again != first {
		t.Error("PushImage of one ref gave different images")
	}
	if other := mustDigest(t, PushImage(t, host+"/y:1")); other == first {
		t.Error("PushImage of different refs gave the same image")
	}
}

// recorder stands in for testing.TB to see whether missing skips or fails.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                          {}
func (r *recorder) Skipf(format string, args ...any) { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

func TestMissingBinarySkipsUnlessRequired(t *testing.T) {
	errMissing := errors.New("docker-registry is not installed")

	t.Setenv(RequireEnv, "")
	rec := &recorder{TB: t}
	missing(rec, errMissing)
	if rec.skipped == "" || rec.failed != "" || !strings.Contains(rec.skipped, RequireEnv) {
		t.Errorf("without %s: skipped %q, failed %q", RequireEnv, rec.skipped, rec.failed)
	}

	t.Setenv(RequireEnv, "1")
	rec = &recorder{TB: t}
	missing(rec, errMissing)
	if rec.failed == "" || rec.skipped != "" {
		t.Errorf("with %s=1: skipped %q, failed %q", RequireEnv, rec.skipped, rec.failed)
	}
}

func TestInProcessServesReferrersAPI(t *testing.T) {
	host := InProcess(t)
	img := PushImage(t, host+"/r:1")
	PushReferrer(t, host+"/r:1", "application/vnd.example.sig")
	resp, err := http.Get("http://" + host + "/v2/r/referrers/" + mustDigest(t, img).String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("referrers API answered %d", resp.StatusCode)
	}
}
