package mapping

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"text/template"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// hostileTemplates are what an operator can type that would otherwise kill
// the process: sprig allocating tens of GiB, a loop of 10^15 iterations.
// Each ends with a budget error at the line and column given.
var hostileTemplates = []struct {
	name, text string
	line, col  int
	msg        string
}{
	{"repeat allocates 75 GiB", `{{ repeat 20000000000 "xxxx" }}`, 1, 4, "repeat would make 75 GiB"},
	{"until allocates 2 GiB", `{{ range until 200000000 }}x{{ end }}`, 1, 10, "until would make 2 GiB"},
	{"three nested loops", "reg.example/a\n{{ range until 100000 }}{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}{{ end }}",
		2, 58, "more than 10000 steps"},
	{"a loop calling no function", `{{ range 1000000000000 }}{{ end }}`, 1, 10, "more than 10000 steps"},
	{"nested loops over one list", `{{ $l := until 1000 }}{{ range $l }}{{ range $l }}{{ end }}{{ end }}`, 1, 46, "more than 10000 steps"},
	{"endless recursion", `{{ define "a" }}{{ template "a" . }}{{ end }}{{ template "a" . }}`, 1, 17, "templates call each other more than 1000 deep"},
	{"recursion in breadth", `{{ define "a" }}{{ if lt . 40 }}{{ $n := add1 . }}{{ template "a" $n }}{{ template "a" $n }}{{ end }}{{ end }}{{ template "a" 0 }}`,
		1, 42, "more than 10000 steps"},
	{"a string doubled 40 times", `{{ $s := "xxxxxxxx" }}{{ range until 40 }}{{ $s = print $s $s }}{{ end }}{{ $s }}`, 1, 51, "the arguments of print pass 1 MiB"},
	{"a list doubled by sharing", `{{ $d := dict }}{{ $l := list $d }}{{ range until 20 }}{{ $l = list $l $l }}{{ end }}{{ $_ := set $d "k" (repeat 100000 "x") }}{{ $l }}`,
		1, 64, "the arguments of list pass 1 MiB"},
	{"a dict that holds itself", `{{ $d := dict }}{{ $_ := set $d "self" $d }}{{ toJson $d }}`, 1, 26, "the result of set passes 1 MiB"},
	{"printf widths", `{{ printf "%1000000d%[1]1000000d" 1 }}`, 1, 4, "printf would make 2 MiB"},
	{"replace before every rune", `{{ replace "" (repeat 100000 "y") (repeat 1000 "x") }}`, 1, 4, "replace would make 95 MiB"},
	{"indent", `{{ indent 1000000000 "a\nb" }}`, 1, 4, "indent would make 2 GiB"},
	{"join", `{{ join (repeat 500000 "s") (until 1000) }}`, 1, 4, "join would make 477 MiB"},
	{"output", "reg.example/a\n{{ range until 1000 }}{{ repeat 2000 \"x\" }}\n{{ end }}", 2, 26, "its output for one entry passes 1 MiB"},
}

// Each hostile template fails at its position with the template's own
// budget error, before the caller's deadline: a second for the three that
// operators met (they take milliseconds), three for the others, some of
// which spend their whole step budget (slow under the race detector on a
// loaded machine).
func TestHostileTemplatesFailWithinBudget(t *testing.T) {
	for i, tt := range hostileTemplates {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(KindTemplate, tt.text)
			if err != nil {
				t.Fatal(err)
			}
			limit := time.Second
			if i >= 3 {
				limit = 3 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), limit)
			defer cancel()
			_, err = m.Map(ctx, entry("reg.example/x:1"))
			if ctx.Err() != nil {
				t.Fatalf("still running after %v; error %v", limit, err)
			}
			checkBudgetProblem(t, err, tt.line, tt.col, tt.msg)
		})
	}
}

