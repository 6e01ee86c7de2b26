package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"time"

	"ferry/backend/builtin"
	"ferry/backend/config"
	"ferry/backend/jobs"
	"ferry/backend/mirror"
	"ferry/backend/ops"
	"ferry/backend/practice"
	"ferry/backend/receipt"
	"ferry/backend/registry"
	"ferry/backend/report"
	"ferry/backend/session"
	"ferry/backend/store"
	"ferry/backend/tape"
	"ferry/backend/textfile"
	"ferry/backend/version"
)

// EventSink delivers backend events to the frontend: Wails' runtime in the
// window, server-sent events in the browser.
type EventSink func(name string, data any)

// App is the struct bound to the frontend, a facade over backend/: each
// method delegates to the package that owns the work, returns quickly, and
// starts a job (returning its id) for anything long.
type App struct {
	sess    *session.Session
	emit    EventSink
	dialogs Dialogs // nil outside the desktop window
	media   *jobs.MediumPrompts
	meters  *tape.Meters     // the Drives page's throughput, one meter per drive
	builtin *builtin.Service // nil without a session
	unsub   func()
}

// The types the frontend knows by these names are the owning packages'
// types, declared here so the generated bindings keep their names.
type (
	TransferRequest  ops.Request
	TransferPlan     ops.Plan
	RunActions       ops.Actions
	RunAction        ops.Action
	PreviewRequest   ops.PreviewRequest
	PreviewResponse  ops.PreviewResponse
	SourcesCheck     ops.SourcesCheck
	MediumPrompt     jobs.MediumPrompt
	Preferences      session.Preferences
	RunReport        store.Report
	ConfigView       config.View
	ConfigProblem    config.Problem
	RegistrySettings config.RegistrySettings
	RegistryCheck    registry.Check
	BuiltinStatus    builtin.Status
	PracticeSet      practice.Set
	ReceiptSite      receipt.SiteSummary
)

