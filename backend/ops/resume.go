package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"

	"ferry/backend/jobs"
	"ferry/backend/mapping"
	"ferry/backend/mirror"
	"ferry/backend/sources"
	"ferry/backend/store"
)

// Action says whether a follow-up applies to a run and, when not, why.
type Action struct {
	Available bool   `json:"available"`
	Reason    string `json:"reason"`
}

// Actions are the follow-ups of one run. Build refuses a resume or re-run
// by the same rules, so a button never fails for a reason the window could
// have told.
type Actions struct {
	Resume Action `json:"resume"`
	Rerun  Action `json:"rerun"`
	// ContinuedBy is the newest run that resumed or re-ran this one.
	ContinuedBy string `json:"continuedBy"`
}

// RunActions tells which follow-ups apply to run id.
func RunActions(st *store.Store, id string) (Actions, error) {
	run, err := st.GetRunDetail(id)
	if err != nil {
		return Actions{}, err
	}
	later, err := st.ListRuns(store.RunFilter{Kind: run.Kind})
	if err != nil {
		return Actions{}, err
	}
	var by string
	for _, r := range later { // newest first
		if r.ResumedFrom == id {
			by = r.ID
			break
		}
	}
	return actionsOf(run, by), nil
}

func failedItems(run store.RunDetail) map[string]bool {
	failed := map[string]bool{}
	for _, it := range run.Items {
		if it.Status == store.StatusFailed || it.Status == mirror.ItemFailed {
			failed[it.Source] = true
		}
	}
	return failed
}

func actionsOf(run store.RunDetail, continuedBy string) Actions {
	out := Actions{ContinuedBy: continuedBy}
	failed := len(failedItems(run))
	kind := Kind(run.Kind)
	no := func(format string, args ...any) Action { return Action{Reason: fmt.Sprintf(format, args...)} }
	switch {
	case run.Status == store.StatusRunning:
		out.Resume = no("the run is still running")
		out.Rerun = out.Resume
		return out
	case continuedBy != "":
		out.Resume = no("run %s already continues this one: act on that run", Short(continuedBy))
		out.Rerun = out.Resume
		return out
	}

	switch {
	case !kind.Resumable():
		out.Resume = no("only serialize, archive and deserialize runs resume from a checkpoint")
	case run.Status == store.StatusSucceeded:
		out.Resume = no("the run completed: nothing is left to do")
	default:
		out.Resume = Action{Available: true}
	}

	switch {
	case failed == 0 && run.Failures == 0:
		out.Rerun = no("no image failed")
	case !kind.Reruns():
		out.Rerun = no("only scatter and clone runs re-run their failed images; a %s is resumed or run again", run.Kind)
	case failed == 0:
		out.Rerun = no("the failures are not recorded image by image: run the %s again", run.Kind)
	default:
		out.Rerun = Action{Available: true}
	}
	return out
}

// Short is the first part of a run id, as the window shows it.
func Short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// buildResume continues an interrupted, failed or cancelled run without
// asking for offsets: a serialize or archive writes what is left to the
// next part (req may name it, and change the ledger, --force and sizes); a
// deserialize reads its medium again (what arrived is skipped).
func buildResume(req Request, rt Runtime) (jobs.Spec, error) {
	run, err := continuable(req, rt, "cannot be resumed", func(a Actions) Action { return a.Resume })
	if err != nil {
		return jobs.Spec{}, err
	}
	switch Kind(run.Kind) {
	case Serialize, Archive:
		o, err := ResumeSerialize(rt.Store, req.Run)
		if err != nil {
			return jobs.Spec{}, err
		}
		if req.Path != "" {
			o.Dest = req.Path
		}
		o.CheckpointFile, o.Force = req.Checkpoint, req.Force
		if err := applySizes(req, &o); err != nil {
			return jobs.Spec{}, err
		}
		return spec(req, rt, string(Serialize), req.Run, o, serializeWork(o, rt)), nil
	case Deserialize:
		if !reflect.DeepEqual(req, Request{Kind: Resume, Run: req.Run}) {
			return jobs.Spec{}, errors.New("a deserialize resumes with its own options: give only the run")
		}
		var o mirror.DeserializeOptions
		if err := json.Unmarshal([]byte(run.Options), &o); err != nil {
			return jobs.Spec{}, fmt.Errorf("run %s: its stored options: %w", req.Run, err)
		}
		r := deserializeRequest(o)
		checked, _, err := options(r, rt)
		if err != nil {
			return jobs.Spec{}, err
		}
		// The medium is read again: its checkpoint ledger gets what the
		// first run did not record.
		do := checked.(mirror.DeserializeOptions)
		do.ContinueCheckpoint = do.CheckpointFile != ""
		return spec(req, rt, run.Kind, req.Run, o, deserializeWork(do)), nil
	}
	return jobs.Spec{}, fmt.Errorf("a %s run cannot be resumed; only serialize, archive and deserialize runs can", run.Kind)
}

