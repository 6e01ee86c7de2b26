// Package jobs runs Ferry's operations: each job gets an id at once, reports
// typed progress and log events to listeners (the GUI, the terminal), can be
// cancelled by id, and is recorded in the store from start to end, so the
// history is the same whichever front end started it.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/sirupsen/logrus"

	"ferry/backend/progress"
	"ferry/backend/store"
)

// Func is the work of one job. It must return promptly once ctx is done.
type Func func(ctx context.Context, j *Job) error

// Spec describes a job to start.
type Spec struct {
	Kind        string // operation name: gather, serialize, ...
	Args        string // the equivalent command line, shown in history
	Options     any    // the operation's options, stored as JSON for resume and re-run
	ResumedFrom string // the run this one continues, if any
	Run         Func
}

// Snapshot is a job's state at one moment.
type Snapshot struct {
	ID        string         `json:"id"`
	Kind      string         `json:"kind"`
	Args      string         `json:"args"`
	State     string         `json:"state"`
	Error     string         `json:"error"`
	StartedAt time.Time      `json:"startedAt"`
	Progress  progress.Event `json:"progress"`
}

// Event types delivered to listeners.
const (
	EventProgress = "progress"
	EventLog      = "log"
	EventState    = "state"
)

// Event is what listeners receive. Progress events are rate-limited per job;
// state events are never dropped.
type Event struct {
	Type     string          `json:"type"`
	JobID    string          `json:"id"`
	Kind     string          `json:"kind"`
	Progress *progress.Event `json:"progress,omitempty"`
	Log      *store.LogLine  `json:"log,omitempty"`
	State    string          `json:"state,omitempty"`
	Error    string          `json:"error,omitempty"`
}

// Listener receives events; it is called from job goroutines and must not block.
type Listener func(Event)

// Manager starts and tracks jobs.
type Manager struct {
	store *store.Store
	log   *logrus.Logger

	// ProgressInterval limits how often progress events reach listeners.
	ProgressInterval time.Duration

	mu        sync.Mutex
	jobs      map[string]*Job
	listeners map[int]Listener
	nextL     int
	wg        sync.WaitGroup
}

// NewManager returns a manager recording into st and logging to log.
func NewManager(st *store.Store, log *logrus.Logger) *Manager {
	if log == nil {
		log = logrus.StandardLogger()
	}
	return &Manager{
		store: st, log: log,
		ProgressInterval: 100 * time.Millisecond,
		jobs:             map[string]*Job{},
		listeners:        map[int]Listener{},
	}
}

// Store is the database jobs record into.
func (m *Manager) Store() *store.Store { return m.store }

// Subscribe adds a listener and returns a function that removes it.
func (m *Manager) Subscribe(l Listener) (unsubscribe func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := m.nextL
	m.nextL++
	m.listeners[id] = l
	return func() {
		m.mu.Lock()
		delete(m.listeners, id)
		m.mu.Unlock()
	}
}

func (m *Manager) emit(e Event) {
	m.mu.Lock()
	ls := make([]Listener, 0, len(m.listeners))
	for _, l := range m.listeners {
		ls = append(ls, l)
	}
	m.mu.Unlock()
	for _, l := range ls {
		l(e)
	}
}

// Start records a new run and starts it in the background; it returns the
// job id at once.
func (m *Manager) Start(spec Spec) (string, error) {
	if spec.Run == nil || spec.Kind == "" {
		return "", errors.New("start job: kind and work are required")
	}
	opts := "{}"
	if spec.Options != nil {
		b, err := json.Marshal(spec.Options)
		if err != nil {
			return "", fmt.Errorf("start %s: options: %w", spec.Kind, err)
		}
		opts = string(b)
	}
	id := uuid.NewString()
	if err := m.store.CreateRun(store.Run{ID: id, Kind: spec.Kind, Args: spec.Args, Options: opts, ResumedFrom: spec.ResumedFrom}); err != nil {
		return "", err
	}
	ctx, cancel := context.WithCancel(context.Background())
	j := &Job{
		m: m, id: id, kind: spec.Kind, args: spec.Args, started: time.Now(),
		ctx: ctx, cancel: cancel, done: make(chan struct{}), state: store.StatusRunning,
	}
	m.mu.Lock()
	m.pruneLocked()
	m.jobs[id] = j
	m.mu.Unlock()
	m.wg.Add(1)
	m.emit(Event{Type: EventState, JobID: id, Kind: spec.Kind, State: store.StatusRunning})
	go j.run(spec.Run)
	return id, nil
}

// keepFinished is how many finished jobs stay in memory for Active and
// Wait; older ones live on in the store only.
const keepFinished = 50

// pruneLocked forgets the oldest finished jobs beyond keepFinished, so a
// window left open for weeks does not grow without bound.
func (m *Manager) pruneLocked() {
	var finished []*Job
	for _, j := range m.jobs {
		select {
		case <-j.done:
			finished = append(finished, j)
		default:
		}
	}
	if len(finished) <= keepFinished {
		return
	}
	sort.Slice(finished, func(a, b int) bool { return finished[a].started.Before(finished[b].started) })
	for _, j := range finished[:len(finished)-keepFinished] {
		delete(m.jobs, j.id)
	}
}

// Cancel asks a running job to stop. Cancelling a finished job is not an error.
func (m *Manager) Cancel(id string) error {
	m.mu.Lock()
	j, ok := m.jobs[id]
	m.mu.Unlock()
	if !ok {
		if _, err := m.store.GetRun(id); err != nil {
			return fmt.Errorf("cancel: no job %s", id)
		}
		return nil
	}
	if j.Snapshot().State == store.StatusRunning {
		j.Logf(logrus.WarnLevel, "cancel requested")
		j.cancel()
	}
	return nil
}

// Wait blocks until the job ends (or ctx is done) and returns its final snapshot.
func (m *Manager) Wait(ctx context.Context, id string) (Snapshot, error) {
	m.mu.Lock()
	j, ok := m.jobs[id]
	m.mu.Unlock()
	if !ok {
		return Snapshot{}, fmt.Errorf("no job %s in this process", id)
	}
	select {
	case <-j.done:
		return j.Snapshot(), nil
	case <-ctx.Done():
		return j.Snapshot(), ctx.Err()
	}
}

// Active lists the jobs this process is running or has run, newest first.
func (m *Manager) Active() []Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Snapshot, 0, len(m.jobs))
	for _, j := range m.jobs {
		out = append(out, j.Snapshot())
	}
	sort.Slice(out, func(a, b int) bool { return out[a].StartedAt.After(out[b].StartedAt) })
	return out
}

// Shutdown cancels every running job and waits for them to be recorded.
func (m *Manager) Shutdown(timeout time.Duration) {
	m.mu.Lock()
	for _, j := range m.jobs {
		j.cancel()
	}
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		m.log.Warn("jobs still running at shutdown; they will show as interrupted")
	}
}
