package mirror

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"ferry/backend/mapping"
	"ferry/backend/registrytest"
	"ferry/backend/sources"
)

// labelTemplate routes by the labels annotation, so it only works when
// clone describes sources exactly as gather does.
const labelTemplate = `{{- $s := index .Annotations "vnd.act3-ace.manifest.source" -}}
{{- $l := index .Annotations "data.act3-ace.io/labels" | default "{}" | fromJson -}}
HOST/{{ $l.component | default "other" }}/{{ Package $s }}`

func TestCloneDeliversLikeGatherThenScatter(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newScatterFixture(t, host, GatherOptions{})
	ctx := context.Background()
	m := mustMapper(t, mapping.KindTemplate, strings.ReplaceAll(labelTemplate, "HOST", host+"/cloned"))

	rec := &recorder{}
	res, err := Clone(ctx, rec.env(), CloneOptions{Sources: f.sources, Mapper: m})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		host + "/cloned/core/app/one:1":    f.one,
		host + "/cloned/db/app/two:2":      f.two,
		host + "/cloned/other/app/multi:3": f.multi,
	}
	for dest, src := range want {
		if got := registrytest.HeadDigest(t, dest); got != f.digest[src] {
			t.Errorf("%s = %q, want %q", dest, got, f.digest[src])
		}
	}
	if res.Images != 3 || res.Destinations != 3 || len(rec.with(ItemDone)) != 3 {
		t.Errorf("result = %+v", res)
	}

	// The same mapper on the gather index of the same sources plans the same.
	m2 := mustMapper(t, mapping.KindTemplate, strings.ReplaceAll(labelTemplate, "HOST", host+"/cloned"))
	sres, err := Scatter(ctx, testEnv(), ScatterOptions{Source: f.index, Mapper: m2, Check: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(sres.Plan.Rows) != len(res.Plan.Rows) {
		t.Fatalf("plans differ: clone %+v, scatter %+v", res.Plan.Rows, sres.Plan.Rows)
	}
	for i := range sres.Plan.Rows {
		c, s := res.Plan.Rows[i], sres.Plan.Rows[i]
		if c.Source != s.Source || c.Digest != s.Digest || !slices.Equal(c.Destinations, s.Destinations) {
			t.Errorf("row %d: clone %+v, scatter %+v", i, c, s)
		}
	}
}

func TestClonePlatformsSelectorsAndCheck(t *testing.T) {
	host := registrytest.InProcess(t)
	multi := host + "/app/multi:3"
	registrytest.PushIndex(t, multi)
	one := host + "/app/one:1"
	registrytest.PushImage(t, one)
	srcs := []sources.Source{{Line: 1, Ref: multi, Labels: map[string]string{"keep": "yes"}}, {Line: 2, Ref: one}}
	ctx := context.Background()

	rec := &recorder{}
	res, err := Clone(ctx, rec.env(), CloneOptions{Sources: srcs, Mapper: mustMapper(t, mapping.KindNest, host+"/check"), Check: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.with(ItemPlanned)) != 2 || res.Destinations != 2 {
		t.Errorf("check planned %+v", rec.items)
	}
	if registrytest.HeadDigest(t, host+"/check/"+nested(one)) != "" || registrytest.HeadDigest(t, host+"/check/"+nested(multi)) != "" {
		t.Error("--check pushed")
	}

	_, err = Clone(ctx, testEnv(), CloneOptions{Sources: srcs, Selectors: []string{"keep=yes"}, Platforms: []string{"linux/arm64"},
		Mapper: mustMapper(t, mapping.KindNest, host+"/arm")})
	if err != nil {
		t.Fatal(err)
	}
	if registrytest.HeadDigest(t, host+"/arm/"+nested(one)) != "" {
		t.Error("selector did not exclude the unlabelled source")
	}
	// One match: the arm64 manifest itself is cloned and tagged, as the
	// reference clones it.
	src, err := remote.Index(mustRef(t, multi))
	if err != nil {
		t.Fatal(err)
	}
	sm, _ := src.IndexManifest()
	var arm, amd string
	for _, m := range sm.Manifests {
		switch m.Platform.Architecture {
		case "arm64":
			arm = m.Digest.String()
		case "amd64":
			amd = m.Digest.String()
		}
	}
	if got := registrytest.HeadDigest(t, host+"/arm/"+nested(multi)); got != arm {
		t.Errorf("clone -p linux/arm64 tagged %s, want the arm64 manifest %s", got, arm)
	}

	// Several matches of one index: a new index of just those, so no
	// platform is lost to another's tag.
	if _, err := Clone(ctx, testEnv(), CloneOptions{Sources: srcs[:1], Platforms: []string{"linux/arm64", "linux/amd64"},
		Mapper: mustMapper(t, mapping.KindNest, host+"/both")}); err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(mustRef(t, host+"/both/"+nested(multi)))
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	var got []string
	for _, m := range im.Manifests {
		got = append(got, m.Digest.String())
	}
	if !slices.Contains(got, arm) || !slices.Contains(got, amd) || len(got) != 2 {
		t.Errorf("two platforms: %v, want %s and %s", got, arm, amd)
	}

	// A source with nothing for the platform is left out with a warning,
	// not a failure that stops the rest; when nothing is left, clone fails.
	rec = &recorder{}
	if _, err := Clone(ctx, rec.env(), CloneOptions{Sources: srcs, Platforms: []string{"linux/arm64"},
		Mapper: mustMapper(t, mapping.KindNest, host+"/some")}); err != nil {
		t.Fatalf("clone with one match: %v", err)
	}
	if skipped := rec.with(ItemSkipped); len(skipped) != 1 || skipped[0].Source != one || !strings.Contains(skipped[0].Error, "left out") {
		t.Errorf("skipped items %+v", rec.items)
	}
	if _, err := Clone(ctx, testEnv(), CloneOptions{Sources: srcs, Platforms: []string{"linux/s390x"},
		Mapper: mustMapper(t, mapping.KindNest, host+"/none")}); err == nil || !strings.Contains(err.Error(), "nothing was cloned") {
		t.Errorf("clone with no match: %v", err)
	}
}

func TestCloneUnreadableSources(t *testing.T) {
	host := registrytest.InProcess(t)
	one := host + "/app/one:1"
	d, _ := registrytest.PushImage(t, one).Digest()
	missing := host + "/app/missing:1"
	srcs := []sources.Source{{Line: 4, Ref: missing}, {Line: 7, Ref: one}}
	ctx := context.Background()

	_, err := Clone(ctx, testEnv(), CloneOptions{Sources: srcs, Mapper: mustMapper(t, mapping.KindNest, host+"/a")})
	var de *DeliveryError
	if !errors.As(err, &de) || !de.Stopped || len(de.Failures) != 1 || !strings.Contains(err.Error(), "line 4") {
		t.Fatalf("err = %v", err)
	}
	if registrytest.HeadDigest(t, host+"/a/"+nested(one)) != "" {
		t.Error("clone pushed although a source could not be read")
	}

	res, err := Clone(ctx, testEnv(), CloneOptions{Sources: srcs, Continue: true, Mapper: mustMapper(t, mapping.KindNest, host+"/b")})
	if !errors.As(err, &de) || len(de.Failures) != 1 || de.Failures[0].Source != missing {
		t.Fatalf("with --continue: err = %v", err)
	}
	if got := registrytest.HeadDigest(t, host+"/b/"+nested(one)); got != d.String() || res.Images != 1 {
		t.Errorf("with --continue the readable source was not delivered: %q, %+v", got, res)
	}
}

func TestCloneToRealRegistry(t *testing.T) {
	reg := registrytest.Start(t)
	one := reg.Ref("app/one:1")
	d, _ := registrytest.PushImage(t, one).Digest()
	multi := reg.Ref("app/multi:3")
	md, _ := registrytest.PushIndex(t, multi).Digest()
	csv := reg.Host() + "/app/," + reg.Host() + "/mirror/a/\n" + reg.Host() + "/app/," + reg.Host() + "/mirror/b/\n"
	res, err := Clone(context.Background(), testEnv(), CloneOptions{
		Sources: []sources.Source{{Line: 1, Ref: one}, {Line: 2, Ref: multi}},
		Mapper:  mustMapper(t, mapping.KindAllPrefix, csv),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a", "b"} {
		if got := registrytest.HeadDigest(t, reg.Ref("mirror/"+p+"/one:1")); got != d.String() {
			t.Errorf("mirror/%s/one:1 = %q, want %s", p, got, d)
		}
		if got := registrytest.HeadDigest(t, reg.Ref("mirror/"+p+"/multi:3")); got != md.String() {
			t.Errorf("mirror/%s/multi:3 = %q, want %s", p, got, md)
		}
	}
	if res.Destinations != 4 {
		t.Errorf("destinations = %d, want 4", res.Destinations)
	}
}

// Foreign (non-distributable) layers cross like any other: the far side of
// an air gap cannot fetch them from their URLs. (Distribution refuses
// foreign layers without allowed URLs, so two in-process registries stand
// in for the two sides.)
func TestForeignLayersAreCopied(t *testing.T) {
	from, to := registrytest.InProcess(t), registrytest.InProcess(t)
	foreign := static.NewLayer([]byte("a windows base layer"), types.DockerForeignLayer)
	img, err := mutate.AppendLayers(empty.Image, foreign, registrytest.Layer(t, 41, 256))
	if err != nil {
		t.Fatal(err)
	}
	src := from + "/app/win:1"
	if err := remote.Write(mustRef(t, src), img, remote.WithNondistributable); err != nil {
		t.Fatal(err)
	}
	m := mustMapper(t, mapping.KindLongestPrefix, from+"/app/,"+to+"/prod/\n")
	if _, err := Clone(context.Background(), testEnv(), CloneOptions{Sources: []sources.Source{{Line: 1, Ref: src}}, Mapper: m}); err != nil {
		t.Fatal(err)
	}
	fd, _ := foreign.Digest()
	repo, err := name.NewRepository(to + "/prod/win")
	if err != nil {
		t.Fatal(err)
	}
	blob, err := remote.Layer(repo.Digest(fd.String()))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := blob.Compressed()
	if err != nil {
		t.Fatalf("the foreign layer did not cross: %v", err)
	}
	rc.Close()
}
