// Package session opens what one Ferry process works with: the database,
// the job manager and the application log. The CLI and the desktop app both
// start here, so a run looks the same in history whichever started it.
package session

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sirupsen/logrus"
	"gopkg.in/natefinch/lumberjack.v2"

	"ferry/backend/config"
	"ferry/backend/jobs"
	"ferry/backend/store"
)

// Paths are where Ferry keeps its data.
type Paths struct {
	DataDir string // $XDG_DATA_HOME/ferry
	DB      string // DataDir/ferry.db unless overridden
	Store   string // DataDir/store: the local OCI store for archive/unarchive
	LogFile string // DataDir/logs/ferry.log
}

// DefaultPaths follows the XDG base directory rules (config.DataDir);
// FERRY_DB overrides the database location (tests and side-by-side
// installs use it).
func DefaultPaths() Paths {
	dir := config.DataDir()
	p := Paths{
		DataDir: dir,
		DB:      filepath.Join(dir, "ferry.db"),
		Store:   filepath.Join(dir, "store"),
		LogFile: filepath.Join(dir, "logs", "ferry.log"),
	}
	if db := os.Getenv("FERRY_DB"); db != "" {
		p.DB = db
	}
	return p
}

// Session is an open Ferry process context.
type Session struct {
	Paths Paths
	Log   *logrus.Logger
	Store *store.Store
	Jobs  *jobs.Manager
	logf  io.Closer
}

// Options tune Open.
type Options struct {
	Paths    Paths
	LogLevel logrus.Level
	// Console receives log lines besides the rotating file (stderr for the
	// CLI); nil for none.
	Console io.Writer
}

// Open opens the database (migrating it) and the log, and returns a session
// ready to run jobs.
func Open(o Options) (*Session, error) {
	if o.Paths.DB == "" {
		o.Paths = DefaultPaths()
	}
	// The file always gets info and above; the console only what the
	// verbosity asks for.
	log := logrus.New()
	log.SetLevel(max(o.LogLevel, logrus.InfoLevel))
	log.SetOutput(io.Discard)
	var closer io.Closer
	if o.Paths.LogFile != "" {
		if err := os.MkdirAll(filepath.Dir(o.Paths.LogFile), 0o700); err == nil {
			lj := &lumberjack.Logger{Filename: o.Paths.LogFile, MaxSize: 20, MaxBackups: 5, Compress: true}
			log.SetOutput(lj)
			closer = lj
		}
	}
	if o.Console != nil {
		log.AddHook(&consoleHook{w: o.Console, level: o.LogLevel, fmt: &logrus.TextFormatter{DisableTimestamp: true}})
	}
	st, err := store.Open(o.Paths.DB)
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, fmt.Errorf("open history: %w", err)
	}
	return &Session{Paths: o.Paths, Log: log, Store: st, Jobs: jobs.NewManager(st, log), logf: closer}, nil
}

// Close cancels running jobs and closes the database and log.
func (s *Session) Close() error {
	s.Jobs.Shutdown(10e9)
	err := s.Store.Close()
	if s.logf != nil {
		s.logf.Close()
	}
	return err
}

// consoleHook copies log entries up to a level to the terminal.
type consoleHook struct {
	w     io.Writer
	level logrus.Level
	fmt   logrus.Formatter
}

func (h *consoleHook) Levels() []logrus.Level { return logrus.AllLevels[:h.level+1] }

func (h *consoleHook) Fire(e *logrus.Entry) error {
	if _, ok := e.Data[jobs.OutcomeField]; ok {
		return nil // the command prints how the job ended itself
	}
	b, err := h.fmt.Format(e)
	if err == nil {
		_, err = h.w.Write(b)
	}
	return err
}
