package mapping

import (
	"context"
	"errors"
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

// A header row is refused with what to do, as a rule it would match
// sources by the word "from" (the reference tool's reading of it).
func TestCSVHeaderRowIsRefused(t *testing.T) {
	for _, tt := range []struct{ kind, text string }{
		{KindFirstPrefix, "from,to\nlow.example/,high.example/\n"},
		{KindLongestPrefix, "# the rules\nSource, Destination\nlow.example/,high.example/\n"},
		{KindDigests, "digest,destination\nsha256:" + strings.Repeat("a", 64) + ",high.example/a:1\n"},
	} {
		_, err := New(tt.kind, tt.text)
		var rerr *RuleError
		if !errors.As(err, &rerr) || len(rerr.Problems) != 1 {
			t.Fatalf("%s: error %v, want one problem", tt.kind, err)
		}
		if p := rerr.Problems[0]; !strings.Contains(p.Message, "is a header row") || !strings.Contains(p.Message, "make it a comment, # ") {
			t.Errorf("%s: problem %+v", tt.kind, p)
		}
	}
	// The same words after the first rule are a rule like any other.
	mustNew(t, KindFirstPrefix, "low.example/,high.example/\nfrom,to\n")
}

func TestCSVWithoutRulesIsAnError(t *testing.T) {
	for _, text := range []string{"", "# from,to\n\n  \n"} {
		for _, kind := range []string{KindAllPrefix, KindDigests} {
			_, err := New(kind, text)
			if err == nil || !strings.Contains(err.Error(), "line 1: no rules: write one ") {
				t.Errorf("%s %q: error %v, want no rules", kind, text, err)
			}
		}
	}
}

func TestCSVProblemsAreCapped(t *testing.T) {
	var sb strings.Builder
	for range 10_000 {
		sb.WriteString("one-field\n")
	}
	_, err := New(KindFirstPrefix, sb.String())
	var rerr *RuleError
	if !errors.As(err, &rerr) || len(rerr.Problems) != maxProblems+1 {
		t.Fatalf("error with %d problems, want %d", len(rerr.Problems), maxProblems+1)
	}
	if last := rerr.Problems[maxProblems]; last.Line != maxProblems+1 || last.Message != "and 9900 more problems from this line on (not listed)" {
		t.Errorf("last problem %+v", last)
	}
}

func TestCSVLongFieldIsNotEchoed(t *testing.T) {
	long := strings.Repeat("x", 10<<20)
	_, err := New(KindDigests, long+","+long)
	if err == nil || len(err.Error()) > 500 || !strings.Contains(err.Error(), "… (10485760 bytes)") {
		t.Errorf("error of %d bytes: %.300v", len(err.Error()), err)
	}
}

func TestUTF16RulesGetAHint(t *testing.T) {
	for _, kind := range Kinds() {
		_, err := New(kind, "\xff\xfel\x00o\x00w\x00,\x00h\x00")
		if err == nil || err.Error() != "line 1: the file looks like UTF-16; save it as UTF-8" {
			t.Errorf("%s: error %v, want the UTF-16 hint", kind, err)
		}
	}
}
