package cli

import (
	"context"
	"errors"
	"io"

	"ferry/backend/ops"
)

// Parse reads a command line (without the program name) into the request
// its verb makes, running nothing: what history shows for a run reads back
// into the run's request.
func Parse(args []string) (ops.Request, error) {
	g := newGlobals(Options{Stdout: io.Discard, Stderr: io.Discard})
	var got *ops.Request
	g.parsed = func(r ops.Request) { got = &r }
	root := newRoot(g)
	root.SetArgs(args)
	if err := root.ExecuteContext(context.Background()); err != nil {
		return ops.Request{}, err
	}
	if got == nil {
		return ops.Request{}, errors.New("the command line names no operation")
	}
	return *got, nil
}

// rest is args from i on, nil when there are none (as a request without
// them has).
func rest(args []string, i int) []string {
	if len(args) <= i {
		return nil
	}
	return args[i:]
}
