package main

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"ferry/backend/config"
	"ferry/backend/jobs"
	"ferry/backend/mirror"
)

// A multi-volume transfer on tape stops when a tape is full (or, reading,
// when a volume ends) and asks for the next cartridge. In the window the job
// emits "job:medium" {id, volume, message, device, syncId, problem, write}
// and waits; the operator loads the tape and answers with AnswerMedium(id,
// true), or AnswerMedium(id, false) to cancel the job. Cancelling keeps
// every volume already complete; the run's history records them.

// MediumPrompt is a job waiting for the operator to load a medium.
type MediumPrompt struct {
	JobID   string `json:"id"`
	Volume  int    `json:"volume"`
	Message string `json:"message"`
	Device  string `json:"device"`
	SyncID  string `json:"syncId"`
	Problem string `json:"problem,omitempty"`
	Write   bool   `json:"write"`
}

type mediumWait struct {
	prompt MediumPrompt
	answer chan bool
}

// mediumPrompts are the jobs of this window waiting for a medium.
type mediumPrompts struct {
	mu    sync.Mutex
	waits map[string]*mediumWait
}

func newMediumPrompts() *mediumPrompts { return &mediumPrompts{waits: map[string]*mediumWait{}} }

// askMedium is the mirror.Env.NextMedium of a job the window runs: it
// emits "job:medium" and waits for AnswerMedium or the job's end.
func (a *App) askMedium(ctx context.Context, jobID string, req mirror.MediumRequest) error {
	w := &mediumWait{
		prompt: MediumPrompt{JobID: jobID, Volume: req.Volume, Message: req.Message, Device: req.Device, SyncID: req.SyncID, Problem: req.Problem, Write: req.Write},
		answer: make(chan bool, 1),
	}
	a.media.mu.Lock()
	if _, busy := a.media.waits[jobID]; busy {
		a.media.mu.Unlock()
		return fmt.Errorf("job %s is already waiting for a medium", jobID)
	}
	a.media.waits[jobID] = w
	a.media.mu.Unlock()
	defer func() {
		a.media.mu.Lock()
		if a.media.waits[jobID] == w {
			delete(a.media.waits, jobID)
		}
		a.media.mu.Unlock()
	}()
	if a.emit != nil {
		a.emit("job:medium", w.prompt)
	}
	select {
	case ok := <-w.answer:
		if !ok {
			if a.sess != nil {
				_ = a.sess.Jobs.Cancel(jobID) // the job ends as cancelled, not failed
			}
			return mirror.ErrMediumCancelled
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// mediumAsker returns the NextMedium callback for job jobID.
func (a *App) mediumAsker(jobID string) func(context.Context, mirror.MediumRequest) error {
	return func(ctx context.Context, req mirror.MediumRequest) error { return a.askMedium(ctx, jobID, req) }
}

// AnswerMedium answers a job's request for the next medium: ok once the
// tape is loaded, false to cancel the job (volumes already written are kept
// and recorded). It fails when the job is not waiting for a medium.
func (a *App) AnswerMedium(jobID string, ok bool) error {
	a.media.mu.Lock()
	w := a.media.waits[jobID]
	if w != nil {
		delete(a.media.waits, jobID)
	}
	a.media.mu.Unlock()
	if w == nil {
		return fmt.Errorf("job %s is not waiting for a medium", jobID)
	}
	w.answer <- ok
	return nil
}

// PendingMedia lists the jobs waiting for a medium, so a page opened (or
// reloaded) while a job waits shows the request again.
func (a *App) PendingMedia() []MediumPrompt {
	a.media.mu.Lock()
	defer a.media.mu.Unlock()
	out := make([]MediumPrompt, 0, len(a.media.waits))
	for _, w := range a.media.waits {
		out = append(out, w.prompt)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].JobID < out[j].JobID })
	return out
}

// env is the mirror environment of a job the window runs: the job's
// recording plus the next-medium dialog.
func (a *App) env(cfg *config.Config, j *jobs.Job) mirror.Env {
	env := jobs.MirrorEnv(cfg, j)
	env.NextMedium = a.mediumAsker(j.ID())
	return env
}
