package main

import (
	"context"
	"errors"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/config"
	"ferry/backend/jobs"
	"ferry/backend/mapping"
	"ferry/backend/mirror"
	"ferry/backend/refs"
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

// previewTimeout bounds one live preview of the mapping rules.
const previewTimeout = 10 * time.Second

// PreviewMapping shows where every source would land under the rules.
func (a *App) PreviewMapping(req PreviewRequest) (PreviewResponse, error) {
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
	entries, err := a.previewEntries(req)
	if err != nil {
		resp.InputProblem = err.Error()
		return resp, nil
	}
	// Each entry's template run has its own budget; this bounds the whole
	// preview, which runs on every keystroke.
	ctx, cancel := context.WithTimeout(context.Background(), previewTimeout)
	defer cancel()
	resp.Result = mapping.PreviewContext(ctx, entries, m)
	resp.Millis = float64(time.Since(start).Microseconds()) / 1000
	return resp, nil
}

func (a *App) previewEntries(req PreviewRequest) ([]v1.Descriptor, error) {
	if req.IndexRef != "" {
		return a.gatherEntries(req.IndexRef)
	}
	srcs, _ := sources.Check(req.SourcesText)
	out := make([]v1.Descriptor, 0, len(srcs))
	for _, s := range srcs {
		ann := map[string]string{mirror.AnnotationSource: s.Ref, mirror.AnnotationRefName: s.Ref}
		if l := sources.EncodeLabels(s.Labels); l != "" {
			ann[mirror.AnnotationLabels] = l
		}
		out = append(out, v1.Descriptor{Annotations: ann})
	}
	return out, nil
}

// gatherEntries reads the entries of a gather index from its registry.
func (a *App) gatherEntries(ref string) ([]v1.Descriptor, error) {
	r, err := refs.Parse(ref)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(nil)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	env := jobs.MirrorEnv(cfg, nil)
	_, raw, err := env.Open(r.Name().Context()).Resolve(ctx, r.Name().Identifier())
	if err != nil {
		return nil, err
	}
	return mirror.GatherEntries(raw)
}
