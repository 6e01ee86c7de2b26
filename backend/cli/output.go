package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"ferry/backend/jobs"
)

// outputFlags are the reference tool's terminal flags, which every verb
// that runs a job takes.
type outputFlags struct {
	quiet  bool
	noTerm bool
	debug  string
}

func (g *globals) addOutputFlags(f *pflag.FlagSet) {
	f.BoolVarP(&g.output.quiet, "quiet", "q", false, "print no progress and no summary; errors still go to standard error")
	f.BoolVar(&g.output.noTerm, "no-term", false, "plain progress lines, never a progress bar, even on a terminal")
	f.StringVar(&g.output.debug, "debug", "", "write every event of the job (progress, log lines, state) to this file as JSON lines")
}

// eventLog writes a job's events to the --debug file, one JSON object a
// line with the time it was received.
type eventLog struct {
	mu  sync.Mutex
	f   *os.File
	w   *bufio.Writer
	err error
}

func openEventLog(path string) (*eventLog, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--debug: %w", err)
	}
	return &eventLog{f: f, w: bufio.NewWriter(f)}, nil
}

// handle is a jobs.Listener: it must not block, and a write error is kept
// for close to report rather than stopping the job.
func (l *eventLog) handle(e jobs.Event) {
	b, err := json.Marshal(struct {
		Time time.Time `json:"time"`
		jobs.Event
	}{time.Now().UTC(), e})
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil && l.err == nil {
		_, err = l.w.Write(append(b, '\n'))
	}
	if l.err == nil {
		l.err = err
	}
}

func (l *eventLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.err
	if ferr := l.w.Flush(); err == nil {
		err = ferr
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--debug %s: %w", l.f.Name(), err)
	}
	return nil
}

// progressWriter is where progress goes: nowhere with --quiet.
func (o outputFlags) progressWriter(stderr io.Writer) io.Writer {
	if o.quiet {
		return io.Discard
	}
	return stderr
}
