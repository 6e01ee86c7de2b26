// Package cli is Ferry's command line: cobra commands that parse arguments
// and hand off to jobs. Verbs and flags follow the reference tool
// (`ace-dt mirror ...`) so scripts carry over.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"ferry/backend/ops"
	"ferry/backend/session"
	"ferry/backend/version"
)

// Options are what the binary gives its command line.
type Options struct {
	// Assets is the built frontend served by `ferry ui`.
	Assets fs.FS
	// Frontend is what `ferry ui` serves to the browser beside Assets.
	Frontend Frontend

	Stdout, Stderr io.Writer
}

// Frontend is the backend of the browser UI: bound to a session, it gives
// the value whose methods the UI calls and the function that detaches it.
type Frontend interface {
	Attach(s *session.Session, emit func(name string, data any)) (bound any, detach func())
}

// globals are the flags every verb accepts.
type globals struct {
	configFiles []string
	db          string
	verbosity   *verbosity
	// envErr is a bad ACE_DT_VERBOSITY, reported when a verb starts.
	envErr error
	// recursive is `mirror -r`, which every mirror verb shares.
	recursive bool
	output    outputFlags
	opts      Options
	// resultsToStderr sends a job's result lines to standard error, for a
	// job whose medium is standard output.
	resultsToStderr bool
	// parsed, when set, receives each verb's request instead of running
	// it (tests of the command line).
	parsed func(ops.Request)
}

// Execute runs the CLI with os.Args and returns the process exit code.
func Execute(o Options) int {
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first Ctrl-C cancels the job cleanly; restoring the default
	// handler lets a second one end the process at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
	defer cpuProfile(o.Stderr)()
	root := NewRoot(o)
	root.SetArgs(os.Args[1:])
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(o.Stderr, "Error:", err)
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return 1
	}
	return 0
}

// exitError carries a specific exit code (e.g. 130 after cancellation).
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

// NewRoot builds the command tree.
func NewRoot(o Options) *cobra.Command {
	return newRoot(newGlobals(o))
}

func newGlobals(o Options) *globals {
	g := &globals{opts: o, verbosity: newVerbosity()}
	g.envErr = g.verbosity.fromEnv()
	return g
}

func newRoot(g *globals) *cobra.Command {
	o := g.opts
	root := &cobra.Command{
		Use:   "ferry",
		Short: "Move OCI images and artifacts across an air gap",
		Long: `Ferry moves OCI images and artifacts across an air gap: gather images into one
repository, serialize them to a tar file or a tape, deserialize on the far side and
scatter them to their final repositories. Run without arguments to open the window.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.Version,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return g.envErr
		},
	}
	root.SetOut(o.Stdout)
	root.SetErr(o.Stderr)
	pf := root.PersistentFlags()
	pf.StringArrayVar(&g.configFiles, "config", nil, "configuration file (repeatable; the first that exists is used)")
	pf.StringVar(&g.db, "db", "", "history database (default $XDG_DATA_HOME/ferry/ferry.db, or FERRY_DB)")
	pf.VarP(g.verbosity, "verbosity", "v", "logging verbosity (also the environment variable "+EnvVerbosity+"): error, warn, info, debug, trace,\n"+
		"or a number as for ace-dt: error=0, warn=4, info=8, debug=12, trace=16; the most verbose of several values wins")
	pf.Lookup("verbosity").NoOptDefVal = "warn"

	root.AddCommand(newVersionCmd(g), newUICmd(g))
	for _, add := range extraCommands {
		root.AddCommand(add(g))
	}
	return root
}

// extraCommands lets each verb's file register itself.
var extraCommands []func(*globals) *cobra.Command

func register(f func(*globals) *cobra.Command) { extraCommands = append(extraCommands, f) }

// openSession opens the database and log for a verb that records history.
func (g *globals) openSession() (*session.Session, error) {
	p := session.DefaultPaths()
	if g.db != "" {
		p.DB = g.db
	}
	return session.Open(session.Options{Paths: p, LogLevel: g.verbosity.logLevel(), Console: g.opts.Stderr})
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Ferry's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), "ferry", version.Version)
			return nil
		},
	}
}
