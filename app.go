package main

import (
	"encoding/json"
	"errors"
	"runtime"
	"time"

	"ferry/backend/config"
	"ferry/backend/jobs"
	"ferry/backend/session"
	"ferry/backend/store"
	"ferry/backend/version"
)

// EventSink delivers backend events to the frontend: Wails' runtime in the
// window, server-sent events in the browser.
type EventSink func(name string, data any)

// App is the struct bound to the frontend. It is a thin facade over backend/:
// every method returns quickly, long work starts a job and returns its id.
type App struct {
	sess    *session.Session
	emit    EventSink
	dialogs Dialogs // nil outside the desktop window
	media   *mediumPrompts
	unsub   func()
}

// NewApp returns an App over an open session, delivering events to emit.
func NewApp(sess *session.Session, emit EventSink) *App {
	a := &App{sess: sess, emit: emit, media: newMediumPrompts()}
	if sess != nil && emit != nil {
		a.unsub = sess.Jobs.Subscribe(a.forward)
	}
	return a
}

// forward turns job events into the named frontend events.
func (a *App) forward(e jobs.Event) {
	switch e.Type {
	case jobs.EventProgress:
		a.emit("job:progress", map[string]any{"id": e.JobID, "kind": e.Kind, "progress": e.Progress})
	case jobs.EventLog:
		a.emit("job:log", map[string]any{"id": e.JobID, "time": e.Log.Time, "level": e.Log.Level, "message": e.Log.Message})
	case jobs.EventState:
		a.emit("job:state", map[string]any{"id": e.JobID, "kind": e.Kind, "state": e.State, "error": e.Error})
	}
}

// shutdown stops forwarding and cancels running jobs.
func (a *App) shutdown() {
	a.detach()
	if a.sess != nil {
		a.sess.Close()
	}
}

// Version is Ferry's version string.
func (a *App) Version() string { return version.Version }

// Capabilities tells the frontend what this build and host offer.
type Capabilities struct {
	DemoJobs bool   `json:"demoJobs"`
	OS       string `json:"os"`
}

// Capabilities reports optional features.
func (a *App) Capabilities() Capabilities {
	return Capabilities{DemoJobs: demoWork != nil, OS: runtime.GOOS}
}

// Preferences are the operator's choices kept in the database.
type Preferences struct {
	Theme       string `json:"theme"` // system, light, dark
	BlockSize   string `json:"blockSize"`
	BufferSize  string `json:"bufferSize"`
	Concurrency int    `json:"concurrency"`
	DataDir     string `json:"dataDir"`
	StoreDir    string `json:"storeDir"`
}

const preferencesKey = "preferences"

// defaultPreferences take the transfer defaults from the configuration's
// ferry section, so the window and the CLI start from the same values.
func (a *App) defaultPreferences() Preferences {
	p := Preferences{Theme: "system", BlockSize: "1Mi", BufferSize: "256Mi", Concurrency: 4,
		DataDir: a.sess.Paths.DataDir, StoreDir: a.sess.Paths.Store}
	if cfg, err := config.Load(nil); err == nil {
		p.BlockSize, p.BufferSize, p.Concurrency = cfg.Ferry.BlockSize.String(), cfg.Ferry.BufferSize.String(), cfg.Ferry.Concurrency
	}
	return p
}

// GetPreferences returns the saved preferences, defaults filled in.
func (a *App) GetPreferences() (Preferences, error) {
	p := a.defaultPreferences()
	raw, ok, err := a.sess.Store.Preference(preferencesKey)
	if err != nil || !ok {
		return p, err
	}
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return a.defaultPreferences(), nil
	}
	return p, nil
}

// SavePreferences validates and stores preferences.
func (a *App) SavePreferences(p Preferences) error {
	switch p.Theme {
	case "system", "light", "dark":
	default:
		return errors.New("theme must be system, light or dark")
	}
	if p.Concurrency < 1 || p.Concurrency > 64 {
		return errors.New("concurrency must be between 1 and 64")
	}
	b, _ := json.Marshal(p)
	return a.sess.Store.SetPreference(preferencesKey, string(b))
}

// CancelJob cancels a running job.
func (a *App) CancelJob(id string) error { return a.sess.Jobs.Cancel(id) }

// ActiveJobs lists the jobs of this process, newest first.
func (a *App) ActiveJobs() []jobs.Snapshot { return a.sess.Jobs.Active() }

// ListRuns lists recorded runs (from the GUI or the CLI), newest first.
func (a *App) ListRuns(f store.RunFilter) ([]store.Run, error) { return a.sess.Store.ListRuns(f) }

// GetRun returns one run with items, media and checkpoints.
func (a *App) GetRun(id string) (store.RunDetail, error) { return a.sess.Store.GetRunDetail(id) }

// RunLog returns a run's log lines.
func (a *App) RunLog(id string) ([]store.LogLine, error) { return a.sess.Store.Log(id) }

// demoWork is set only in builds with the "demo" tag (tests use it).
var demoWork func(steps int, step time.Duration) jobs.Func

// StartDemo starts a job that only sleeps in steps; test builds only.
func (a *App) StartDemo(steps, stepMillis int) (string, error) {
	if demoWork == nil {
		return "", errors.New("demo jobs exist only in test builds")
	}
	if steps < 1 || steps > 10000 || stepMillis < 0 {
		return "", errors.New("demo: steps must be 1..10000 and stepMillis >= 0")
	}
	return a.sess.Jobs.Start(jobs.Spec{Kind: "demo", Args: "demo", Options: map[string]int{"steps": steps, "stepMillis": stepMillis},
		Run: demoWork(steps, time.Duration(stepMillis)*time.Millisecond)})
}

// detach stops forwarding events; the session stays open for its owner.
func (a *App) detach() {
	if a.unsub != nil {
		a.unsub()
		a.unsub = nil
	}
}
