package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"ferry/backend/builtin"
	"ferry/backend/registrytest"
)

// The practice transfer as a new operator runs it: `ferry practice`, then
// the four printed commands, on the built-in registry; every image and the
// signature arrive on the high side with their digests.
func TestPracticeTransferOnTheBuiltinRegistry(t *testing.T) {
	home := t.TempDir()
	isolate(t, home)
	reg, err := builtin.Start(context.Background(), builtin.Options{Listen: "127.0.0.1:0", Root: filepath.Join(home, "registry")})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	dir := filepath.Join(home, "practice")
	out, errOut, err := run(t, home, "practice", "--listen", reg.Addr(), "--dir", dir)
	if err != nil {
		t.Fatalf("practice: %v\n%s", err, errOut)
	}
	steps := regexp.MustCompile(`(?m)^  \d\. ferry (.*)$`).FindAllStringSubmatch(out, -1)
	if len(steps) != 4 {
		t.Fatalf("want 4 steps in:\n%s", out)
	}
	for i, verb := range []string{"gather", "serialize", "deserialize", "scatter"} {
		args := strings.Fields(steps[i][1])
		if args[1] != verb {
			t.Fatalf("step %d is %q, want %s", i+1, steps[i][1], verb)
		}
		o, e, err := run(t, home, args...)
		t.Logf("%s\n%s\n%s", steps[i][1], o, e)
		if err != nil {
			t.Fatalf("%s: %v\n%s\n%s", steps[i][1], err, o, e)
		}
	}

	wants := map[string]string{} // low side reference -> digest
	for _, line := range regexp.MustCompile(`(?m)^  (index|docker image|artifact) +(\S+)$`).FindAllStringSubmatch(out, -1) {
		wants[line[2]] = registrytest.HeadDigest(t, line[2])
	}
	if len(wants) != 3 {
		t.Fatalf("want 3 practice images in:\n%s", out)
	}
	for low, d := range wants {
		high := strings.Replace(low, reg.Addr()+"/low/", reg.Addr()+"/high/", 1)
		if d == "" || registrytest.HeadDigest(t, high) != d {
			t.Errorf("%s = %q on the high side, want %s", high, registrytest.HeadDigest(t, high), d)
		}
	}
	// The signature of the index came along as a referrer.
	sig := regexp.MustCompile(`(?m)^  signature +\S+@(sha256:[0-9a-f]{64})$`).FindStringSubmatch(out)
	if sig == nil {
		t.Fatalf("no signature in:\n%s", out)
	}
	multi := reg.Addr() + "/high/apps/multi:1.0"
	subject, err := name.NewDigest(reg.Addr() + "/high/apps/multi@" + registrytest.HeadDigest(t, multi))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Referrers(subject)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	var got []string
	for _, m := range im.Manifests {
		got = append(got, m.Digest.String())
	}
	if !slices.Contains(got, sig[1]) {
		t.Errorf("referrers of %s = %v, want the signature %s", multi, got, sig[1])
	}
	if info, err := os.Stat(filepath.Join(dir, "practice.tar")); err != nil || info.Size() < 1<<20 {
		t.Errorf("archive: %v", err)
	}

	// Running it again changes nothing: same digests.
	out2, errOut, err := run(t, home, "practice", "--listen", reg.Addr(), "--dir", dir)
	if err != nil || out2 != out {
		t.Fatalf("practice again: %v\n%s\n%s", err, errOut, out2)
	}
}

func TestRegistryVerbs(t *testing.T) {
	home := t.TempDir()
	root := filepath.Join(home, "registry")
	reg, err := builtin.Start(context.Background(), builtin.Options{Listen: "127.0.0.1:0", Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if _, errOut, err := run(t, home, "practice", "--listen", reg.Addr(), "--dir", filepath.Join(home, "p")); err != nil {
		t.Fatalf("practice: %v\n%s", err, errOut)
	}
	out, _, err := run(t, home, "registry", "ls", "--root", root)
	if err != nil || !strings.Contains(out, "low/apps/docker\nlow/apps/multi\nlow/artifacts/notes\n3 repositories, ") {
		t.Fatalf("ls: %v\n%s", err, out)
	}
	if _, _, err := run(t, home, "registry", "gc", "--root", root); err == nil || !strings.Contains(err.Error(), "stop it first") {
		t.Fatalf("gc while serving: %v", err)
	}
	out, _, err = run(t, home, "registry", "rm", "--root", root, reg.Addr()+"/low/apps/docker:1.0")
	if err != nil || !strings.Contains(out, "Deleted low/apps/docker@sha256:") || !strings.Contains(out, "(tags 1.0)") {
		t.Fatalf("rm: %v\n%s", err, out)
	}
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	out, _, err = run(t, home, "registry", "gc", "--root", root)
	if err != nil || !regexp.MustCompile(`^Size on disk before: .+, after: .+ \(freed [0-9.]+ [KM]i?B\)\n$`).MatchString(out) {
		t.Fatalf("gc: %v\n%q", err, out)
	}
	if _, _, err := run(t, home, "registry", "serve", "--listen", "0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "--allow-remote") {
		t.Fatalf("serve on all addresses: %v", err)
	}
	if _, _, err := run(t, home, "registry", "serve", "--listen", "0.0.0.0:0", "--allow-remote"); err == nil || !strings.Contains(err.Error(), "add --tls-cert FILE, --tls-key FILE, --htpasswd FILE") {
		t.Fatalf("serve --allow-remote without TLS: %v", err)
	}
}