// NewApp returns an App over an open session, delivering events to emit.
func NewApp(sess *session.Session, emit EventSink) *App {
	a := &App{sess: sess, emit: emit, meters: tape.DrivesFromEnv().Meters(tape.WithSpan(250 * time.Millisecond))}
	a.media = jobs.NewMediumPrompts(func(p jobs.MediumPrompt) {
		if a.emit != nil {
			a.emit("job:medium", MediumPrompt(p))
		}
	}, func(id string) error {
		if a.sess == nil {
			return nil
		}
		return a.sess.Jobs.Cancel(id)
	})
	if sess != nil {
		a.builtin = builtin.NewService(filepath.Join(sess.Paths.DataDir, "registry"), sess.Log)
	}
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

// shutdown stops forwarding, cancels running jobs and stops the built-in
// registry if this process serves it.
func (a *App) shutdown() {
	a.detach()
	if a.sess != nil {
		a.sess.Close()
	}
	if a.builtin != nil {
		if err := a.builtin.Stop(); err != nil && a.sess != nil {
			a.sess.Log.Warnf("built-in registry: %v", err)
		}
	}
}

// detach stops forwarding events; the session stays open for its owner.
func (a *App) detach() {
	if a.unsub != nil {
		a.unsub()
		a.unsub = nil
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

// GetPreferences returns the saved preferences, defaults filled in.
func (a *App) GetPreferences() (Preferences, error) {
	p, err := a.sess.Preferences()
	return Preferences(p), err
}

// SavePreferences validates and stores preferences.
func (a *App) SavePreferences(p Preferences) error {
	return a.sess.SavePreferences(session.Preferences(p))
}

// --- Operations (backend/ops) ---

// runtime is what the window's jobs run with: the configuration, history,
// the store directory of the preferences and the next-medium dialog.
func (a *App) runtime() (ops.Runtime, error) {
	cfg, err := config.Load(nil)
	if err != nil {
		return ops.Runtime{}, err
	}
	prefs, _ := a.sess.Preferences()
	return ops.Runtime{Config: cfg, Store: a.sess.Store, DataDir: a.sess.Paths.DataDir, StoreDir: prefs.StoreDir,
		Env: func(j *jobs.Job, env mirror.Env) mirror.Env {
			env.NextMedium = a.media.Asker(j.ID())
			return env
		}}, nil
}

// request is the operation the form asks for: only the fields its kind
// takes (the form keeps sizes for every operation), and the store
// directory of the preferences when it is not the default.
func (a *App) request(req TransferRequest) ops.Request {
	r := ops.Request(req).Trim()
	if prefs, err := a.sess.Preferences(); err == nil && prefs.StoreDir != a.sess.Paths.Store && r.StoreDir == "" {
		r.StoreDir = prefs.StoreDir
		r = r.Trim()
	}
	return r
}

// start builds a request's job and starts it.
func (a *App) start(req ops.Request) (string, error) {
	rt, err := a.runtime()
	if err != nil {
		return "", err
	}
	spec, err := ops.Build(req, rt)
	if err != nil {
		return "", err
	}
	return a.sess.Jobs.Start(spec)
}

// StartTransfer validates the request and starts its job; it returns the
// job id at once. Progress arrives as job:progress events.
func (a *App) StartTransfer(req TransferRequest) (string, error) { return a.start(a.request(req)) }

// CommandLine is the command that runs the request in a terminal, as
// history will show it once started.
func (a *App) CommandLine(req TransferRequest) string {
	return ops.Shell(ops.CommandLine(ops.Kept(a.sess.Paths.DataDir, a.request(req))))
}

// TransferFields lists, for every mirror operation, the request fields
// (JSON keys) it takes: the form shows only those options.
func (a *App) TransferFields() map[string][]string {
	out := map[string][]string{}
	for _, k := range ops.Kinds() {
		if k.Mirror() {
			out[string(k)] = ops.Keys(k)
		}
	}
	return out
}

// PlanTransfer looks at the request's inputs without copying anything.
func (a *App) PlanTransfer(req TransferRequest) (TransferPlan, error) {
	cfg, err := config.Load(nil)
	if err != nil {
		return TransferPlan{FreeBytes: -1, Warnings: []string{}}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := ops.PlanFor(ctx, jobs.MirrorEnv(cfg, nil), a.request(req), ops.Runtime{Store: a.sess.Store, DataDir: a.sess.Paths.DataDir})
	return TransferPlan(p), err
}

// ReceiptSites lists the sites whose receipts this side keeps, for the
// Serialize form's "only what SITE lacks".
func (a *App) ReceiptSites() ([]ReceiptSite, error) {
	sites, err := receipt.OpenBook(receipt.BookDir(a.sess.Paths.DataDir)).Sites()
	out := make([]ReceiptSite, len(sites))
	for i, s := range sites {
		out[i] = ReceiptSite(s)
	}
	return out, err
}

// ImportReceipt checks the receipt at path (and path.minisig) and keeps it
// (`ferry receipt import`); it returns what was imported.
func (a *App) ImportReceipt(path string) (string, error) {
	data, sig, err := receipt.ReadSigned(path)
	if err != nil {
		return "", err
	}
	r, err := receipt.OpenBook(receipt.BookDir(a.sess.Paths.DataDir)).Import(data, sig)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return r.Describe(), nil
}

// RunActions tells which follow-ups apply to run id.
func (a *App) RunActions(id string) (RunActions, error) {
	act, err := ops.RunActions(a.sess.Store, id)
	return RunActions(act), err
}

// ResumeRun continues an interrupted, failed or cancelled run (`ferry resume`).
func (a *App) ResumeRun(id string) (string, error) {
	return a.start(ops.Request{Kind: ops.Resume, Run: id})
}

// RerunFailed runs again only the images run id failed (`ferry rerun`).
func (a *App) RerunFailed(id string) (string, error) {
	return a.start(ops.Request{Kind: ops.Rerun, Run: id})
}

// PreviewMapping shows where every source would land under the rules.
func (a *App) PreviewMapping(req PreviewRequest) (PreviewResponse, error) {
	cfg, err := config.Load(nil)
	if err != nil && req.IndexRef != "" {
		return PreviewResponse{}, err
	}
	if cfg == nil {
		cfg = config.Default()
	}
	resp, err := ops.PreviewMapping(jobs.MirrorEnv(cfg, nil), ops.PreviewRequest(req))
	return PreviewResponse(resp), err
}

// CheckSources validates sources text as the operator types.
func (a *App) CheckSources(text string) SourcesCheck { return SourcesCheck(ops.CheckSources(text)) }

// InspectSources resolves every valid reference of the text against its
// registry without copying anything.
func (a *App) InspectSources(text string) ([]mirror.Inspection, error) {
	cfg, err := config.Load(nil)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return ops.InspectSources(ctx, jobs.MirrorEnv(cfg, nil), text), nil
}

// --- Jobs and media (backend/jobs) ---

// CancelJob cancels a running job.
func (a *App) CancelJob(id string) error { return a.sess.Jobs.Cancel(id) }

// ActiveJobs lists the jobs of this process, newest first.
func (a *App) ActiveJobs() []jobs.Snapshot { return a.sess.Jobs.Active() }

// AnswerMedium answers a job's request for the next medium: ok once the
// tape is loaded, false to cancel the job (volumes already written are kept).
func (a *App) AnswerMedium(jobID string, ok bool) error { return a.media.Answer(jobID, ok) }

// PendingMedia lists the jobs waiting for a medium.
func (a *App) PendingMedia() []MediumPrompt {
	out := []MediumPrompt{}
	for _, p := range a.media.Pending() {
		out = append(out, MediumPrompt(p))
	}
	return out
}

// --- History and documents (backend/store) ---

// ListRuns lists recorded runs (from the GUI or the CLI), newest first.
func (a *App) ListRuns(f store.RunFilter) ([]store.Run, error) { return a.sess.Store.ListRuns(f) }

// GetRun returns one run with items, media and checkpoints.
func (a *App) GetRun(id string) (store.RunDetail, error) { return a.sess.Store.GetRunDetail(id) }

// TransferStory returns every run of the transfer run id belongs to
// (gather, serialize, the media, deserialize, scatter), from either side.
func (a *App) TransferStory(id string) (store.Story, error) { return a.sess.Store.Story(id) }

// RunLog returns a run's log lines.
func (a *App) RunLog(id string) ([]store.LogLine, error) { return a.sess.Store.Log(id) }

// ExportRun renders a run as JSON (everything) or CSV (one row per item).
func (a *App) ExportRun(id, format string) (RunReport, error) {
	r, err := a.sess.Store.ExportRun(id, format)
	return RunReport(r), err
}

// PrintableReport renders a run as a printable HTML transfer report.
func (a *App) PrintableReport(id string) (RunReport, error) {
	t, err := report.Collect(a.sess.Store, id)
	if err != nil {
		return RunReport{}, err
	}
	html, err := t.HTML()
	return RunReport{Format: "html", Name: t.Name("html"), Content: html}, err
}

// SaveDraft keeps the current content of an editor under a name.
func (a *App) SaveDraft(name, content string) error { return a.sess.Store.SaveDraft(name, content) }

// Draft returns the content last kept under a name, "" when there is none.
func (a *App) Draft(name string) (string, error) { return a.sess.Store.Draft(name) }

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

// --- Configuration (backend/config) ---

// GetConfig returns the configuration file in effect, or the sample.
func (a *App) GetConfig() (ConfigView, error) {
	v, err := config.Current()
	return ConfigView(v), err
}

// ValidateConfig checks configuration text as the operator types.
func (a *App) ValidateConfig(text string) []ConfigProblem {
	out := []ConfigProblem{}
	for _, p := range config.Problems(text) {
		out = append(out, ConfigProblem(p))
	}
	return out
}

// SaveConfig validates and writes the configuration file atomically.
func (a *App) SaveConfig(text string) error {
	v, err := config.Current()
	if err != nil {
		return err
	}
	return config.Save(v.Path, text)
}

// --- Registries (backend/config, backend/registry) ---

// ListRegistries lists the registries of the configuration in effect, the
// built-in one included.
func (a *App) ListRegistries() ([]RegistrySettings, error) {
	cfg, err := config.Load(nil)
	if err != nil {
		return nil, err
	}
	var out []RegistrySettings
	for _, r := range cfg.Registries() {
		out = append(out, RegistrySettings(r))
	}
	return out, nil
}

// SaveRegistry writes one registry's settings into the configuration file
// (created from the sample when there is none), keeping the rest of it.
func (a *App) SaveRegistry(r RegistrySettings) error {
	v, err := config.Current()
	if err != nil {
		return err
	}
	return config.SaveRegistry(v.Path, config.RegistrySettings(r))
}

// RemoveRegistry deletes one registry's settings from the configuration file.
func (a *App) RemoveRegistry(host string) error {
	v, err := config.Current()
	if err != nil {
		return err
	}
	return config.RemoveRegistry(v.Path, host)
}

// TestRegistry reaches /v2/ at every endpoint of host: does it answer,
// does TLS verify, do the stored credentials work.
func (a *App) TestRegistry(host string) (RegistryCheck, error) {
	cfg, err := config.Load(nil)
	if err != nil {
		return RegistryCheck{}, err
	}
	chk, err := registry.New(cfg).Check(context.Background(), host)
	return RegistryCheck(chk), err
}

// RegistryLogin checks credentials against host and stores them through
// the docker configuration, never in Ferry's files.
func (a *App) RegistryLogin(host, user, password string) (RegistryCheck, error) {
	cfg, err := config.Load(nil)
	if err != nil {
		return RegistryCheck{}, err
	}
	chk, err := registry.New(cfg).Login(context.Background(), host, user, password)
	return RegistryCheck(chk), err
}

// RegistryLogout removes host's credentials from the docker configuration.
func (a *App) RegistryLogout(host string) error {
	return registry.Logout(host)
}

// --- Files ---

// Dialogs are the native file choosers; only the desktop window has them.
type Dialogs interface {
	OpenFile(title string) (string, error)
	SaveFile(title, defaultName string) (string, error)
}

// errNoDialogs tells the page to offer a typed path instead.
var errNoDialogs = errors.New("file dialogs are only available in the desktop window; type the path instead")

// ChooseOpenFile asks the operator for a file to open; "" when cancelled.
func (a *App) ChooseOpenFile(title string) (string, error) {
	if a.dialogs == nil {
		return "", errNoDialogs
	}
	return a.dialogs.OpenFile(title)
}

// ChooseSaveFile asks the operator where to save; "" when cancelled.
func (a *App) ChooseSaveFile(title, defaultName string) (string, error) {
	if a.dialogs == nil {
		return "", errNoDialogs
	}
	return a.dialogs.SaveFile(title, defaultName)
}

// ReadTextFile returns a text file's content for the editors: only
// regular files, up to textfile.Limit, as clean text.
func (a *App) ReadTextFile(path string) (string, error) {
	b, err := textfile.Read(path, textfile.Limit)
	if err != nil {
		return "", err
	}
	text, err := textfile.Clean(string(b))
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return text, nil
}

// WriteTextFile saves editor content atomically, so a failed save never
// leaves half a file.
func (a *App) WriteTextFile(path, content string) error {
	return config.WriteFile(path, []byte(content), 0o644)
}

// --- Drives (backend/tape) ---

// ListDrives lists the tape drives with each one's status, or why it could
// not be read. No drives is an empty list; DrivesHint explains why.
// Discovery reads /sys/class/scsi_tape and /dev unless FERRY_SYSFS_ROOT
// and FERRY_DEV_DIR point elsewhere.
func (a *App) ListDrives() ([]tape.DriveInfo, error) { return tape.DrivesFromEnv().List() }

// DrivesHint explains an empty drive list.
func (a *App) DrivesHint() string { return tape.DrivesFromEnv().NoDrivesHint() }

// DriveStatus reads one drive's status without waiting for a tape. dev is a
// node name ("nst0") or a path; a rewinding node (stN) is refused.
func (a *App) DriveStatus(dev string) (tape.Status, error) {
	d := tape.DrivesFromEnv()
	path, err := d.Resolve(dev, false)
	if err != nil {
		return tape.Status{}, err
	}
	return d.Status(path)
}

// RewindDrive rewinds the tape; it returns when the drive has finished.
func (a *App) RewindDrive(dev string) error { return controlDrive(dev, tape.Drives.Rewind) }

// EjectDrive rewinds and unloads the tape; it returns when the drive has finished.
func (a *App) EjectDrive(dev string) error { return controlDrive(dev, tape.Drives.Eject) }

func controlDrive(dev string, op func(tape.Drives, string) (tape.Status, error)) error {
	d := tape.DrivesFromEnv()
	path, err := d.Resolve(dev, false)
	if err != nil {
		return err
	}
	_, err = op(d, path)
	return err
}

// DriveThroughput reports a drive's rates since the previous call (the
// page polls it); the first call only starts measuring.
func (a *App) DriveThroughput(dev string) (tape.Rate, error) {
	return a.meters.Sample(dev)
}

// --- Test builds ---

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

// BuiltinRegistryStatus reports the built-in registry: whether it runs, its
// address, its size on disk and its repositories.
func (a *App) BuiltinRegistryStatus() (BuiltinStatus, error) {
	st, err := a.builtin.Status(context.Background())
	return BuiltinStatus(st), err
}

// StartBuiltinRegistry serves the built-in registry on 127.0.0.1:5000, or
// $FERRY_BUILTIN_REGISTRY (plain HTTP, loopback only), until
// StopBuiltinRegistry or the end of the process; its content stays on disk.
func (a *App) StartBuiltinRegistry() (BuiltinStatus, error) {
	if err := a.builtin.Start(); err != nil {
		return BuiltinStatus{}, err
	}
	return a.BuiltinRegistryStatus()
}

// StopBuiltinRegistry stops the built-in registry this process serves.
func (a *App) StopBuiltinRegistry() (BuiltinStatus, error) {
	if err := a.builtin.Stop(); err != nil {
		return BuiltinStatus{}, err
	}
	return a.BuiltinRegistryStatus()
}

// StartPractice sets up the practice transfer: the built-in registry
// (started unless a registry already answers at its address), the practice
// images on its low side, and the sources list and mapping rules in the data
// directory. The window fills its forms from the answer.
func (a *App) StartPractice() (PracticeSet, error) {
	ctx := context.Background()
	if err := a.builtin.EnsureAnswering(ctx); err != nil {
		return PracticeSet{}, err
	}
	s, err := practice.Push(ctx, config.BuiltinRegistryAddress(), filepath.Join(a.sess.Paths.DataDir, "practice"))
	if err != nil {
		return PracticeSet{}, err
	}
	return PracticeSet(*s), nil
}
