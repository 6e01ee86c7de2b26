package mapping

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"ferry/backend/refs"
)

// maxTemplateOutput bounds what one entry's template may print, so that a
// runaway template (say {{ repeat 1000000000 "x" }}) fails instead of
// exhausting memory during a live preview.
const maxTemplateOutput = 1 << 20

var (
	errOutputTooLarge = fmt.Errorf("template output for one entry exceeds %d bytes", maxTemplateOutput)

	// text/template reports "template: NAME:LINE: msg" when parsing and
	// "template: NAME:LINE:COL: executing ..." when executing.
	templateErrPattern = regexp.MustCompile(`(?s)^template: [^:]*:(\d+)(?::(\d+))?: (.*)$`)
	executingPattern   = regexp.MustCompile(`(?s)^executing "[^"]*" at (.*)$`)
	quotedPattern      = regexp.MustCompile(`"([^"]+)"`)
)

// templateMapper runs a text/template with sprig's hermetic functions and
// Tag, Repository, Registry and Package. The dot is the entry as an OCI
// image-spec descriptor, the type the reference tool passes, so that its
// templates (.Digest.Encoded, .Platform.Architecture, ...) work unchanged.
// Every output line, trimmed, is one destination; blank lines are dropped.
type templateMapper struct {
	tmpl *template.Template
	text string
	file string
}

func newTemplate(text, file string) (m Mapper, err error) {
	fail := func(p RuleProblem) (Mapper, error) {
		return nil, &RuleError{File: file, Problems: []RuleProblem{p}}
	}
	if strings.TrimSpace(text) == "" {
		return fail(RuleProblem{Line: 1, Message: "the template is empty"})
	}
	defer func() {
		if r := recover(); r != nil {
			m, err = fail(RuleProblem{Line: 1, Message: fmt.Sprintf("template cannot be parsed: %v", r)})
		}
	}()
	tmpl, err := template.New("mapping").
		Funcs(sprig.HermeticTxtFuncMap()).
		Funcs(refs.FuncMap()).
		Parse(text)
	if err != nil {
		return fail(templateProblem(err, text))
	}
	return &templateMapper{tmpl: tmpl, text: text, file: file}, nil
}

func (m *templateMapper) Kind() string { return KindTemplate }

func (m *templateMapper) Map(entry v1.Descriptor) (dests []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			dests, err = nil, &RuleError{File: m.file, Problems: []RuleProblem{{Line: 1, Message: fmt.Sprintf("template failed: %v", r)}}}
		}
	}()
	out := cappedBuffer{limit: maxTemplateOutput}
	if err := m.tmpl.Execute(&out, ociDescriptor(entry)); err != nil {
		if errors.Is(err, errOutputTooLarge) {
			return nil, err
		}
		return nil, &RuleError{File: m.file, Problems: []RuleProblem{templateProblem(err, m.text)}}
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			dests = append(dests, line)
		}
	}
	return dests, nil
}

// templateProblem turns a text/template error into a positioned problem.
// Parse errors carry no column, so the first quoted token of the message is
// looked up on its line instead.
func templateProblem(err error, text string) RuleProblem {
	m := templateErrPattern.FindStringSubmatch(err.Error())
	if m == nil {
		return RuleProblem{Line: 1, Message: err.Error()}
	}
	line, _ := strconv.Atoi(m[1])
	msg := m[3]
	if e := executingPattern.FindStringSubmatch(msg); e != nil {
		msg = "at " + e[1]
	}
	p := RuleProblem{Line: line, Message: msg}
	if m[2] != "" {
		col, _ := strconv.Atoi(m[2])
		p.Column = col + 1 // text/template counts from 0
		return p
	}
	lines := strings.Split(text, "\n")
	if q := quotedPattern.FindStringSubmatch(msg); q != nil && line >= 1 && line <= len(lines) {
		if i := strings.Index(lines[line-1], q[1]); i >= 0 {
			p.Column = i + 1
		}
	}
	return p
}

// ociDescriptor converts the entry to the image-spec descriptor that the
// reference tool's templates see. An entry without digest gets "".
func ociDescriptor(d v1.Descriptor) ocispec.Descriptor {
	o := ocispec.Descriptor{
		MediaType:    string(d.MediaType),
		Digest:       digest.Digest(digestOf(d)),
		Size:         d.Size,
		URLs:         d.URLs,
		Annotations:  d.Annotations,
		Data:         d.Data,
		ArtifactType: d.ArtifactType,
	}
	if p := d.Platform; p != nil {
		o.Platform = &ocispec.Platform{
			Architecture: p.Architecture,
			OS:           p.OS,
			OSVersion:    p.OSVersion,
			OSFeatures:   p.OSFeatures,
			Variant:      p.Variant,
		}
	}
	return o
}

type cappedBuffer struct {
	bytes.Buffer
	limit int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.limit {
		return 0, errOutputTooLarge
	}
	return b.Buffer.Write(p)
}