func checkBudgetProblem(t *testing.T, err error, line, col int, msg string) {
	t.Helper()
	var rerr *RuleError
	if !errors.As(err, &rerr) || !errors.Is(err, ErrBudget) {
		t.Fatalf("error %v: want a budget *RuleError", err)
	}
	p := rerr.Problems[0]
	if p.Line != line || p.Column != col || !strings.Contains(p.Message, msg) || strings.Contains(p.Message, "_ferry") {
		t.Errorf("problem %+v, want line %d column %d saying %q", p, line, col, msg)
	}
}

// Preview, the plan scatter and clone run before they copy, reports each
// hostile template as the row's problem, and finishes.
func TestPreviewOfHostileTemplates(t *testing.T) {
	entries := []v1.Descriptor{entry("reg.example/x:1"), entry("reg.example/y:1")}
	for _, tt := range hostileTemplates[:3] {
		m, err := New(KindTemplate, tt.text)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		res := Preview(entries, m)
		if ctx.Err() != nil {
			t.Fatalf("%s: preview still running after two seconds", tt.name)
		}
		cancel()
		if res.Counts.Errors != 2 {
			t.Fatalf("%s: %d errors, want one per row: %+v", tt.name, res.Counts.Errors, res.Rows)
		}
		for _, row := range res.Rows {
			if p := row.Problems[0]; p.Kind != ProblemMappingFailed || !strings.Contains(p.Message, tt.msg) {
				t.Errorf("%s: row problem %+v, want %q", tt.name, p, tt.msg)
			}
		}
	}
}

// A template that only spends time is stopped by the caller's context,
// with the context's error, and the preview does not run the rest.
func TestTemplateStoppedByContext(t *testing.T) {
	// Each iteration hashes a fresh MiB: seconds in all, few steps.
	m, err := New(KindTemplate, `{{ range until 5000 }}{{ $_ := sha256sum (repeat 1000000 "x") }}{{ end }}reg.example/a`)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = m.Map(ctx, entry("reg.example/x:1"))
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrBudget) || !strings.Contains(err.Error(), "the template was stopped") {
		t.Fatalf("error %v, want the caller's deadline", err)
	}

	res := PreviewContext(ctx, []v1.Descriptor{entry("reg.example/x:1"), entry("reg.example/y:1")}, m)
	for _, row := range res.Rows {
		if len(row.Problems) != 1 || !strings.Contains(row.Problems[0].Message, "not mapped: context deadline exceeded") {
			t.Errorf("row %+v, want it not mapped", row)
		}
	}
}

// Without a deadline of its own, a run that only spends time ends at the
// time budget, and the preview then maps no more entries.
func TestTemplateTimeBudget(t *testing.T) {
	m, err := New(KindTemplate, `{{ range until 10000 }}{{ $_ := sha256sum (repeat 1000000 "x") }}{{ end }}reg.example/a`)
	if err != nil {
		t.Fatal(err)
	}
	res := Preview([]v1.Descriptor{entry("reg.example/x:1"), entry("reg.example/y:1")}, m)
	first, second := res.Rows[0].Problems, res.Rows[1].Problems
	if len(first) != 1 || !strings.Contains(first[0].Message, "it ran longer than 1s") {
		t.Errorf("first row %+v, want the time budget", first)
	}
	if len(second) != 1 || !strings.Contains(second[0].Message, "not mapped: the template ran out of time on reg.example/x:1") {
		t.Errorf("second row %+v, want it not mapped", second)
	}
}

