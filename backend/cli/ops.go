package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"ferry/backend/jobs"
	"ferry/backend/medium"
	"ferry/backend/mirror"
	"ferry/backend/ops"
	"ferry/backend/session"
)

// reportFunc prints how an operation ended and returns the command's error.
type reportFunc func(w io.Writer, o ops.Outcome, runID string) error

// runOp runs req as a job: ops builds it (the window builds its requests
// the same way); the CLI adds the terminal prompt for media, prints
// notices on standard error and the outcome with report.
func (g *globals) runOp(cmd *cobra.Command, req ops.Request, report reportFunc) error {
	if g.parsed != nil { // tests: the request, and nothing run
		g.parsed(req)
		return nil
	}
	if err := req.Validate(); err != nil {
		return err
	}
	cfg, err := g.config()
	if err != nil {
		return err
	}
	return g.runJob(cmd, func(s *session.Session) (jobs.Spec, error) {
		rt := ops.Runtime{Config: cfg, Store: s.Store, DataDir: s.Paths.DataDir, StoreDir: s.Paths.Store,
			Env: func(j *jobs.Job, env mirror.Env) mirror.Env {
				env.NextMedium = mediumPrompt(cmd.InOrStdin(), cmd.ErrOrStderr())
				return env
			},
			Notice: func(msg string) { fmt.Fprintln(cmd.ErrOrStderr(), msg) },
			Done: func(j *jobs.Job, o ops.Outcome) error {
				if report == nil {
					return o.Err
				}
				return report(cmd.OutOrStdout(), o, j.ID())
			}}
		spec, err := ops.Build(req, rt)
		g.resultsToStderr = writesStdout(spec.Options)
		return spec, err
	})
}

// writesStdout tells a job whose medium is standard output, whose results
// then go to standard error.
func writesStdout(opts any) bool {
	switch o := opts.(type) {
	case mirror.SerializeOptions:
		return o.Dest == medium.Stdio
	case mirror.ArchiveOptions:
		return o.Serialize.Dest == medium.Stdio
	}
	return false
}

// referrers is -r for the verbs that copy referrers; deserialize, verify
// and diff accept it and need nothing more.
func (g *globals) referrers(req *ops.Request) {
	for _, f := range ops.Fields(req.Kind) {
		if f == "Referrers" {
			req.Referrers = g.recursive
		}
	}
}
