package sources

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseGoodFile(t *testing.T) {
	text := "# images for the core module\n" +
		"\n" +
		"quay.io/ceph/ceph:v16.2.7, component=core, module=test\r\n" +
		"   \t\n" +
		"  # indented comment\n" +
		"localhost:5000/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n" +
		`docker.io/library/nginx:1.25,"tier=web",example.com/owner=ops-team,empty=` + "\n" +
		"reg.example/x" // no final newline
	srcs, warnings, err := Parse(strings.NewReader(text), "sources.list")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	want := []Source{
		{Line: 3, Ref: "quay.io/ceph/ceph:v16.2.7", Labels: map[string]string{"component": "core", "module": "test"}},
		{Line: 6, Ref: "localhost:5000/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{Line: 7, Ref: "docker.io/library/nginx:1.25", Labels: map[string]string{"tier": "web", "example.com/owner": "ops-team", "empty": ""}},
		{Line: 8, Ref: "reg.example/x"},
	}
	if !reflect.DeepEqual(srcs, want) {
		t.Errorf("sources:\n got %+v\nwant %+v", srcs, want)
	}
}

func TestParseReportsEveryBadLine(t *testing.T) {
	text := strings.Join([]string{
		"quay.io/ok/image:1",               // 1 fine
		"library/nginx:1.25",               // 2 no registry host
		"reg.example/UPPER:1",              // 3 bad reference
		"reg.example/a:1,component",        // 4 label without '='
		"reg.example/b:1,-bad-=x",          // 5 bad key
		"reg.example/c:1,tier=not valid!",  // 6 bad value
		"reg.example/d:1,a=1,b=2,a=3",      // 7 duplicate key
		"reg.example/e:1,",                 // 8 empty label
		`reg.example/f:1,"tier=web`,        // 9 unterminated quote
		",a=b",                             // 10 no reference
		"quay.io/ok/image:1,component=dup", // 11 duplicate reference: warning only
		"reg.example/g:1",                  // 12 fine: must not be swallowed by line 9
	}, "\n")
	_, warnings, err := Parse(strings.NewReader(text), "lists/sources.list")
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("error %v is not a *Error", err)
	}
	type pos struct{ line, col int }
	wantErrs := map[pos]string{
		{2, 1}:  "registry host is missing",
		{3, 1}:  `component "UPPER"`,
		{4, 17}: `malformed label "component"`,
		{5, 17}: `invalid label key "-bad-"`,
		{6, 22}: `invalid value "not valid!" for label "tier"`,
		{7, 25}: `duplicate label key "a", already set at column 17`,
		{8, 17}: "empty label",
		{9, 26}: "cannot read the line as CSV",
		{10, 1}: "missing reference",
	}
	if len(perr.Problems) != len(wantErrs) {
		t.Errorf("got %d problems, want %d:\n%v", len(perr.Problems), len(wantErrs), err)
	}
	for _, p := range perr.Problems {
		want, ok := wantErrs[pos{p.Line, p.Column}]
		if !ok {
			t.Errorf("unexpected problem %s", p)
			continue
		}
		if p.Severity != SeverityError || !strings.Contains(p.Message, want) {
			t.Errorf("problem %s: want an error mentioning %q", p, want)
		}
	}
	for i, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, "lists/sources.list:") {
			t.Errorf("error line %d %q does not start with the file name", i+1, line)
		}
	}
	if !strings.HasPrefix(err.Error(), "lists/sources.list:2:1: ") {
		t.Errorf("first error line should be positioned at 2:1, got %q", strings.SplitN(err.Error(), "\n", 2)[0])
	}
	if len(warnings) != 1 || warnings[0].Line != 11 || !strings.Contains(warnings[0].Message, "line 1") {
		t.Errorf("want one warning on line 11 naming line 1, got %v", warnings)
	}
}

func TestCheckDuplicatesAreWarnings(t *testing.T) {
	text := "docker.io/nginx\n" +
		"reg.example/a:1\n" +
		"reg.example/a:1,tier=web\n" +
		"index.docker.io/library/nginx:latest\n"
	srcs, problems := Check(text)
	if len(srcs) != 4 {
		t.Errorf("duplicates must stay in the list: got %d sources", len(srcs))
	}
	want := []Problem{
		{Line: 3, Column: 1, Severity: SeverityWarning, Message: "duplicate reference, already on line 2"},
		{Line: 4, Column: 1, Severity: SeverityWarning, Message: "same image as line 1 (docker.io/nginx)"},
	}
	if !reflect.DeepEqual(problems, want) {
		t.Errorf("problems:\n got %v\nwant %v", problems, want)
	}
	if got := want[0].String(); got != "3:1: warning: duplicate reference, already on line 2" {
		t.Errorf("warning prints as %q", got)
	}
}

func TestCheckKeepsGoodLinesBesideBadOnes(t *testing.T) {
	srcs, problems := Check("reg.example/a:1\nnginx\nreg.example/b:1, x=y")
	if len(problems) != 1 || problems[0].Line != 2 {
		t.Fatalf("problems = %v", problems)
	}
	if len(srcs) != 2 || srcs[0].Ref != "reg.example/a:1" || srcs[1].Labels["x"] != "y" {
		t.Errorf("sources = %+v", srcs)
	}
}