// deserializeRequest is the request a deserialize run's options came from.
func deserializeRequest(o mirror.DeserializeOptions) Request {
	r := Request{Kind: Deserialize, Path: o.Source, Volumes: o.Volumes, Image: o.Dest, Strict: o.Strict, DryRun: o.DryRun, Checkpoint: o.CheckpointFile}
	if o.BlockSize > 0 {
		r.BlockSize = strconv.Itoa(o.BlockSize)
	}
	return r
}

func deserializeWork(o mirror.DeserializeOptions) work {
	return func(ctx context.Context, env mirror.Env) (any, error) {
		return mirror.Deserialize(ctx, withMediumTotal(env, o.Source), o)
	}
}

// serializeWork runs a serialize, first reading what an incremental one
// leaves out (since.go), as it stands when the run starts.
func serializeWork(o mirror.SerializeOptions, rt Runtime) work {
	return func(ctx context.Context, env mirror.Env) (any, error) {
		om, err := sinceOf(o, rt)
		if err != nil {
			return mirror.SerializeResult{}, err
		}
		return mirror.Serialize(ctx, env, withOmission(env, o, om))
	}
}

// buildRerun starts a new run of only the images that failed in a scatter
// or clone run, with the run's own options and rules.
func buildRerun(req Request, rt Runtime) (jobs.Spec, error) {
	run, err := continuable(req, rt, "cannot re-run its failed images", func(a Actions) Action { return a.Rerun })
	if err != nil {
		return jobs.Spec{}, err
	}
	detail, err := rt.Store.GetRunDetail(req.Run)
	if err != nil {
		return jobs.Spec{}, err
	}
	failed := failedItems(detail)
	if len(failed) == 0 {
		return jobs.Spec{}, fmt.Errorf("run %s has no failed items to re-run", req.Run)
	}
	// stored reads the run's options and rebuilds its mapper from them.
	stored := func(v any, mapper *mapping.Mapper, spec *string) error {
		if err := json.Unmarshal([]byte(run.Options), v); err != nil {
			return fmt.Errorf("run %s: stored options: %w", req.Run, err)
		}
		m, err := mapping.Parse(*spec)
		if err != nil {
			return fmt.Errorf("run %s: its mapping rules: %w", req.Run, err)
		}
		*mapper = m
		return nil
	}
	switch Kind(run.Kind) {
	case Scatter:
		var o mirror.ScatterOptions
		if err := stored(&o, &o.Mapper, &o.Mapping); err != nil {
			return jobs.Spec{}, err
		}
		o.Subset = keys(failed)
		return spec(req, rt, run.Kind, req.Run, o, func(ctx context.Context, env mirror.Env) (any, error) { return mirror.Scatter(ctx, env, o) }), nil
	case Clone:
		var o mirror.CloneOptions
		if err := stored(&o, &o.Mapper, &o.Mapping); err != nil {
			return jobs.Spec{}, err
		}
		var keep []sources.Source
		for _, s := range o.Sources {
			if failed[s.Ref] {
				keep = append(keep, s)
			}
		}
		o.Sources = keep
		return spec(req, rt, run.Kind, req.Run, o, func(ctx context.Context, env mirror.Env) (any, error) { return mirror.Clone(ctx, env, o) }), nil
	}
	return jobs.Spec{}, errors.New("only scatter and clone runs can re-run their failed items; run the whole operation again")
}

// continuable finds the run req continues and checks that the follow-up
// applies to it.
func continuable(req Request, rt Runtime, what string, pick func(Actions) Action) (store.Run, error) {
	if req.Run == "" {
		return store.Run{}, errors.New("name the run to continue (its id, as history shows it)")
	}
	if rt.Store == nil {
		return store.Run{}, errors.New("no history to find the run in")
	}
	act, err := RunActions(rt.Store, req.Run)
	if err != nil {
		return store.Run{}, err
	}
	if a := pick(act); !a.Available {
		return store.Run{}, fmt.Errorf("run %s %s: %s", Short(req.Run), what, a.Reason)
	}
	return rt.Store.GetRun(req.Run)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
