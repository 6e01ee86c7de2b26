package ops

import (
	"context"
	"errors"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/mapping"
	"ferry/backend/mirror"
	"ferry/backend/sources"
)

// PreviewRequest is what the mapping editor sends as the operator types.
type PreviewRequest struct {
	Kind  string `json:"kind"`  // nest, first-prefix, ..., go-template
	Rules string `json:"rules"` // the rule text (prefix, CSV or template)
	// Exactly one input: sources text, or a gather index in a registry.
	SourcesText string `json:"sourcesText"`
	IndexRef    string `json:"indexRef"`
}

// PreviewResponse is the live preview, or the positioned problems of the
// rule text when it does not compile.
type PreviewResponse struct {
	Result       mapping.Result        `json:"result"`
	RuleProblems []mapping.RuleProblem `json:"ruleProblems"`
	InputProblem string                `json:"inputProblem"`
	Millis       float64               `json:"millis"`
}

// previewTimeout bounds one live preview of the mapping rules, which runs
// on every keystroke; each entry's template run has its own budget too.
const previewTimeout = 10 * time.Second

// PreviewMapping shows where every source would land under the rules. env
// reaches the registry of a gather index.
func PreviewMapping(env mirror.Env, req PreviewRequest) (PreviewResponse, error) {
	start := time.Now()
	resp := PreviewResponse{RuleProblems: []mapping.RuleProblem{}, Result: mapping.Result{Rows: []mapping.Row{}}}
	m, err := mapping.New(req.Kind, req.Rules)
	if err != nil {
		var re *mapping.RuleError
		if errors.As(err, &re) {
			resp.RuleProblems = re.Problems
			return resp, nil
		}
		return resp, err
	}
	entries, err := previewEntries(env, req)
	if err != nil {
		resp.InputProblem = err.Error()
		return resp, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), previewTimeout)
	defer cancel()
	resp.Result = mapping.PreviewContext(ctx, entries, m)
	resp.Millis = float64(time.Since(start).Microseconds()) / 1000
	return resp, nil
}

// previewEntries are the entries the rules see: a gather index's, or the
// sources described as a gather index describes them.
func previewEntries(env mirror.Env, req PreviewRequest) ([]v1.Descriptor, error) {
	if req.IndexRef != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		entries, _, err := ReadGatherIndex(ctx, env, req.IndexRef)
		return entries, err
	}
	srcs, _ := sources.Check(req.SourcesText)
	return SourceEntries(srcs), nil
}

// SourceEntries describes sources as the entries of a gather index
// describe them (without digests: nothing was gathered yet).
func SourceEntries(srcs []sources.Source) []v1.Descriptor {
	out := make([]v1.Descriptor, 0, len(srcs))
	for _, s := range srcs {
		ann := map[string]string{mirror.AnnotationSource: s.Ref, mirror.AnnotationRefName: s.Ref}
		if l := sources.EncodeLabels(s.Labels); l != "" {
			ann[mirror.AnnotationLabels] = l
		}
		out = append(out, v1.Descriptor{Annotations: ann})
	}
	return out
}

// SourcesCheck is the live validation of a sources list being edited.
type SourcesCheck struct {
	Sources  []sources.Source  `json:"sources"`
	Problems []sources.Problem `json:"problems"`
}

// CheckSources validates sources text: every bad line with its line
// number, duplicates as warnings; never nil lists.
func CheckSources(text string) SourcesCheck {
	srcs, problems := sources.Check(text)
	if srcs == nil {
		srcs = []sources.Source{}
	}
	if problems == nil {
		problems = []sources.Problem{}
	}
	return SourcesCheck{Sources: srcs, Problems: problems}
}

// InspectSources resolves every valid reference of the text against its
// registry (digest, media type, platforms, size) without copying anything.
func InspectSources(ctx context.Context, env mirror.Env, text string) []mirror.Inspection {
	srcs, _ := sources.Check(text)
	list := make([]string, 0, len(srcs))
	for _, s := range srcs {
		list = append(list, s.Ref)
	}
	return mirror.Inspect(ctx, env, list)
}
