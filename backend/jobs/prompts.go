package jobs

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"ferry/backend/mirror"
)

// A multi-volume transfer on tape stops when a tape is full (or, reading,
// when a volume ends) and asks for the next cartridge. In the window the job
// emits "job:medium" (a MediumPrompt) and waits; the operator loads the tape
// and answers true, or false to cancel the job. Cancelling keeps every
// volume already complete; the run's history records them.

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

// MediumPrompts are the jobs of one front end waiting for a medium.
type MediumPrompts struct {
	emit   func(MediumPrompt)       // announces a prompt; nil for none
	cancel func(jobID string) error // ends a job the operator stopped

	mu    sync.Mutex
	waits map[string]*mediumWait
}

// NewMediumPrompts announces each prompt with emit and cancels, through
// cancel, a job whose operator answered no.
func NewMediumPrompts(emit func(MediumPrompt), cancel func(jobID string) error) *MediumPrompts {
	return &MediumPrompts{emit: emit, cancel: cancel, waits: map[string]*mediumWait{}}
}

// Ask is a job's mirror.Env.NextMedium: it announces the prompt and waits
// for Answer or the job's end.
func (p *MediumPrompts) Ask(ctx context.Context, jobID string, req mirror.MediumRequest) error {
	w := &mediumWait{
		prompt: MediumPrompt{JobID: jobID, Volume: req.Volume, Message: req.Message, Device: req.Device, SyncID: req.SyncID, Problem: req.Problem, Write: req.Write},
		answer: make(chan bool, 1),
	}
	p.mu.Lock()
	if _, busy := p.waits[jobID]; busy {
		p.mu.Unlock()
		return fmt.Errorf("job %s is already waiting for a medium", jobID)
	}
	p.waits[jobID] = w
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		if p.waits[jobID] == w {
			delete(p.waits, jobID)
		}
		p.mu.Unlock()
	}()
	if p.emit != nil {
		p.emit(w.prompt)
	}
	select {
	case ok := <-w.answer:
		if !ok {
			if p.cancel != nil {
				_ = p.cancel(jobID) // the job ends as cancelled, not failed
			}
			return mirror.ErrMediumCancelled
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Asker returns the NextMedium callback of job jobID.
func (p *MediumPrompts) Asker(jobID string) func(context.Context, mirror.MediumRequest) error {
	return func(ctx context.Context, req mirror.MediumRequest) error { return p.Ask(ctx, jobID, req) }
}

// Answer answers a job's request for the next medium: ok once the tape is
// loaded, false to cancel the job. It fails when the job is not waiting.
func (p *MediumPrompts) Answer(jobID string, ok bool) error {
	p.mu.Lock()
	w := p.waits[jobID]
	if w != nil {
		delete(p.waits, jobID)
	}
	p.mu.Unlock()
	if w == nil {
		return fmt.Errorf("job %s is not waiting for a medium", jobID)
	}
	w.answer <- ok
	return nil
}

// Pending lists the jobs waiting for a medium, so a page opened (or
// reloaded) while a job waits shows the request again.
func (p *MediumPrompts) Pending() []MediumPrompt {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]MediumPrompt, 0, len(p.waits))
	for _, w := range p.waits {
		out = append(out, w.prompt)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].JobID < out[j].JobID })
	return out
}
