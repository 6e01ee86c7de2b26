package mapping

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// entry builds a gather-index entry for src whose digest is derived from src,
// so that different sources are different images.
func entry(src string) v1.Descriptor {
	h, _, _ := v1.SHA256(strings.NewReader(src))
	return v1.Descriptor{
		MediaType:   "application/vnd.oci.image.manifest.v1+json",
		Digest:      h,
		Size:        512,
		Annotations: map[string]string{SourceAnnotation: src},
	}
}

// mapOne builds a mapper from rule text and maps one source.
func mapOne(t *testing.T, kind, text, src string) []string {
	t.Helper()
	m, err := New(kind, text)
	if err != nil {
		t.Fatalf("New(%s): %v", kind, err)
	}
	got, err := m.Map(context.Background(), entry(src))
	if err != nil {
		t.Fatalf("Map(%s): %v", src, err)
	}
	return got
}

func TestParseSpec(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.csv")
	if err := os.WriteFile(rules, []byte("low.example/,high.example/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Parse("first-prefix=" + rules)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Map(context.Background(), entry("low.example/a:1"))
	if err != nil || !reflect.DeepEqual(got, []string{"high.example/a:1"}) {
		t.Errorf("Map = %v, %v", got, err)
	}
	if m.Kind() != KindFirstPrefix {
		t.Errorf("Kind = %q", m.Kind())
	}

	// nest takes the prefix itself, not a file.
	if m, err := Parse("nest=reg.example/mirror"); err != nil || m.Kind() != KindNest {
		t.Errorf("Parse(nest=...) = %v, %v", m, err)
	}
}

func TestParseSpecErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("a,b\na,b,c\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "rules.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ spec, want string }{
		// Returning at all proves /dev/zero is not read to the end and
		// the FIFO without a writer is not waited on.
		{"go-template=/dev/zero", "reading go-template rules: /dev/zero is a device, not a regular file"},
		{"first-prefix=" + fifo, "is a named pipe (FIFO), not a regular file"},
		{"nest", "write TYPE=ARG"},
		{"nest=", "write TYPE=ARG"},
		{"shortest-prefix=x.csv", `unknown mapping type "shortest-prefix": use one of nest, first-prefix`},
		{"go-template=" + filepath.Join(dir, "missing.tmpl"), "reading go-template rules"},
		{"all-prefix=" + bad, bad + ":2:1: want 2 fields, got 3"},
		{"nest=mirror/images", `invalid nest prefix "mirror/images"`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := Parse(tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestCSVRuleErrorsArePositioned(t *testing.T) {
	text := "# from,to\n" +
		"low.example/,high.example/\n" +
		"\n" +
		"low.example/a,high.example/b,extra\n" + // line 4: 3 fields
		"only-one-field\n" + // line 5
		`low.example/c,"high.example/d` + "\n" + // line 6: unterminated quote
		"low.example/e,high.example/f\n"
	_, err := New(KindLongestPrefix, text)
	var rerr *RuleError
	if !errors.As(err, &rerr) {
		t.Fatalf("error %v is not a *RuleError", err)
	}
	want := []RuleProblem{
		{Line: 4, Column: 1, Message: "want 2 fields, got 3"},
		{Line: 5, Column: 1, Message: "want 2 fields, got 1"},
		{Line: 6, Column: 30, Message: `cannot read the line as CSV: extraneous or missing " in quoted-field`},
	}
	if !reflect.DeepEqual(rerr.Problems, want) {
		t.Errorf("problems:\n got %+v\nwant %+v", rerr.Problems, want)
	}
	if !strings.HasPrefix(err.Error(), "line 4, column 1: want 2 fields") {
		t.Errorf("error text without a file: %q", err)
	}
}

func TestDigestRulesAreValidated(t *testing.T) {
	text := "sha256:abc,reg.example/a:1\n" +
		"sha256:" + strings.Repeat("a", 64) + ", nginx:1\n"
	_, err := New(KindDigests, text)
	var rerr *RuleError
	if !errors.As(err, &rerr) || len(rerr.Problems) != 2 {
		t.Fatalf("want 2 problems, got %v", err)
	}
	if p := rerr.Problems[0]; p.Line != 1 || p.Column != 1 || !strings.Contains(p.Message, "invalid digest") {
		t.Errorf("problem 1 = %+v", p)
	}
	if p := rerr.Problems[1]; p.Line != 2 || p.Column != 74 || !strings.Contains(p.Message, "registry host is missing") {
		t.Errorf("problem 2 = %+v", p)
	}
}

func TestNewUnknownKind(t *testing.T) {
	if _, err := New("prefix", "a,b"); err == nil || !strings.Contains(err.Error(), `unknown mapping type "prefix"`) {
		t.Errorf("error = %v", err)
	}
}

func TestKindsAllConstructible(t *testing.T) {
	texts := map[string]string{
		KindNest:     "reg.example/mirror",
		KindTemplate: "reg.example/x",
		KindDigests:  "sha256:" + strings.Repeat("0", 64) + ",reg.example/x",
	}
	for _, k := range Kinds() {
		text, ok := texts[k]
		if !ok {
			text = "a,b"
		}
		m, err := New(k, text)
		if err != nil || m.Kind() != k {
			t.Errorf("New(%s) = %v, %v", k, m, err)
		}
	}
}

func TestSourceAnnotationRequired(t *testing.T) {
	noSource := entry("x")
	noSource.Annotations = nil
	for _, kind := range []string{KindNest, KindFirstPrefix, KindAllPrefix, KindLongestPrefix} {
		text := "reg.example/mirror"
		if kind != KindNest {
			text = ",reg.example/default/"
		}
		m, err := New(kind, text)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Map(context.Background(), noSource); err == nil || !strings.Contains(err.Error(), SourceAnnotation) {
			t.Errorf("%s: error = %v, want one naming the missing annotation", kind, err)
		}
	}
}

func TestByteOrderMarkIgnored(t *testing.T) {
	for _, kind := range []string{KindLongestPrefix, KindTemplate} {
		text := "\ufefflow.example/,high.example/"
		if kind == KindTemplate {
			text = "\ufeffhigh.example/x:1"
		}
		got := mapOne(t, kind, text, "low.example/a:1")
		if len(got) != 1 || !strings.HasPrefix(got[0], "high.example/") {
			t.Errorf("%s: got %q", kind, got)
		}
	}
}

func TestMapConcurrently(t *testing.T) {
	m := mustNew(t, KindTemplate, `high.example/{{ Package (index .Annotations "vnd.act3-ace.manifest.source") }}`)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := fmt.Sprintf("reg.example/app-%d:1", i)
			got, err := m.Map(context.Background(), entry(src))
			if err != nil || len(got) != 1 || got[0] != fmt.Sprintf("high.example/app-%d:1", i) {
				t.Errorf("goroutine %d: %q, %v", i, got, err)
			}
		}()
	}
	wg.Wait()
}
