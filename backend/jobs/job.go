package jobs

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"ferry/backend/progress"
	"ferry/backend/store"
)

// Job is the handle a running operation uses to report what it does.
// All methods are safe for concurrent use.
type Job struct {
	m       *Manager
	id      string
	kind    string
	args    string
	started time.Time
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}

	mu           sync.Mutex
	state        string
	errText      string
	last         progress.Event
	lastEmit     time.Time
	lastStored   time.Time
	failures     int
	pendingLog   []store.LogLine
	pendingBlobs []store.Blob
}

// ID is the job's id, which is also its run id in the store.
func (j *Job) ID() string { return j.id }

// Context is cancelled when the job is cancelled.
func (j *Job) Context() context.Context { return j.ctx }

// Snapshot returns the job's current state.
func (j *Job) Snapshot() Snapshot {
	j.mu.Lock()
	defer j.mu.Unlock()
	return Snapshot{ID: j.id, Kind: j.kind, Args: j.args, State: j.state, Error: j.errText, StartedAt: j.started, Progress: j.last}
}

// Progress reports progress; it is a progress.Func.
func (j *Job) Progress(ev progress.Event) {
	j.mu.Lock()
	j.last = ev
	now := time.Now()
	emit := now.Sub(j.lastEmit) >= j.m.ProgressInterval
	if emit {
		j.lastEmit = now
	}
	persist := now.Sub(j.lastStored) >= time.Second
	if persist {
		j.lastStored = now
	}
	failures := j.failures
	j.mu.Unlock()
	if ev.Message != "" {
		j.Logf(logrus.InfoLevel, "%s", ev.Message)
	}
	if emit {
		j.m.emit(Event{Type: EventProgress, JobID: j.id, Kind: j.kind, Progress: &ev})
	}
	if persist {
		j.m.store.UpdateProgress(j.id, ev.BytesDone, ev.BytesTotal, ev.ItemsDone, ev.ItemsTotal, failures)
		j.flush()
	}
}

// Logf adds a line to the job's log, the application log and listeners.
func (j *Job) Logf(level logrus.Level, format string, args ...any) {
	j.log(level, fmt.Sprintf(format, args...), logrus.Fields{"job": j.id, "kind": j.kind})
}

func (j *Job) log(level logrus.Level, msg string, fields logrus.Fields) {
	if !j.m.log.IsLevelEnabled(level) {
		return // nor kept in history: debug and trace lines only when asked for
	}
	msg = Plain(msg)
	line := store.LogLine{Time: time.Now(), Level: level.String(), Message: msg}
	j.m.log.WithFields(fields).Log(level, msg)
	j.mu.Lock()
	j.pendingLog = append(j.pendingLog, line)
	j.mu.Unlock()
	j.m.emit(Event{Type: EventLog, JobID: j.id, Kind: j.kind, Log: &line})
}

// logOutcome records the job's final line. It is marked so that a terminal,
// which prints the error itself, does not print it twice.
func (j *Job) logOutcome(level logrus.Level, msg string) {
	j.log(level, msg, logrus.Fields{"job": j.id, "kind": j.kind, OutcomeField: true})
}

// OutcomeField marks the log entry that states how a job ended.
const OutcomeField = "outcome"

// Item records one image or destination outcome.
func (j *Job) Item(it store.Item) {
	it.Error = Plain(it.Error)
	if it.Status == "failed" {
		j.mu.Lock()
		j.failures++
		j.mu.Unlock()
	}
	if err := j.m.store.AddItem(j.id, it); err != nil {
		j.m.log.WithError(err).Warn("record item")
	}
}

// Blobs records blobs written or read (checkpoints); they are stored in
// batches, and always before the job's end is recorded.
func (j *Job) Blobs(bs ...store.Blob) {
	j.mu.Lock()
	j.pendingBlobs = append(j.pendingBlobs, bs...)
	n := len(j.pendingBlobs)
	j.mu.Unlock()
	if n >= 256 {
		j.flush()
	}
}

// Medium records a volume the job wrote or read.
func (j *Job) Medium(m store.Medium) {
	if err := j.m.store.AddMedium(j.id, m); err != nil {
		j.m.log.WithError(err).Warn("record medium")
	}
}

// flush writes pending log lines and blobs to the store.
func (j *Job) flush() {
	j.mu.Lock()
	logs, blobs := j.pendingLog, j.pendingBlobs
	j.pendingLog, j.pendingBlobs = nil, nil
	j.mu.Unlock()
	if err := j.m.store.RecordBlobs(j.id, blobs); err != nil {
		j.m.log.WithError(err).Error("record checkpoints")
	}
	if err := j.m.store.AppendLog(j.id, logs); err != nil {
		j.m.log.WithError(err).Warn("record log")
	}
}

func (j *Job) run(work Func) {
	defer j.m.wg.Done()
	defer close(j.done)
	err := j.protect(work)
	status := store.StatusSucceeded
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled) || j.ctx.Err() != nil:
		status = store.StatusCancelled
	default:
		status = store.StatusFailed
	}
	errText := ""
	switch {
	case status == store.StatusCancelled:
		// The operator's Cancel needs no reason: "cancelled", once.
		errText = status
		j.logOutcome(levelFor(status), status)
	case err != nil:
		errText = Plain(err.Error())
		j.logOutcome(levelFor(status), status+": "+errText)
	default:
		j.logOutcome(logrus.InfoLevel, status)
	}
	j.mu.Lock()
	j.state, j.errText = status, errText
	last, failures := j.last, j.failures
	j.mu.Unlock()
	j.flush()
	j.m.store.UpdateProgress(j.id, last.BytesDone, last.BytesTotal, last.ItemsDone, last.ItemsTotal, failures)
	if ferr := j.m.store.FinishRun(j.id, status, errText); ferr != nil {
		j.m.log.WithError(ferr).Error("record end of run")
	}
	j.cancel()
	j.m.emit(Event{Type: EventProgress, JobID: j.id, Kind: j.kind, Progress: &last})
	j.m.emit(Event{Type: EventState, JobID: j.id, Kind: j.kind, State: status, Error: errText})
}

// protect turns a panic in an operation into a failed job rather than a
// crashed window.
func (j *Job) protect(work Func) (err error) {
	defer func() {
		if r := recover(); r != nil {
			j.m.log.Errorf("job %s panicked: %v\n%s", j.id, r, debug.Stack())
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return work(j.ctx, j)
}

func levelFor(status string) logrus.Level {
	if status == store.StatusFailed {
		return logrus.ErrorLevel
	}
	return logrus.WarnLevel
}

// canceledWords are Go's words for a cancelled context, however an
// operation wrapped them ("pull x: context canceled"), and a cancellation
// said twice.
var canceledWords = regexp.MustCompile(`\bcontext canceled\b`)
var cancelledTwice = regexp.MustCompile(`\bcancelled(?::\s*cancelled)+\b`)

// Plain is an error or log text in the operator's words: Go's "context
// canceled" is the operator's Cancel, and "cancelled: cancelled" says it
// once. Every line a job logs and every error it records goes through it,
// so the terminal, the window and History read the same.
func Plain(text string) string {
	text = canceledWords.ReplaceAllString(text, "cancelled")
	return cancelledTwice.ReplaceAllString(text, "cancelled")
}