func TestParseEmpty(t *testing.T) {
	srcs, warnings, err := Parse(strings.NewReader("# nothing yet\n\n"), "s.list")
	if err != nil || len(srcs) != 0 || len(warnings) != 0 {
		t.Errorf("got %v, %v, %v", srcs, warnings, err)
	}
}

func TestParseReadError(t *testing.T) {
	_, _, err := Parse(failingReader{}, "tape.list")
	if err == nil || !strings.Contains(err.Error(), "tape.list") {
		t.Errorf("error %v should name the file", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("device gone") }

func BenchmarkCheck1000Lines(b *testing.B) {
	var sb strings.Builder
	for i := range 1000 {
		switch i % 10 {
		case 0:
			sb.WriteString("# section comment\n")
		case 1:
			fmt.Fprintf(&sb, "localhost:5000/team/app-%d@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", i)
		default:
			fmt.Fprintf(&sb, "registry.example.com/project/image-%d:v1.%d, component=core, example.com/module=m%d\n", i, i, i%7)
		}
	}
	text := sb.String()
	b.ReportAllocs()
	for b.Loop() {
		if _, problems := Check(text); len(problems) != 0 {
			b.Fatal(problems)
		}
	}
}

func TestCheckIgnoresByteOrderMark(t *testing.T) {
	srcs, problems := Check("\ufeffreg.example/a:1\r\nreg.example/b:1\r\n")
	if len(problems) != 0 || len(srcs) != 2 || srcs[0].Ref != "reg.example/a:1" {
		t.Errorf("got %+v, %v", srcs, problems)
	}
}

// A huge bad file gives a report of a hundred lines and a count, not one
// line per bad line (100,000 bad lines printed 9 MB).
func TestParseCapsTheReportOfAHugeBadFile(t *testing.T) {
	var sb strings.Builder
	for i := range 100_000 {
		fmt.Fprintf(&sb, "not a reference %d\n", i)
	}
	_, _, err := Parse(strings.NewReader(sb.String()), "sources.list")
	var serr *Error
	if !errors.As(err, &serr) || len(serr.Problems) != MaxProblems+1 {
		t.Fatalf("error %T with %d problems, want %d", err, len(serr.Problems), MaxProblems+1)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != MaxProblems+1 || len(err.Error()) > 20_000 {
		t.Errorf("report of %d lines, %d bytes", len(lines), len(err.Error()))
	}
	if last := lines[len(lines)-1]; last != "sources.list:101: and 99900 more problems from this line on (not listed)" {
		t.Errorf("last line %q", last)
	}
}

// The count of omitted problems is an error when an omitted one is, so
// that the editor and Parse still see a file that cannot be used.
func TestCheckCapKeepsTheVerdict(t *testing.T) {
	var sb strings.Builder
	for range MaxProblems + 5 {
		sb.WriteString("reg.example/a:1\n") // duplicates: warnings
	}
	srcs, problems := Check(sb.String())
	if len(srcs) != MaxProblems+5 || len(problems) != MaxProblems+1 || problems[MaxProblems].Severity != SeverityWarning {
		t.Fatalf("%d sources, %d problems, last %+v", len(srcs), len(problems), problems[len(problems)-1])
	}
	sb.WriteString("bad line\n")
	_, problems = Check(sb.String())
	if last := problems[MaxProblems]; last.Severity != SeverityError || last.Line != MaxProblems+2 || !strings.Contains(last.Message, "and 5 more problems") {
		t.Errorf("last problem %+v, want an error counting 5 more from line %d", last, MaxProblems+2)
	}
}

// A 10 MB line is never echoed whole: a field is shown by its first bytes
// (and an ellipsis), a reference only by its length.
func TestLongLineIsNotEchoed(t *testing.T) {
	long := strings.Repeat("x", 10<<20)
	for _, tt := range []struct{ text, want string }{
		{"reg.example/" + long, "a reference of 10485772 bytes is too long"},
		{"reg.example/a:1," + long, `malformed label "` + long[:80] + `"… (10485760 bytes): want key=value`},
		{"reg.example/a:1,key=" + long, `invalid value "` + long[:80] + `"… (10485760 bytes) for label "key": must be no more than 63`},
	} {
		_, problems := Check(tt.text)
		if len(problems) != 1 || len(problems[0].Message) > 500 || !strings.Contains(problems[0].Message, tt.want) {
			t.Errorf("problems %.300v, want one short message saying %.200q", problems, tt.want)
		}
	}
}

func TestUTF16FileGetsAHint(t *testing.T) {
	utf16 := "\xff\xfer\x00e\x00g\x00.\x00e\x00x\x00/\x00a\x00\n\x00"
	_, _, err := Parse(strings.NewReader(utf16), "sources.list")
	if err == nil || err.Error() != "sources.list:1: the file looks like UTF-16; save it as UTF-8" {
		t.Errorf("error %v, want the UTF-16 hint", err)
	}
}

func TestParseRefusesAHugeInput(t *testing.T) {
	_, _, err := Parse(strings.NewReader(strings.Repeat("reg.example/a:1\n", 1<<20+1)), "sources.list")
	if err == nil || !strings.Contains(err.Error(), "larger than 16 MiB") {
		t.Errorf("error %v, want the size limit", err)
	}
}
