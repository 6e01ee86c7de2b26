package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"
)

// EnvVerbosity sets the verbosity when -v is not given, as for the reference tool.
const EnvVerbosity = "ACE_DT_VERBOSITY"

// verbosityLevels are the reference tool's names for its numeric levels;
// trace is Ferry's own, above debug.
var verbosityLevels = map[string]int{"error": 0, "warn": 4, "info": 8, "debug": 12, "trace": 16}

// verbosity is the -v flag: the reference's `-v, --verbosity strings[=warn]`.
// Each value is a level name or a number on the reference's scale (error=0,
// warn=4, info=8, debug=12); several values (comma-separated or repeated)
// mean the most verbose of them. A bare -v is warn, the default.
type verbosity struct {
	values []string
	level  int
	set    bool // given on the command line: replaces the environment's
}

func newVerbosity() *verbosity {
	return &verbosity{values: []string{"warn"}, level: verbosityLevels["warn"]}
}

func parseVerbosity(v string) (int, error) {
	v = strings.TrimSpace(v)
	if n, ok := verbosityLevels[v]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("verbosity %q: use error, warn, info, debug, trace or a number (error=0, warn=4, info=8, debug=12)", v)
	}
	return n, nil
}

// Set adds values; the first Set from the command line drops the default
// (and the environment's) so "-v error" can lower the level.
func (v *verbosity) Set(s string) error {
	if !v.set {
		v.values, v.level, v.set = nil, 0, true
	}
	return v.add(s)
}

func (v *verbosity) add(s string) error {
	for _, part := range strings.Split(s, ",") {
		n, err := parseVerbosity(part)
		if err != nil {
			return err
		}
		if len(v.values) == 0 || n > v.level {
			v.level = n
		}
		v.values = append(v.values, strings.TrimSpace(part))
	}
	return nil
}

func (v *verbosity) Type() string   { return "strings" }
func (v *verbosity) String() string { return "[" + strings.Join(v.values, ",") + "]" }

// fromEnv applies ACE_DT_VERBOSITY; a bad value is an error, as it is for the reference.
func (v *verbosity) fromEnv() error {
	env, ok := os.LookupEnv(EnvVerbosity)
	if !ok || strings.TrimSpace(env) == "" {
		return nil
	}
	v.values, v.level = nil, 0
	if err := v.add(env); err != nil {
		return fmt.Errorf("%s: %w", EnvVerbosity, err)
	}
	return nil
}

// logLevel maps the reference's scale onto Ferry's log levels: below 4
// errors only, 4 warnings, 8 info, 12 debug, 16 and more trace.
func (v *verbosity) logLevel() logrus.Level {
	switch {
	case v.level < verbosityLevels["warn"]:
		return logrus.ErrorLevel
	case v.level < verbosityLevels["info"]:
		return logrus.WarnLevel
	case v.level < verbosityLevels["debug"]:
		return logrus.InfoLevel
	case v.level < verbosityLevels["trace"]:
		return logrus.DebugLevel
	default:
		return logrus.TraceLevel
	}
}
