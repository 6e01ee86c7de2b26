package mapping

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func mustNew(t testing.TB, kind, text string) Mapper {
	t.Helper()
	m, err := New(kind, text)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func entries(srcs ...string) []v1.Descriptor {
	out := make([]v1.Descriptor, len(srcs))
	for i, s := range srcs {
		out[i] = entry(s)
	}
	return out
}

// kinds returns the problem kinds of a row, in order.
func kinds(r Row) []string {
	var k []string
	for _, p := range r.Problems {
		k = append(k, p.Kind)
	}
	return k
}

func TestPreviewNormalisesAndCounts(t *testing.T) {
	m := mustNew(t, KindAllPrefix, "low.example/,high.example/\nlow.example/,mirror.example/\n")
	res := Preview(entries("low.example/a", "low.example/b:2", "elsewhere.example/c:3"), m)

	want := [][]string{
		{"high.example/a:latest", "mirror.example/a:latest"},
		{"high.example/b:2", "mirror.example/b:2"},
		{},
	}
	for i, r := range res.Rows {
		if !reflect.DeepEqual(r.Destinations, want[i]) {
			t.Errorf("row %d destinations %q, want %q", i, r.Destinations, want[i])
		}
	}
	if got := kinds(res.Rows[2]); !reflect.DeepEqual(got, []string{ProblemNoDestination}) || res.Rows[2].Problems[0].Severity != SeverityWarning {
		t.Errorf("unmatched row problems %+v", res.Rows[2].Problems)
	}
	wantCounts := Counts{Sources: 3, Destinations: 4, Problems: 1, Warnings: 1, Unmatched: 1}
	if res.Counts != wantCounts {
		t.Errorf("counts %+v, want %+v", res.Counts, wantCounts)
	}
	if !res.OK() {
		t.Error("warnings alone must not block the job")
	}
}

func TestPreviewCollisions(t *testing.T) {
	// Two different images on one tag collide; the same image twice does not.
	m := mustNew(t, KindLongestPrefix, "a.example/,high.example/\nb.example/,high.example/\n")
	same := entry("c.example/x:1")
	same.Annotations = map[string]string{SourceAnnotation: "a.example/shared:1"}
	same2 := same
	same2.Annotations = map[string]string{SourceAnnotation: "b.example/shared:1"}

	res := Preview([]v1.Descriptor{entry("a.example/x:1"), entry("b.example/x:1"), entry("a.example/y:1"), same, same2}, m)
	for i, wantCollision := range []bool{true, true, false, false, false} {
		got := reflect.DeepEqual(kinds(res.Rows[i]), []string{ProblemCollision})
		if got != wantCollision {
			t.Errorf("row %d (%s): problems %+v, collision expected: %v", i, res.Rows[i].Source, res.Rows[i].Problems, wantCollision)
		}
	}
	if msg := res.Rows[0].Problems[0].Message; !strings.Contains(msg, "b.example/x:1") {
		t.Errorf("collision on row 0 should name the other source: %q", msg)
	}
	if msg := res.Rows[1].Problems[0].Message; !strings.Contains(msg, "a.example/x:1") {
		t.Errorf("collision on row 1 should name the other source: %q", msg)
	}
	if res.OK() || res.Counts.Errors != 2 {
		t.Errorf("counts %+v", res.Counts)
	}
}

func TestPreviewCollisionWithoutDigests(t *testing.T) {
	// Previewing a sources list: no digests yet, so different sources count
	// as different images, and the same source spelled twice does not.
	m := mustNew(t, KindTemplate, `high.example/all:{{ Tag (index .Annotations "vnd.act3-ace.manifest.source") }}`)
	var es []v1.Descriptor
	for _, s := range []string{"a.example/x:1", "b.example/y:1", "docker.io/nginx:2", "index.docker.io/library/nginx:2"} {
		es = append(es, v1.Descriptor{Annotations: map[string]string{SourceAnnotation: s}})
	}
	res := Preview(es, m)
	for i, want := range []bool{true, true, false, false} {
		if got := len(res.Rows[i].Problems) > 0; got != want {
			t.Errorf("row %d: problems %+v, want collision %v", i, res.Rows[i].Problems, want)
		}
	}
	if res.Rows[0].Digest != "" {
		t.Errorf("digest %q for an entry without one", res.Rows[0].Digest)
	}
}

func TestPreviewProblems(t *testing.T) {
	src := "reg.example/app:1"
	e := entry(src)
	other := entry("reg.example/other:1").Digest.String()
	tmpl := strings.Join([]string{
		"reg.example/app:1",            // same as source: warning
		"high.example/app:1",           // fine
		"high.example/app:1",           // duplicate in the row: dropped
		"Not A Reference",              // invalid
		"high.example/pinned@" + other, // digest mismatch
		"high.example/ok@" + e.Digest.String(),
	}, "\n")
	res := Preview([]v1.Descriptor{e}, mustNew(t, KindTemplate, tmpl))
	row := res.Rows[0]

	wantDests := []string{"reg.example/app:1", "high.example/app:1", "high.example/pinned@" + other, "high.example/ok@" + e.Digest.String()}
	if !reflect.DeepEqual(row.Destinations, wantDests) {
		t.Errorf("destinations %q, want %q", row.Destinations, wantDests)
	}
	wantKinds := []string{ProblemSameAsSource, ProblemInvalidDestination, ProblemDigestMismatch}
	if !reflect.DeepEqual(kinds(row), wantKinds) {
		t.Errorf("problems %+v, want kinds %v", row.Problems, wantKinds)
	}
	if row.Problems[1].Destination != "Not A Reference" {
		t.Errorf("invalid destination not named: %+v", row.Problems[1])
	}
	if res.Counts.Errors != 2 || res.Counts.Warnings != 1 || res.Counts.Destinations != 4 {
		t.Errorf("counts %+v", res.Counts)
	}
}

func TestPreviewTemplateErrorIsARowProblem(t *testing.T) {
	m := mustNew(t, KindTemplate, "{{ if hasPrefix \"bad\" (index .Annotations \"vnd.act3-ace.manifest.source\") }}\n{{ Tag \"bad\" }}{{ else }}high.example/ok{{ end }}")
	res := Preview(entries("good.example/a:1", "bad.example/b:1"), m)
	if len(res.Rows[0].Problems) != 0 || len(res.Rows[0].Destinations) != 1 {
		t.Errorf("good row: %+v", res.Rows[0])
	}
	p := res.Rows[1].Problems
	if len(p) != 1 || p[0].Kind != ProblemMappingFailed || !strings.HasPrefix(p[0].Message, "line 2, column 4: ") {
		t.Errorf("bad row problems %+v", p)
	}
	if res.Counts.Unmatched != 0 {
		t.Errorf("a failed row is not unmatched: %+v", res.Counts)
	}
}

func TestPreviewJSONShape(t *testing.T) {
	res := Preview(entries("low.example/a:1", "x.example/b:1"), mustNew(t, KindNest, "reg.example/m"))
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var generic struct {
		Rows   []map[string]any `json:"rows"`
		Counts map[string]int   `json:"counts"`
	}
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"source", "digest", "destinations"} {
		if _, ok := generic.Rows[0][key]; !ok {
			t.Errorf("row JSON %s lacks %q", b, key)
		}
	}
	for _, key := range []string{"sources", "destinations", "problems", "errors", "warnings", "unmatched"} {
		if _, ok := generic.Counts[key]; !ok {
			t.Errorf("counts JSON lacks %q", key)
		}
	}
	empty, _ := json.Marshal(Preview(entries("low.example/a:1"), mustNew(t, KindFirstPrefix, "z,y")))
	if !strings.Contains(string(empty), `"destinations":[]`) {
		t.Errorf("no destinations must be [] for the GUI, got %s", empty)
	}
}

func BenchmarkPreview1000Template(b *testing.B) {
	var es []v1.Descriptor
	for i := range 1000 {
		es = append(es, entry(fmt.Sprintf("registry%d.example.com/project/image-%d:v1.%d", i%5, i, i)))
	}
	m := mustNew(b, KindTemplate, `{{- $s := index .Annotations "vnd.act3-ace.manifest.source" -}}
high.example/{{ Registry $s | replace "." "-" }}/{{ Repository $s }}:{{ Tag $s }}
high.example/by-digest/{{ Repository $s }}@{{ .Digest }}`)
	b.ReportAllocs()
	for b.Loop() {
		if res := Preview(es, m); !res.OK() {
			b.Fatal(res.Rows[0].Problems)
		}
	}
}