// Instrumenting a template changes nothing it prints: the same templates
// run through plain text/template and sprig give the same destinations.
func TestInstrumentedTemplatesPrintTheSame(t *testing.T) {
	e := entry("reg.example/team/app:1.2")
	e.Platform = &v1.Platform{OS: "linux", Architecture: "amd64"}
	for _, text := range []string{
		`a/{{ .Annotations.missing }}`,
		`a/{{ .Platform }} {{ .Platform.OSFeatures }} {{ .URLs }}`,
		`{{ range $k, $v := .Annotations }}a/{{ $k }}={{ $v }}{{ "\n" }}{{ end }}`,
		`{{ range until 5 }}{{ if eq . 3 }}{{ break }}{{ end }}{{ if eq . 1 }}{{ continue }}{{ end }}a/{{ . }}{{ "\n" }}{{ else }}none{{ end }}`,
		`{{ range .URLs }}x{{ else }}a/no-urls{{ end }}`,
		`{{ with .Platform }}a/{{ .OS }}{{ else }}none{{ end }}`,
		`{{ define "d" }}a/{{ . }}{{ end }}{{ template "d" .Size }}{{ block "b" . }}/{{ .MediaType }}{{ end }}`,
		`{{- $s := ` + srcExpr + ` -}} a/{{ $s | replace "/" "-" }}  {{ 3 }} {{ 2.5 }} {{ true }} {{ list 1 "x" }} {{ dict "k" 1 }}`,
		`a/{{ seq 3 }} {{ seq 5 -2 0 }} {{ seq 2 -1 }} {{ until 3 }} {{ untilStep 1 10 3 }} {{ until -2 }}`,
		`a/{{ printf "%05d-%s" 7 "x" }} {{ print 1 2 "z" }} {{ html "<" }} {{ js "'" }} {{ urlquery "a b" }}`,
	} {
		plain := template.Must(template.New("mapping").Funcs(templateFuncs()).Parse(text))
		var want strings.Builder
		if err := plain.Execute(&want, ociDescriptor(e)); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		m, err := New(KindTemplate, text)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.Map(context.Background(), e)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if wantLines := splitLines(want.String()); !reflect.DeepEqual(got, wantLines) {
			t.Errorf("%s:\n got %q\nwant %q", text, got, wantLines)
		}
	}
}

func splitLines(s string) []string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// sprig's untilStep and seq loop for ever when start + step overflows;
// ours make the values there are.
func TestListMakersDoNotOverflow(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{`{{ untilStep 0 9223372036854775807 4611686018427387904 }}`, "[0 4611686018427387904]"},
		{`{{ seq 0 4611686018427387905 9223372036854775806 }}`, "0 4611686018427387905"},
		{`{{ untilStep -9223372036854775807 9223372036854775807 9223372036854775807 }}`, "[-9223372036854775807 0]"},
	} {
		m, err := New(KindTemplate, tt.text)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.Map(context.Background(), entry("reg.example/x:1"))
		if err != nil || len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s = %q, %v; want %q", tt.text, got, err, tt.want)
		}
	}
}

func TestChunkSizeBelowOneIsAnError(t *testing.T) {
	m, err := New(KindTemplate, `{{ chunk 0 (list 1 2) }}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Map(context.Background(), entry("reg.example/x:1")); err == nil || !strings.Contains(err.Error(), "chunk size 0: want 1 or more") {
		t.Errorf("error %v", err)
	}
}

func TestScanFormat(t *testing.T) {
	for _, tt := range []struct {
		format  string
		verbs   int
		width   float64
		indexed bool
	}{
		{"plain %% text", 0, 0, false},
		{"%s-%05d", 2, 5, false},
		{"%-12.3f", 1, 12, false},
		{"%*d", 1, 1e6, false},
		{"%[2]99999999x", 1, 1e6, true},
	} {
		verbs, width, indexed := scanFormat(tt.format)
		if verbs != tt.verbs || width != tt.width || indexed != tt.indexed {
			t.Errorf("scanFormat(%q) = %d, %v, %v; want %d, %v, %v", tt.format, verbs, width, indexed, tt.verbs, tt.width, tt.indexed)
		}
	}
}

// An estimate under a name no function has would guard nothing.
func TestEveryEstimateNamesAFunction(t *testing.T) {
	funcs := templateFuncs()
	for name := range resultEstimates {
		if _, ok := funcs[name]; !ok {
			t.Errorf("resultEstimates[%q]: no such template function", name)
		}
	}
}
