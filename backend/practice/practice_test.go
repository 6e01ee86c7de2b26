package practice

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ferry/backend/builtin"
)

func TestPracticeSetIsSmallAndTheSameEverywhere(t *testing.T) {
	var sets []*Set
	for range 2 {
		root := t.TempDir()
		reg, err := builtin.Start(context.Background(), builtin.Options{Listen: "127.0.0.1:0", Root: root})
		if err != nil {
			t.Fatal(err)
		}
		defer reg.Close()
		s, err := Push(context.Background(), reg.Addr(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		size, err := builtin.Size(root)
		if err != nil || size < 1<<20 || size > 8<<20 {
			t.Errorf("the practice set takes %d bytes (%v), want a few MB", size, err)
		}
		sets = append(sets, s)
	}
	a, b := sets[0], sets[1]
	if len(a.Images) != 3 {
		t.Fatalf("images = %+v", a.Images)
	}
	for i, img := range a.Images {
		if img.Digest != b.Images[i].Digest || !strings.HasPrefix(img.Digest, "sha256:") {
			t.Errorf("%s: digest %s on one registry, %s on another", img.Kind, img.Digest, b.Images[i].Digest)
		}
		if got := a.Scattered(img); !strings.HasPrefix(got, a.Host+"/high/") || strings.Contains(got, "/low/") {
			t.Errorf("scattered %s = %s", img.Ref, got)
		}
	}
	if a.Signature.Kind != "signature" || !strings.Contains(a.Signature.Ref, "/low/apps/multi@sha256:") {
		t.Errorf("signature = %+v", a.Signature)
	}
	src, err := os.ReadFile(a.Sources)
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range a.Images {
		if !strings.Contains(string(src), img.Ref+",kind=") {
			t.Errorf("sources list lacks %s:\n%s", img.Ref, src)
		}
	}
	rules, err := os.ReadFile(a.Rules)
	if err != nil || !strings.Contains(string(rules), a.Host+"/low/apps,"+a.Host+"/high/apps\n") {
		t.Errorf("rules: %v\n%s", err, rules)
	}
	if filepath.Dir(a.Archive) != a.Dir || !strings.HasSuffix(a.Mapping, "="+a.Rules) {
		t.Errorf("archive %s, mapping %s", a.Archive, a.Mapping)
	}
}

func TestPushToNothingSaysWhere(t *testing.T) {
	_, err := Push(context.Background(), "127.0.0.1:1", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1/low/apps/multi:1.0") {
		t.Fatalf("err = %v", err)
	}
}
