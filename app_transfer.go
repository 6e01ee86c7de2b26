package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"ferry/backend/config"
	"ferry/backend/jobs"
	"ferry/backend/mapping"
	"ferry/backend/mirror"
	"ferry/backend/sources"
)

// TransferRequest is one operation as the Transfer page fills it in; each
// field matches the CLI flag of the same name.
type TransferRequest struct {
	Kind string `json:"kind"` // gather, serialize, deserialize, scatter, clone, archive, unarchive, verify

	SourcesText string   `json:"sourcesText"` // gather, clone, archive: the sources list
	Selectors   []string `json:"selectors"`   // -l
	Image       string   `json:"image"`       // the repository:tag operated on (gather dest, serialize/scatter source, deserialize dest)
	Path        string   `json:"path"`        // the medium: file, FIFO or tape device
	Existing    []string `json:"existing"`    // serialize/archive EXISTING-IMAGE...
	Mapper      string   `json:"mapper"`      // TYPE=ARG for scatter, clone, unarchive
	MapperKind  string   `json:"mapperKind"`  // or the rules typed in the Mapping editor
	MapperRules string   `json:"mapperRules"`

	Annotations   map[string]string `json:"annotations"`
	Platforms     []string          `json:"platforms"`
	IndexFallback bool              `json:"indexFallback"`
	Referrers     bool              `json:"referrers"`
	Check         bool              `json:"check"`
	Continue      bool              `json:"continue"`
	Strict        bool              `json:"strict"`
	DryRun        bool              `json:"dryRun"`
	Force         bool              `json:"force"`
	Compression   string            `json:"compression"`
	BlockSize     string            `json:"blockSize"`
	BufferSize    string            `json:"bufferSize"`
	HWM           int               `json:"hwm"`
	Checkpoint    string            `json:"checkpoint"`
	VolumeSize    string            `json:"volumeSize"`

	// CommandLine is the equivalent command the page shows; history
	// records it, so a run started here reads as the one to type.
	CommandLine string `json:"commandLine,omitempty"`
}

// commandLine is what history records for the run: the page's equivalent
// command, else a short form built here.
func (r TransferRequest) commandLine(short string) string {
	if c := strings.TrimSpace(r.CommandLine); c != "" {
		return c
	}
	return short
}

// StartTransfer validates the request and starts its job; it returns the
// job id at once. Progress arrives as job:progress events.
func (a *App) StartTransfer(req TransferRequest) (string, error) {
	cfg, err := config.Load(nil)
	if err != nil {
		return "", err
	}
	switch req.Kind {
	case "gather":
		o, err := gatherOptions(req)
		if err != nil {
			return "", err
		}
		return a.sess.Jobs.Start(jobs.Spec{Kind: "gather", Args: req.commandLine("ferry mirror gather - " + req.Image), Options: o,
			Run: func(ctx context.Context, j *jobs.Job) error {
				_, err := mirror.Gather(ctx, a.env(cfg, j), o)
				return err
			}})
	case "scatter", "clone":
		m, spec, err := a.mapperOf(req)
		if err != nil {
			return "", err
		}
		if req.Kind == "scatter" {
			if strings.TrimSpace(req.Image) == "" {
				return "", errors.New("choose the gather index (repository:tag) to scatter")
			}
			o := mirror.ScatterOptions{Source: req.Image, Mapping: spec, Mapper: m, Selectors: req.Selectors,
				Check: req.Check, Continue: req.Continue, Referrers: req.Referrers}
			return a.sess.Jobs.Start(jobs.Spec{Kind: "scatter", Args: req.commandLine("ferry mirror scatter " + req.Image + " " + spec), Options: o,
				Run: func(ctx context.Context, j *jobs.Job) error {
					_, err := mirror.Scatter(ctx, a.env(cfg, j), o)
					return err
				}})
		}
		srcs, err := sourcesOf(TransferRequest{SourcesText: req.SourcesText})
		if err != nil {
			return "", err
		}
		o := mirror.CloneOptions{Sources: srcs, Mapping: spec, Mapper: m, Selectors: req.Selectors, Platforms: req.Platforms,
			Check: req.Check, Continue: req.Continue, Referrers: req.Referrers}
		return a.sess.Jobs.Start(jobs.Spec{Kind: "clone", Args: req.commandLine("ferry mirror clone - " + spec), Options: o,
			Run: func(ctx context.Context, j *jobs.Job) error {
				_, err := mirror.Clone(ctx, a.env(cfg, j), o)
				return err
			}})
	default:
		return a.startMedia(cfg, req)
	}
}

func gatherOptions(req TransferRequest) (mirror.GatherOptions, error) {
	srcs, err := sourcesOf(req)
	if err != nil {
		return mirror.GatherOptions{}, err
	}
	if strings.TrimSpace(req.Image) == "" {
		return mirror.GatherOptions{}, errors.New("choose the repository:tag to gather into")
	}
	return mirror.GatherOptions{Sources: srcs, Dest: req.Image, Annotations: req.Annotations,
		IndexFallback: req.IndexFallback, Platforms: req.Platforms, Referrers: req.Referrers}, nil
}

// sourcesOf parses the request's sources list, every bad line reported.
func sourcesOf(req TransferRequest) ([]sources.Source, error) {
	srcs, _, err := sources.Parse(strings.NewReader(req.SourcesText), "sources list")
	if err != nil {
		return nil, err
	}
	if len(req.Selectors) > 0 {
		return sources.Select(srcs, req.Selectors)
	}
	return srcs, nil
}

// mapperOf builds the mapper from a TYPE=ARG spec, or from the rules typed
// in the Mapping editor; it returns the spec kept in history.
func (a *App) mapperOf(req TransferRequest) (mapping.Mapper, string, error) {
	m, err := requestMapper(req)
	if err != nil || req.Mapper != "" {
		return m, req.Mapper, err
	}
	if req.MapperKind == mapping.KindNest {
		return m, req.MapperKind + "=" + strings.TrimSpace(req.MapperRules), nil
	}
	path, err := a.keepRules(req.MapperKind, req.MapperRules)
	return m, req.MapperKind + "=" + path, err
}

// requestMapper builds the request's mapper without keeping anything.
func requestMapper(req TransferRequest) (mapping.Mapper, error) {
	if req.Mapper != "" {
		return mapping.Parse(req.Mapper)
	}
	if req.MapperKind == "" {
		return nil, errors.New("choose mapping rules (on the Mapping page or as TYPE=ARG)")
	}
	return mapping.New(req.MapperKind, req.MapperRules)
}

// keepRules stores rules typed in the editor as a file named by their
// digest, so the run's command line is real and a re-run finds the rules.
func (a *App) keepRules(kind, text string) (string, error) {
	dir := filepath.Join(a.sess.Paths.DataDir, "rules")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	ext := ".csv"
	if kind == mapping.KindTemplate {
		ext = ".tmpl"
	}
	sum := sha256.Sum256([]byte(text))
	path := filepath.Join(dir, kind+"-"+hex.EncodeToString(sum[:6])+ext)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	return path, a.WriteTextFile(path, text)
}
