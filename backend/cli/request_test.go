package cli

import (
	"bytes"
	"context"
	"errors"

	"ferry/backend/ops"
)

// parseRequest feeds a command line to Ferry's parser and returns the
// request its verb fills, running nothing.
func parseRequest(args ...string) (ops.Request, error) {
	var out bytes.Buffer
	g := newGlobals(Options{Stdout: &out, Stderr: &out})
	var got *ops.Request
	g.parsed = func(r ops.Request) { got = &r }
	root := newRoot(g)
	root.SetArgs(args)
	if err := root.ExecuteContext(context.Background()); err != nil {
		return ops.Request{}, err
	}
	if got == nil {
		return ops.Request{}, errors.New("the command made no request")
	}
	return *got, nil
}
