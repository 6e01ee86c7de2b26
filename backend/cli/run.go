package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"ferry/backend/jobs"
	"ferry/backend/progress"
	"ferry/backend/session"
	"ferry/backend/store"
)

// cancelGrace is how long a cancelled job may take to record its end.
const cancelGrace = 30 * time.Second

// runJob runs one operation as a job in a new session: it records history,
// shows progress on stderr (a bar on a terminal, plain lines when piped) and
// cancels the job on Ctrl-C.
func (g *globals) runJob(cmd *cobra.Command, build func(*session.Session) (jobs.Spec, error)) (rerr error) {
	sess, err := g.openSession()
	if err != nil {
		return err
	}
	defer sess.Close()
	// What the job prints (its summary) waits until progress is done with
	// the terminal: otherwise it lands in the middle of the bar's line. It
	// goes to standard error when the medium is standard output.
	stdout, out := cmd.OutOrStdout(), cmd.ErrOrStderr()
	var results lockedBuffer
	cmd.SetOut(&results)
	jobEnded := false
	defer func() {
		if jobEnded { // one still running after the cancel grace may yet print
			cmd.SetOut(nil)
		}
		if g.resultsToStderr {
			stdout = out
		}
		if !g.output.quiet {
			results.writeTo(stdout)
		}
	}()
	spec, err := build(sess)
	if err != nil {
		return err
	}
	rep := newReporter(g.output.progressWriter(out), !g.output.noTerm && isTerminal(out))
	unsub := sess.Jobs.Subscribe(rep.handle)
	defer unsub()
	if g.output.debug != "" {
		events, err := openEventLog(g.output.debug)
		if err != nil {
			return err
		}
		unsubEvents := sess.Jobs.Subscribe(events.handle)
		defer func() {
			unsubEvents()
			if cerr := events.close(); rerr == nil {
				rerr = cerr
			}
		}()
	}
	id, err := sess.Jobs.Start(spec)
	if err != nil {
		return err
	}
	rep.setJob(id)
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	waitCtx, giveUp := context.WithCancel(context.Background())
	defer giveUp()
	go func() {
		select {
		case <-ctx.Done():
			fmt.Fprintln(out, "Cancelling... (press Ctrl-C again to stop at once)")
			sess.Jobs.Cancel(id)
			// A device or pipe that never answers cannot hold the terminal.
			select {
			case <-time.After(cancelGrace):
				giveUp()
			case <-waitCtx.Done():
			}
		case <-waitCtx.Done():
		}
	}()
	snap, err := sess.Jobs.Wait(waitCtx, id)
	jobEnded = err == nil
	if err != nil {
		return exitError{code: 130, err: fmt.Errorf("%s did not stop within %s of the cancel; run %s will show as interrupted", spec.Kind, cancelGrace, id)}
	}
	rep.finish(snap)
	switch snap.State {
	case store.StatusSucceeded:
		return nil
	case store.StatusCancelled:
		return exitError{code: 130, err: fmt.Errorf("%s cancelled (run %s)", spec.Kind, id)}
	default:
		return fmt.Errorf("%s (run %s)", snap.Error, id)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// reporter renders a job's progress events.
type reporter struct {
	w        io.Writer
	terminal bool

	mu       sync.Mutex
	id       string
	bar      *progressbar.ProgressBar
	barBytes bool
	phase    string
	lastLine time.Time
	started  time.Time
}

// lockedBuffer collects a job's output, which is written from the job's
// goroutine, until the command prints it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) writeTo(w io.Writer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteTo(w)
}

func newReporter(w io.Writer, terminal bool) *reporter {
	return &reporter{w: w, terminal: terminal, started: time.Now()}
}

func (r *reporter) setJob(id string) {
	r.mu.Lock()
	r.id = id
	r.mu.Unlock()
}

func (r *reporter) handle(e jobs.Event) {
	if e.Type != jobs.EventProgress || e.Progress == nil || e.Progress.Phase == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.id != "" && e.JobID != r.id {
		return
	}
	if r.terminal {
		r.drawBar(*e.Progress)
	} else {
		r.printLine(*e.Progress, false)
	}
}

func (r *reporter) drawBar(ev progress.Event) {
	useBytes := ev.BytesTotal > 0
	if r.bar == nil || ev.Phase != r.phase || useBytes != r.barBytes {
		if r.bar != nil {
			r.bar.Finish()
			fmt.Fprintln(r.w)
		}
		max := int64(ev.ItemsTotal)
		if useBytes {
			max = ev.BytesTotal
		}
		if max <= 0 {
			max = -1 // spinner
		}
		r.bar = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(r.w),
			progressbar.OptionSetDescription(ev.Phase),
			progressbar.OptionShowBytes(useBytes),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
		)
		r.phase, r.barBytes = ev.Phase, useBytes
	}
	if useBytes {
		r.bar.ChangeMax64(ev.BytesTotal)
		r.bar.Set64(ev.BytesDone)
	} else {
		if ev.ItemsTotal > 0 {
			r.bar.ChangeMax(ev.ItemsTotal)
		}
		r.bar.Set(ev.ItemsDone)
	}
	desc := ev.Phase
	if ev.BufferFill > 0 {
		desc += fmt.Sprintf(" buf %3.0f%%", ev.BufferFill*100)
	}
	r.bar.Describe(desc)
}

// printLine writes a plain progress line at most every two seconds (and on
// every phase change) so logs of piped runs stay readable.
func (r *reporter) printLine(ev progress.Event, force bool) {
	now := time.Now()
	if !force && ev.Phase == r.phase && now.Sub(r.lastLine) < 2*time.Second {
		return
	}
	r.phase, r.lastLine = ev.Phase, now
	fmt.Fprintln(r.w, formatProgress(ev, now.Sub(r.started)))
}

// formatProgress renders an event as one line: phase, items, bytes, rate.
func formatProgress(ev progress.Event, elapsed time.Duration) string {
	s := fmt.Sprintf("[%s]", ev.Phase)
	if ev.ItemsTotal > 0 {
		s += fmt.Sprintf(" %d/%d items", ev.ItemsDone, ev.ItemsTotal)
	} else if ev.ItemsDone > 0 {
		s += fmt.Sprintf(" %d items", ev.ItemsDone)
	}
	if ev.BytesTotal > 0 {
		s += fmt.Sprintf(" %s/%s (%.0f%%)", HumanBytes(ev.BytesDone), HumanBytes(ev.BytesTotal), 100*float64(ev.BytesDone)/float64(ev.BytesTotal))
	} else if ev.BytesDone > 0 {
		s += " " + HumanBytes(ev.BytesDone)
	}
	if secs := elapsed.Seconds(); secs > 0 && ev.BytesDone > 0 {
		s += fmt.Sprintf(" %s/s", HumanBytes(int64(float64(ev.BytesDone)/secs)))
	}
	if ev.BufferFill > 0 {
		s += fmt.Sprintf(" buffer %.0f%%", ev.BufferFill*100)
	}
	if ev.Current != "" {
		s += " " + ev.Current
	}
	return s
}

func (r *reporter) finish(s jobs.Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bar != nil {
		r.bar.Finish()
		r.bar = nil
	} else if !r.terminal && s.Progress.Phase != "" {
		r.printLine(s.Progress, true)
	}
}

// HumanBytes renders a byte count with binary units.
var HumanBytes = progress.HumanBytes
