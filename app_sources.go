package main

import (
	"context"
	"time"

	"ferry/backend/config"
	"ferry/backend/jobs"
	"ferry/backend/mirror"
	"ferry/backend/sources"
	"ferry/backend/store"
)

// SourcesCheck is the live validation of a sources list being edited.
type SourcesCheck struct {
	Sources  []sources.Source  `json:"sources"`
	Problems []sources.Problem `json:"problems"`
}

// CheckSources validates sources text as the operator types: every bad
// line with its line number, duplicates as warnings.
func (a *App) CheckSources(text string) SourcesCheck {
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
func (a *App) InspectSources(text string) ([]mirror.Inspection, error) {
	cfg, err := config.Load(nil)
	if err != nil {
		return nil, err
	}
	srcs, _ := sources.Check(text)
	list := make([]string, 0, len(srcs))
	for _, s := range srcs {
		list = append(list, s.Ref)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return mirror.Inspect(ctx, jobs.MirrorEnv(cfg, nil), list), nil
}

// SaveDocument stores a new version of a sources list or mapping rules.
func (a *App) SaveDocument(kind, name, content, meta string) (int, error) {
	return a.sess.Store.SaveDocument(store.Document{Kind: kind, Name: name, Content: content, Meta: meta})
}

// ListDocuments lists saved documents of a kind (newest version of each).
func (a *App) ListDocuments(kind string) ([]store.Document, error) {
	return a.sess.Store.Documents(kind)
}

// DocumentVersions lists every version of one document.
func (a *App) DocumentVersions(kind, name string) ([]store.Document, error) {
	return a.sess.Store.Versions(kind, name)
}

// GetDocument returns one version of a document (0 = newest).
func (a *App) GetDocument(kind, name string, version int) (store.Document, error) {
	return a.sess.Store.GetDocument(kind, name, version)
}
