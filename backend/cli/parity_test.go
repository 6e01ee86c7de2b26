package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"ferry/backend/config"
	"ferry/backend/mirror"
	"ferry/backend/ops"
)

// serializeFlags parses the serialize media flags as the command line
// would and builds the job's options, without running anything.
func serializeFlags(args ...string) (mirror.SerializeOptions, error) {
	req, err := parseRequest(append([]string{"mirror", "serialize", "reg.example/t:1", "out.tar"}, args...)...)
	if err != nil {
		return mirror.SerializeOptions{}, err
	}
	spec, err := ops.Build(req, ops.Runtime{Config: config.Default()})
	if err != nil {
		return mirror.SerializeOptions{}, err
	}
	return spec.Options.(mirror.SerializeOptions), nil
}

func TestSizeFlagsReadAsTheReferenceDoes(t *testing.T) {
	for _, tc := range []struct {
		args          []string
		block, buffer int
	}{
		{[]string{"-b", "1MB"}, 1e6, mirror.DefaultBufferSize},
		{[]string{"-b", "1MiB"}, 1 << 20, mirror.DefaultBufferSize},
		{[]string{"--block-size=512KB", "-m", "1Gi"}, 512e3, 1 << 30},
		{[]string{"-m", "0"}, mirror.DefaultBlockSize, mirror.DefaultBlockSize}, // no buffer: one block
		{[]string{"-m", "0", "-b", "256KiB"}, 256 << 10, 256 << 10},
		{[]string{"--buffer-size", "1 GB"}, mirror.DefaultBlockSize, 1e9},
		{[]string{"-m2GB"}, mirror.DefaultBlockSize, 2e9},
	} {
		o, err := serializeFlags(tc.args...)
		if err != nil || o.BlockSize != tc.block || o.BufferSize != tc.buffer {
			t.Errorf("%v: block %d buffer %d (%v); want %d and %d", tc.args, o.BlockSize, o.BufferSize, err, tc.block, tc.buffer)
		}
	}
	for _, bad := range [][]string{{"-b", "0"}, {"-b", "1XB"}, {"-m", "-1"}, {"-m", "lots"}} {
		if _, err := serializeFlags(bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestExistingFromCheckpointListForms(t *testing.T) {
	o, err := serializeFlags("--existing-from-checkpoint", "a.txt:1,b.txt:2", "--existing-from-checkpoint=c.txt:0")
	if want := []string{"a.txt:1", "b.txt:2", "c.txt:0"}; err != nil || !slices.Equal(o.ExistingFromCheckpoint, want) {
		t.Errorf("--existing-from-checkpoint = %q, %v; want %q", o.ExistingFromCheckpoint, err, want)
	}
}

func TestVerbosityForms(t *testing.T) {
	t.Setenv(EnvVerbosity, "")
	for _, tc := range []struct {
		env  string
		args []string
		want logrus.Level
	}{
		{"", nil, logrus.WarnLevel},
		{"", []string{"-v"}, logrus.WarnLevel}, // bare -v is warn, as for ace-dt
		{"", []string{"-v=info"}, logrus.InfoLevel},
		{"", []string{"--verbosity=debug"}, logrus.DebugLevel},
		{"", []string{"-v=error"}, logrus.ErrorLevel},
		{"", []string{"-v=8"}, logrus.InfoLevel},
		{"", []string{"-v=11"}, logrus.InfoLevel},
		{"", []string{"-v=12"}, logrus.DebugLevel},
		{"", []string{"-v=3"}, logrus.ErrorLevel},
		{"", []string{"-v=info,debug"}, logrus.DebugLevel},
		{"", []string{"-v=debug", "-v=error"}, logrus.DebugLevel}, // the most verbose wins
		{"", []string{"-v=trace"}, logrus.TraceLevel},
		{"debug", nil, logrus.DebugLevel},
		{"debug", []string{"-v=error"}, logrus.ErrorLevel}, // the command line wins
		{"info", []string{"-v"}, logrus.WarnLevel},
	} {
		t.Setenv(EnvVerbosity, tc.env)
		args := append(append([]string{}, tc.args...), "mirror", "gather", "s.list", "reg.example/t:1")
		g, out, err := parseFerry(t, args...)
		if err != nil || g.verbosity.logLevel() != tc.want {
			t.Errorf("%s=%q %v: level %v (%v %s); want %v", EnvVerbosity, tc.env, tc.args, g.verbosity.logLevel(), err, out, tc.want)
		}
	}
	t.Setenv(EnvVerbosity, "")
	if _, _, err := parseFerry(t, "-v=loud", "version"); err == nil || !strings.Contains(err.Error(), "error, warn, info, debug") {
		t.Errorf("-v=loud: %v", err)
	}
	t.Setenv(EnvVerbosity, "loud")
	if _, _, err := parseFerry(t, "mirror", "gather", "s.list", "reg.example/t:1"); err == nil || !strings.Contains(err.Error(), EnvVerbosity) {
		t.Errorf("%s=loud: %v", EnvVerbosity, err)
	}
}

func TestRecursiveOnMirrorAndOnTheVerb(t *testing.T) {
	for _, args := range [][]string{
		{"mirror", "-r", "gather", "s.list", "reg.example/t:1"},
		{"mirror", "gather", "-r", "s.list", "reg.example/t:1"},
		{"mirror", "--recursive", "serialize", "reg.example/t:1", "t.tar"},
		{"mirror", "deserialize", "-r", "t.tar", "reg.example/t:1"},
		{"mirror", "-r", "clone", "s.list", "nest=reg.example/m"},
		{"mirror", "scatter", "reg.example/t:1", "nest=reg.example/m", "-r"},
	} {
		g, out, err := parseFerry(t, args...)
		if err != nil || !g.recursive {
			t.Errorf("%v: recursive %v, %v %s", args, g.recursive, err, out)
		}
	}
	if g, _, _ := parseFerry(t, "mirror", "gather", "s.list", "reg.example/t:1"); g.recursive {
		t.Error("referrers without -r")
	}
}

func TestOutputFlagForms(t *testing.T) {
	g, _, err := parseFerry(t, "mirror", "serialize", "-q", "--no-term", "--debug", "ui.log", "reg.example/t:1", "t.tar")
	if err != nil || !g.output.quiet || !g.output.noTerm || g.output.debug != "ui.log" {
		t.Errorf("-q --no-term --debug: %+v, %v", g.output, err)
	}
}

func TestUnknownAndMissingSubcommandsFail(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"mirror", "bogus"}, `unknown command "bogus"`},
		{[]string{"mirror", "serialise", "a", "b"}, "did you mean serialize"},
		{[]string{"mirror"}, "needs a subcommand"},
		{[]string{"mapping", "nope"}, `unknown command "nope"`},
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"mirror", "batch-serialize", "gather.csv"}, "accepts 2 arg(s)"},
		{[]string{"mirror", "batch-deserialize", "--sync-filename", "s.csv", "sync/data"}, "accepts 2 arg(s)"},
	} {
		_, _, err := parseFerry(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ferry %v: %v; want an error with %q", tc.args, err, tc.want)
		}
	}
}
