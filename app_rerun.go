package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"ferry/backend/config"
	"ferry/backend/jobs"
	"ferry/backend/mapping"
	"ferry/backend/mirror"
	"ferry/backend/sources"
	"ferry/backend/store"
)

// RerunFailed starts a new run of only the images that failed in run id
// (scatter and clone), using the run's own options and rules.
func (a *App) RerunFailed(id string) (string, error) {
	act, err := a.RunActions(id)
	if err != nil {
		return "", err
	}
	if !act.Rerun.Available {
		return "", fmt.Errorf("run %s cannot re-run its failed images: %s", short(id), act.Rerun.Reason)
	}
	run, err := a.sess.Store.GetRunDetail(id)
	if err != nil {
		return "", err
	}
	failed := map[string]bool{}
	for _, it := range run.Items {
		if it.Status == store.StatusFailed || it.Status == mirror.ItemFailed {
			failed[it.Source] = true
		}
	}
	if len(failed) == 0 {
		return "", fmt.Errorf("run %s has no failed items to re-run", id)
	}
	cfg, err := config.Load(nil)
	if err != nil {
		return "", err
	}
	switch run.Kind {
	case "scatter":
		var o mirror.ScatterOptions
		if err := json.Unmarshal([]byte(run.Options), &o); err != nil {
			return "", fmt.Errorf("run %s: stored options: %w", id, err)
		}
		if o.Mapper, err = mapping.Parse(o.Mapping); err != nil {
			return "", fmt.Errorf("run %s: its mapping rules: %w", id, err)
		}
		o.Subset = keys(failed)
		return a.sess.Jobs.Start(jobs.Spec{Kind: "scatter", Args: run.Args + " (failed items of " + id + ")", Options: o, ResumedFrom: id,
			Run: func(ctx context.Context, j *jobs.Job) error {
				_, err := mirror.Scatter(ctx, a.env(cfg, j), o)
				return err
			}})
	case "clone":
		var o mirror.CloneOptions
		if err := json.Unmarshal([]byte(run.Options), &o); err != nil {
			return "", fmt.Errorf("run %s: stored options: %w", id, err)
		}
		if o.Mapper, err = mapping.Parse(o.Mapping); err != nil {
			return "", fmt.Errorf("run %s: its mapping rules: %w", id, err)
		}
		var keep []sources.Source
		for _, s := range o.Sources {
			if failed[s.Ref] {
				keep = append(keep, s)
			}
		}
		o.Sources = keep
		return a.sess.Jobs.Start(jobs.Spec{Kind: "clone", Args: run.Args + " (failed items of " + id + ")", Options: o, ResumedFrom: id,
			Run: func(ctx context.Context, j *jobs.Job) error {
				_, err := mirror.Clone(ctx, a.env(cfg, j), o)
				return err
			}})
	default:
		return "", errors.New("only scatter and clone runs can re-run their failed items; run the whole operation again")
	}
}

func unmarshalOptions(raw string, v any) error {
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return fmt.Errorf("its stored options: %w", err)
	}
	return nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
