package mirror

import (
	"context"
	"slices"
	"strings"
	"testing"

	"ferry/backend/registrytest"
	"ferry/backend/sources"
)

func TestDiffListsExcludesAndExpands(t *testing.T) {
	host := registrytest.InProcess(t)
	ctx := context.Background()
	digest := map[string]string{}
	for _, p := range []string{"app/one:1", "app/two:2", "app/three:3"} {
		d, _ := registrytest.PushImage(t, host+"/"+p).Digest()
		digest[host+"/"+p] = d.String()
	}
	one, two, three := host+"/app/one:1", host+"/app/two:2", host+"/app/three:3"
	gather := func(tag string, refs ...string) string {
		var srcs []sources.Source
		for i, r := range refs {
			srcs = append(srcs, sources.Source{Line: i + 1, Ref: r})
		}
		dest := host + "/transfer/data:" + tag
		if _, err := Gather(ctx, testEnv(), GatherOptions{Sources: srcs, Dest: dest}); err != nil {
			t.Fatal(err)
		}
		return dest
	}
	sync44 := gather("sync-44", one, two)
	sync45 := gather("sync-45", three, two, one)
	nestedIdx := gather("nested", sync44, three)

	rowsOf := func(o DiffOptions) []DiffRow {
		t.Helper()
		rows, err := Diff(ctx, testEnv(), o)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	want := func(refs ...string) []DiffRow {
		var out []DiffRow
		for _, r := range refs {
			out = append(out, DiffRow{Reference: r, Digest: digest[r]})
		}
		return out
	}

	if got := rowsOf(DiffOptions{Artifact: sync45}); !slices.Equal(got, want(one, three, two)) {
		t.Errorf("all images: %+v", got)
	}
	if got := rowsOf(DiffOptions{Artifact: sync45, Existing: []string{sync44}}); !slices.Equal(got, want(three)) {
		t.Errorf("sync-45 minus sync-44: %+v", got)
	}
	if got := rowsOf(DiffOptions{Artifact: sync45, Existing: []string{two}}); !slices.Equal(got, want(one, three)) {
		t.Errorf("minus an existing image: %+v", got)
	}

	// Without --expand a nested gather index is one row; with it, its images.
	got := rowsOf(DiffOptions{Artifact: nestedIdx})
	if len(got) != 2 || got[0].Reference != three || got[1].Reference != sync44 {
		t.Errorf("nested, not expanded: %+v", got)
	}
	if got := rowsOf(DiffOptions{Artifact: nestedIdx, Expand: true}); !slices.Equal(got, want(one, three, two)) {
		t.Errorf("nested, expanded: %+v", got)
	}
	// An existing nested artifact excludes the images of its inner indexes.
	if got := rowsOf(DiffOptions{Artifact: sync45, Existing: []string{nestedIdx}}); len(got) != 0 {
		t.Errorf("minus a nested artifact holding everything: %+v", got)
	}

	for _, c := range []struct {
		o    DiffOptions
		want string
	}{
		{DiffOptions{Artifact: one}, "not a mirror artifact"},
		{DiffOptions{Artifact: host + "/transfer/data:absent"}, "resolving"},
		{DiffOptions{Artifact: sync45, Existing: []string{host + "/app/absent:1"}}, "existing image"},
		{DiffOptions{Artifact: "data:sync-45"}, "registry host is missing"},
	} {
		if _, err := Diff(ctx, testEnv(), c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Diff(%+v): err = %v, want %q", c.o, err, c.want)
		}
	}
}
