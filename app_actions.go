package main

import (
	"fmt"

	"ferry/backend/mirror"
	"ferry/backend/store"
)

// RunAction says whether an action applies to a run and, when not, why.
type RunAction struct {
	Available bool   `json:"available"`
	Reason    string `json:"reason"`
}

// RunActions are the follow-ups History offers for one run. ResumeRun and
// RerunFailed refuse by the same rules, so a button never fails for a
// reason the window could have told.
type RunActions struct {
	Resume RunAction `json:"resume"`
	Rerun  RunAction `json:"rerun"`
	// ContinuedBy is the newest run that resumed or re-ran this one.
	ContinuedBy string `json:"continuedBy"`
}

// RunActions tells which follow-ups apply to run id.
func (a *App) RunActions(id string) (RunActions, error) {
	run, err := a.sess.Store.GetRunDetail(id)
	if err != nil {
		return RunActions{}, err
	}
	later, err := a.sess.Store.ListRuns(store.RunFilter{Kind: run.Kind})
	if err != nil {
		return RunActions{}, err
	}
	var by string
	for _, r := range later { // newest first
		if r.ResumedFrom == id {
			by = r.ID
			break
		}
	}
	return runActions(run, by), nil
}

func runActions(run store.RunDetail, continuedBy string) RunActions {
	out := RunActions{ContinuedBy: continuedBy}
	failed := 0
	for _, it := range run.Items {
		if it.Status == store.StatusFailed || it.Status == mirror.ItemFailed {
			failed++
		}
	}
	no := func(format string, args ...any) RunAction { return RunAction{Reason: fmt.Sprintf(format, args...)} }
	switch {
	case run.Status == store.StatusRunning:
		out.Resume = no("the run is still running")
		out.Rerun = out.Resume
		return out
	case continuedBy != "":
		out.Resume = no("run %s already continues this one: act on that run", short(continuedBy))
		out.Rerun = out.Resume
		return out
	}

	switch {
	case run.Kind != "serialize" && run.Kind != "archive" && run.Kind != "deserialize":
		out.Resume = no("only serialize, archive and deserialize runs resume from a checkpoint")
	case run.Status == store.StatusSucceeded:
		out.Resume = no("the run completed: nothing is left to do")
	default:
		out.Resume = RunAction{Available: true}
	}

	switch {
	case failed == 0 && run.Failures == 0:
		out.Rerun = no("no image failed")
	case run.Kind != "scatter" && run.Kind != "clone":
		out.Rerun = no("only scatter and clone runs re-run their failed images; a %s is resumed or run again", run.Kind)
	case failed == 0:
		out.Rerun = no("the failures are not recorded image by image: run the %s again", run.Kind)
	default:
		out.Rerun = RunAction{Available: true}
	}
	return out
}

// short is the first part of a run id, as the window shows it.
func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
