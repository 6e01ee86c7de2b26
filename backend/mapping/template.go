package mapping

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var (
	// text/template reports "template: NAME:LINE: msg" when parsing and
	// "template: NAME:LINE:COL: executing ..." when executing.
	templateErrPattern = regexp.MustCompile(`(?s)^template: [^:]*:(\d+)(?::(\d+))?: (.*)$`)
	executingPattern   = regexp.MustCompile(`(?s)^executing "[^"]*" at (.*)$`)
	quotedPattern      = regexp.MustCompile(`"([^"]+)"`)
)

// The functions instrument adds to a parsed template. A leading underscore
// keeps them apart from sprig's names; a template that names them itself
// does not parse, as they are unknown then.
const (
	stepFunc  = "_ferryStep"
	enterFunc = "_ferryEnter"
	leaveFunc = "_ferryLeave"
	printFunc = "_ferryPrint"
)

// templateMapper runs a text/template with sprig's hermetic functions and
// Tag, Repository, Registry and Package. The dot is the entry as an OCI
// image-spec descriptor, the type the reference tool passes, so that its
// templates (.Digest.Encoded, .Platform.Architecture, ...) work unchanged.
// Every output line, trimmed, is one destination; blank lines are dropped.
//
// Each run has a budget (see maxTemplateSteps and its neighbours): the
// parsed template is instrumented so that every loop iteration, template
// call and function call takes a step, and each run executes a clone whose
// functions are guarded for that run. Clones are pooled, so that Map is
// safe for concurrent use without building one per entry.
type templateMapper struct {
	tmpl *template.Template
	text string
	file string
	pool sync.Pool // of *executor
}

// executor is one clone of the template with functions bound to its run.
type executor struct {
	tmpl *template.Template
	run  run
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
	tmpl, err := template.New("mapping").Funcs(templateFuncs()).Parse(text)
	if err != nil {
		return fail(templateProblem(err, text))
	}
	instrument(tmpl)
	return &templateMapper{tmpl: tmpl, text: text, file: file}, nil
}

func (m *templateMapper) Kind() string { return KindTemplate }

func (m *templateMapper) executor() (*executor, error) {
	if ex, ok := m.pool.Get().(*executor); ok {
		return ex, nil
	}
	clone, err := m.tmpl.Clone()
	if err != nil {
		return nil, err
	}
	ex := &executor{tmpl: clone}
	fm := guardedFuncs(&ex.run)
	fm[stepFunc] = func() (string, error) { return "", ex.run.step() }
	fm[enterFunc], fm[leaveFunc] = ex.run.enter, ex.run.leave
	fm[printFunc] = ex.run.checkPrint
	clone.Funcs(fm)
	return ex, nil
}

// Map runs the template for one entry within its budget; ctx stops it
// early (the job is cancelled, the preview is superseded).
func (m *templateMapper) Map(ctx context.Context, entry v1.Descriptor) (dests []string, err error) {
	ex, err := m.executor()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, maxTemplateTime, errTimedOut)
	defer cancel()
	ex.run.reset(ctx)
	defer func() {
		ex.run.reset(nil)
		m.pool.Put(ex)
		if r := recover(); r != nil {
			dests, err = nil, m.fail(RuleProblem{Line: 1, Message: fmt.Sprintf("template failed: %v", r)}, nil)
		}
	}()
	err = ex.tmpl.Execute(&ex.run.out, ociDescriptor(entry))
	if err == nil && ex.run.out.full {
		// Text after the last action passed the limit: no position.
		err = errOutputFull
	}
	if err != nil {
		return nil, m.fail(templateProblem(err, m.text), err)
	}
	for _, line := range strings.Split(ex.run.out.buf.String(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			dests = append(dests, line)
		}
	}
	return dests, nil
}

func (m *templateMapper) fail(p RuleProblem, cause error) error {
	return &RuleError{File: m.file, Problems: []RuleProblem{p}, cause: cause}
}

// checkPrint ends every printing action: it takes a step and refuses a
// value that would pass the output limit before fmt builds its text. It
// takes and returns a reflect.Value so that a missing map key still prints
// as text/template prints it, "<no value>".
func (r *run) checkPrint(v reflect.Value) (reflect.Value, error) {
	if err := r.step(); err != nil {
		return v, err
	}
	if r.out.buf.Len()+sizeOf(v, maxTemplateOutput) > maxTemplateOutput {
		return v, errOutputFull
	}
	return v, nil
}

// instrument makes every range iteration take a step, every template
// enter and leave (entering takes a step), and ends every printing action
// with checkPrint. The added nodes carry the position of the range,
// template or action, so that a budget error names the line that spent it.
func instrument(t *template.Template) {
	for _, tt := range t.Templates() {
		if tt.Tree == nil || tt.Tree.Root == nil {
			continue
		}
		root := tt.Tree.Root
		instrumentList(root)
		root.Nodes = append([]parse.Node{action(enterFunc, root.Pos, 0)}, root.Nodes...)
		root.Nodes = append(root.Nodes, action(leaveFunc, root.Pos, 0))
	}
}

func instrumentList(l *parse.ListNode) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			if len(n.Pipe.Decl) == 0 { // an assignment prints nothing
				n.Pipe.Cmds = append(n.Pipe.Cmds, call(printFunc, n.Pos))
			}
		case *parse.IfNode:
			instrumentList(n.List)
			instrumentList(n.ElseList)
		case *parse.WithNode:
			instrumentList(n.List)
			instrumentList(n.ElseList)
		case *parse.RangeNode:
			instrumentList(n.List)
			instrumentList(n.ElseList)
			n.List.Nodes = append([]parse.Node{action(stepFunc, n.Pos, n.Line)}, n.List.Nodes...)
		}
	}
}

// action is {{ name }}, printing what the function returns, "".
func action(name string, pos parse.Pos, line int) *parse.ActionNode {
	return &parse.ActionNode{NodeType: parse.NodeAction, Pos: pos, Line: line,
		Pipe: &parse.PipeNode{NodeType: parse.NodePipe, Pos: pos, Line: line, Cmds: []*parse.CommandNode{call(name, pos)}}}
}

func call(name string, pos parse.Pos) *parse.CommandNode {
	return &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos, Args: []parse.Node{parse.NewIdentifier(name).SetPos(pos)}}
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
	var (
		budget  *budgetError
		stopped *stoppedError
	)
	// For these the call in "at <...>" may be an instrumented one, which
	// means nothing to the operator.
	switch {
	case errors.As(err, &budget):
		msg = budget.Error()
	case errors.As(err, &stopped):
		msg = stopped.Error()
	default:
		if e := executingPattern.FindStringSubmatch(msg); e != nil {
			msg = "at " + e[1]
		}
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
