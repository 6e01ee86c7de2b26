//go:build interop

package interop

import (
	"regexp"
	"strings"
	"testing"
)

// helpFlag is one flag line of a reference --help: `  -b, --block-size bytes   ...`.
var helpFlag = regexp.MustCompile(`^\s+(?:-(\S), )?--([a-z0-9-]+)(?: ([a-zA-Z]+)(\[=[^\]]*\])?)?\s\s`)

// flagValues are realistic values for the flags scripts pass; flagTypes
// covers the rest by type.
var flagValues = map[string]string{
	"platforms": "linux/amd64", "compression": "gzip", "block-size": "1MB", "buffer-size": "0",
	"existing-from-checkpoint": "ledger.jsonl:1", "selector": "component=core", "annotations": "a=b",
	"verbosity": "info", "hwm": "90", "reference": "sync-1",
}
var flagTypes = map[string]string{"string": "x", "strings": "x", "stringArray": "x", "int": "1", "bytes": "1MB", "stringToString": "a=b"}

type refFlag struct {
	short, long, typ string
	optional         bool // has a no-option default: may be given bare
}

// referenceFlags parses the flags that `ace-dt mirror CMD --help` lists.
func referenceFlags(t *testing.T, cmd string) []refFlag {
	t.Helper()
	out := acedt.must(t, "", "mirror", cmd, "--help")
	var flags []refFlag
	for _, line := range strings.Split(out, "\n") {
		m := helpFlag.FindStringSubmatch(line)
		if m == nil || m[2] == "help" {
			continue
		}
		flags = append(flags, refFlag{short: m[1], long: m[2], typ: m[3], optional: m[4] != ""})
	}
	if len(flags) == 0 {
		t.Fatalf("no flags found in ace-dt mirror %s --help:\n%s", cmd, out)
	}
	return flags
}

// referenceCommands are the verbs `ace-dt mirror --help` lists.
func referenceCommands(t *testing.T) []string {
	t.Helper()
	out := acedt.must(t, "", "mirror", "--help")
	_, list, _ := strings.Cut(out, "Available Commands:")
	list, _, _ = strings.Cut(list, "\n\n")
	var cmds []string
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			cmds = append(cmds, f[0])
		}
	}
	return cmds
}

// TestCommandLineParity feeds every flag of every reference --help, in each
// form the reference accepts, to Ferry's parser.
func TestCommandLineParity(t *testing.T) {
	t.Parallel()
	for _, cmd := range referenceCommands(t) {
		t.Run(cmd, func(t *testing.T) {
			t.Parallel()
			for _, f := range referenceFlags(t, cmd) {
				value := flagValues[f.long]
				if value == "" {
					value = flagTypes[f.typ]
				}
				var forms [][]string
				for _, name := range []string{"--" + f.long, "-" + f.short} {
					if name == "-" {
						continue
					}
					switch {
					case f.typ == "":
						forms = append(forms, []string{name})
					case f.optional:
						forms = append(forms, []string{name}, []string{name + "=" + value})
					default:
						forms = append(forms, []string{name, value})
					}
				}
				for _, form := range forms {
					args := append(append([]string{"mirror", cmd}, form...), "--help")
					if r := ferry.run(t, "", args...); r.err != nil {
						t.Errorf("ferry refuses `%s` that ace-dt mirror %s accepts: %s", strings.Join(form, " "), cmd, firstLine(r.out))
					}
				}
			}
		})
	}
	// -r is a flag of mirror itself in the reference.
	t.Run("mirror-r", func(t *testing.T) {
		t.Parallel()
		if r := ferry.run(t, "", "mirror", "-r", "gather", "--help"); r.err != nil {
			t.Errorf("ferry refuses `mirror -r gather`: %s", firstLine(r.out))
		}
	})
	t.Run("unknown-command", func(t *testing.T) {
		t.Parallel()
		if r := ferry.run(t, "", "mirror", "no-such-command"); r.err == nil {
			t.Errorf("ferry mirror no-such-command exits 0:\n%s", clip(r.out))
		}
	})
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "Error") || strings.Contains(l, "error") {
			return strings.TrimSpace(l)
		}
	}
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}
