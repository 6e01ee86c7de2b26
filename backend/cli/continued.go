package cli

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/spf13/cobra"

	"ferry/backend/mirror"
	"ferry/backend/ops"
)

const continueHelp = "deliver what can be delivered and report every failure at the end; exits 0 when at least one image was delivered, as ace-dt's clone --continue does"

// continued carries, from a job to its command, that a --continue run
// delivered some images and failed others. The reference's clone
// --continue then exits 0, and scripts written for it rely on that, so
// Ferry does the same for clone, scatter and unarchive: the failures are
// printed as a warning, and the run is recorded as failed in history.
// A run that delivered nothing, stopped, or failed before delivering
// still exits non-zero.
type continued struct{ partial atomic.Bool }

// note records the outcome of a delivery job.
func (c *continued) note(cont bool, res mirror.ScatterResult, err error) {
	var de *mirror.DeliveryError
	if cont && errors.As(err, &de) && !de.Stopped && res.Images > 0 {
		c.partial.Store(true)
	}
}

// exit turns the job's error into a warning after a partial --continue run.
func (c *continued) exit(cmd *cobra.Command, err error) error {
	if err == nil || !c.partial.Load() {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "warning: %v\nwarning: exit status 0 because of --continue (as ace-dt); the run is recorded as failed\n", err)
	return nil
}

// report prints a scatter's or clone's outcome and notes a partial
// --continue run.
func (c *continued) report(verb string) reportFunc {
	return func(w io.Writer, o ops.Outcome, _ string) error {
		res := o.Result.(mirror.ScatterResult)
		cont, check := o.Request.Continue, o.Request.Check
		printDelivery(w, verb, res, check)
		c.note(cont, res, o.Err)
		return o.Err
	}
}
