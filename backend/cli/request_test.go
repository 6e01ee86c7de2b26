package cli

import "ferry/backend/ops"

// parseRequest feeds a command line to Ferry's parser and returns the
// request its verb fills, running nothing.
func parseRequest(args ...string) (ops.Request, error) { return Parse(args) }
