package mapping

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

// The reference tool's longest-prefix vectors.
const referenceLongest = ",high.example.com/default/\n" +
	"reg.example.com/low/source1,high.example.com/one\n" +
	"reg.example.com/low/source,high.example.com/two/\n" +
	"reg.example.com/low/sources2,high.example.com/three/\n" +
	"reg.example.com/low/sources2:v2,high.example.com/four:v3\n"

func TestLongestPrefix(t *testing.T) {
	tests := []struct {
		name, rules, src string
		want             []string
	}{
		{"reference: one match", referenceLongest, "reg.example.com/low/source1:v1", []string{"high.example.com/one:v1"}},
		{"reference: full", referenceLongest, "reg.example.com/low/sources2:v2", []string{"high.example.com/four:v3"}},
		{"reference: empty from is the default", referenceLongest, "reg2.example.com/other", []string{"high.example.com/default/reg2.example.com/other"}},
		{"plain concatenation keeps the slash of the source", referenceLongest, "reg.example.com/low/source/x:1", []string{"high.example.com/two//x:1"}},
		{"tie: last row wins", "low.example/,first.example/\nlow.example/,second.example/\n", "low.example/a:1", []string{"second.example/a:1"}},
		{"tie with the default: last row wins", ",a.example/\n,b.example/\n", "low.example/x", []string{"b.example/low.example/x"}},
		{"no match is skipped", "low.example/,high.example/\n", "other.example/a:1", nil},
		{"comments and blank lines", "# default\n\n  # indented\nlow.example/,high.example/\r\n", "low.example/a:1", []string{"high.example/a:1"}},
		{"spaces around fields", " low.example/ , high.example/ \n", "low.example/a:1", []string{"high.example/a:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mapOne(t, KindLongestPrefix, tt.rules, tt.src)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFirstAndAllPrefix(t *testing.T) {
	rules := strings.Join([]string{
		",ignored.example/",                  // empty from: never matches here
		"reg.example/low/,high.example/a/",   // matches
		"reg.example/,high.example/b/",       // matches too, shorter
		"reg.example/low/app,high.example/c", // matches, longest
		"other.example/,high.example/d/",
	}, "\n")
	src := "reg.example/low/app:1"

	first := mapOne(t, KindFirstPrefix, rules, src)
	if want := []string{"high.example/a/app:1"}; !reflect.DeepEqual(first, want) {
		t.Errorf("first-prefix = %q, want %q (first row in file order)", first, want)
	}
	all := mapOne(t, KindAllPrefix, rules, src)
	want := []string{"high.example/a/app:1", "high.example/b/low/app:1", "high.example/c:1"}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("all-prefix = %q, want %q (every match, file order)", all, want)
	}
	if got := mapOne(t, KindFirstPrefix, rules, "nowhere.example/x"); got != nil {
		t.Errorf("first-prefix without a match = %q", got)
	}
	if got := mapOne(t, KindAllPrefix, ",x.example/\n", "nowhere.example/x"); got != nil {
		t.Errorf("all-prefix with only an empty from = %q, want nothing", got)
	}
}

func TestDigests(t *testing.T) {
	a, b := entry("reg.example/a:1"), entry("reg.example/b:1")
	rules := "# digest,destination\n" +
		a.Digest.String() + ",high.example/a:1\n" +
		b.Digest.String() + ",high.example/b:1\n" +
		a.Digest.String() + ",high.example/a-copy@" + a.Digest.String() + "\n"
	m, err := New(KindDigests, rules)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := m.Map(context.Background(), a)
	if want := []string{"high.example/a:1", "high.example/a-copy@" + a.Digest.String()}; !reflect.DeepEqual(got, want) {
		t.Errorf("digests(a) = %q, want %q", got, want)
	}
	if got, _ := m.Map(context.Background(), entry("reg.example/c:1")); got != nil {
		t.Errorf("unknown digest mapped to %q", got)
	}
	noDigest := entry("reg.example/a:1")
	noDigest.Digest = a.Digest
	noDigest.Digest.Hex = ""
	noDigest.Digest.Algorithm = ""
	if got, _ := m.Map(context.Background(), noDigest); got != nil {
		t.Errorf("entry without digest mapped to %q", got)
	}
}
