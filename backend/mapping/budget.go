package mapping

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// The budget of one template run (one entry). A mapping template prints a
// few references; these limits are far above that and far below what would
// hurt the process, so a runaway template fails with an error at its line
// instead of exhausting memory or a CPU during a live preview.
const (
	maxTemplateOutput = 1 << 20     // bytes printed
	maxTemplateValue  = 1 << 20     // size of the arguments or the result of one function call
	maxTemplateSteps  = 10_000      // loop iterations, template calls and function calls
	maxTemplateDepth  = 1000        // templates calling templates
	maxTemplateTime   = time.Second // wall time
)

// ErrBudget is matched (errors.Is) by the error of a template that ran out
// of its budget.
var ErrBudget = &budgetError{reason: "budget"}

// budgetError says which limit a template run passed.
type budgetError struct{ reason string }

func (e *budgetError) Error() string { return "the template exceeds its budget: " + e.reason }

func (e *budgetError) Is(target error) bool { return target == ErrBudget }

func overBudget(format string, args ...any) error {
	return &budgetError{reason: fmt.Sprintf(format, args...)}
}

var (
	errTimedOut     = overBudget("it ran longer than %v for one entry", maxTemplateTime)
	errTooManySteps = overBudget("more than %d steps (loop iterations and calls) for one entry; is a loop too large?", maxTemplateSteps)
	errTooDeep      = overBudget("templates call each other more than %d deep; is a template calling itself?", maxTemplateDepth)
	errOutputFull   = overBudget("its output for one entry passes %s", bytesText(maxTemplateOutput))
)

// stoppedError is the error of a run stopped by its caller's context.
type stoppedError struct{ cause error }

func (e *stoppedError) Error() string { return "the template was stopped: " + e.cause.Error() }

func (e *stoppedError) Unwrap() error { return e.cause }

// run is the state of one template execution: the steps taken, the output,
// and the context that stops it.
type run struct {
	ctx   context.Context
	steps int
	depth int // of template calls
	out   output
}

func (r *run) reset(ctx context.Context) {
	r.ctx, r.steps, r.depth = ctx, 0, 0
	r.out.reset()
}

// enter starts a template (the whole one or a defined one) and leave ends
// it; an error ends the run, so they always pair up. Bounding the depth
// keeps a recursion from growing the stack by the step budget.
func (r *run) enter() (string, error) {
	if r.depth++; r.depth > maxTemplateDepth {
		return "", errTooDeep
	}
	return "", r.step()
}

func (r *run) leave() string {
	r.depth--
	return ""
}

// step is taken on every loop iteration, template call and function call,
// so every way a template can spend time passes here.
func (r *run) step() error {
	r.steps++
	switch {
	case r.steps > maxTemplateSteps:
		return errTooManySteps
	case r.out.full:
		return errOutputFull
	case r.ctx.Err() != nil:
		if cause := context.Cause(r.ctx); cause == errTimedOut {
			return cause
		}
		return &stoppedError{cause: context.Cause(r.ctx)}
	}
	return nil
}

// output keeps at most maxTemplateOutput bytes. Past that it drops what it
// is given and marks itself full, and the next step of the template fails;
// failing the write itself would lose the template position in the error.
type output struct {
	buf  bytes.Buffer
	full bool
}

func (o *output) reset() {
	o.buf.Reset()
	o.full = false
}

func (o *output) Write(p []byte) (int, error) {
	if room := maxTemplateOutput - o.buf.Len(); len(p) > room {
		o.buf.Write(p[:max(room, 0)])
		o.full = true
		return len(p), nil
	}
	return o.buf.Write(p)
}

func bytesText(n float64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.0f GiB", n/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", n/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", n/(1<<10))
	}
	return fmt.Sprintf("%.0f bytes", n)
}
