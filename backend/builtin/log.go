package builtin

import (
	"io"
	"log"
	"sync"

	"github.com/sirupsen/logrus"
)

// Distribution logs through logrus's standard logger (its context logger
// cannot be set from outside its module), so that logger is pointed at
// Ferry's: nothing is printed by it directly, and each entry is forwarded.
var logMu sync.Mutex

func routeLogs(to *logrus.Logger) {
	logMu.Lock()
	defer logMu.Unlock()
	std := logrus.StandardLogger()
	std.SetOutput(io.Discard)
	hooks := logrus.LevelHooks{}
	if to == nil {
		std.SetLevel(logrus.ErrorLevel)
	} else {
		std.SetLevel(to.GetLevel())
		hooks.Add(forward{to})
	}
	std.ReplaceHooks(hooks)
}

// forward re-logs an entry on Ferry's logger. Distribution's per-request
// lines (one for every request, at error for any 4xx such as the 404 of a
// client asking whether a blob is there) and its info lines go at debug, so
// that they neither fill Ferry's log nor alarm the operator; the client sees
// the answer anyway.
type forward struct{ to *logrus.Logger }

func (forward) Levels() []logrus.Level { return logrus.AllLevels }

func (f forward) Fire(e *logrus.Entry) error {
	level := e.Level
	if _, perRequest := e.Data["http.request.method"]; perRequest || level >= logrus.InfoLevel {
		level = max(level, logrus.DebugLevel)
	}
	// Fatal and panic would end the process from the hook: Distribution
	// does its own exiting.
	if level < logrus.ErrorLevel {
		level = logrus.ErrorLevel
	}
	f.to.WithFields(e.Data).WithField("component", "registry").Log(level, e.Message)
	return nil
}

// discardLog silences net/http's own server messages (such as TLS
// handshake errors from clients that try HTTPS first on loopback).
func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
