package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"ferry/backend/registrytest"
)

// referenceTool is the reference binary, or the test is skipped.
func referenceTool(t *testing.T) string { return registrytest.ReferenceTool(t) }

// referenceHelp runs `ace-dt ARGS --help` with a cache and home of its own.
func referenceHelp(t *testing.T, tool string, args ...string) string {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(tool, append(args, "--help")...)
	cmd.Env = append(os.Environ(), "HOME="+home, "ACE_DT_CACHE_PATH="+filepath.Join(home, "cache"), "ACE_DT_CONFIG=", "ACE_DT_VERBOSITY=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s --help: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// refFlag is one flag as a reference --help lists it.
type refFlag struct {
	short, long, typ string
}

var flagLine = regexp.MustCompile(`^\s+(?:-([A-Za-z]), )?--([a-z][a-z0-9-]*)(?: (\S+))?(?:\s{2,}|$)`)

// parseReferenceHelp returns the subcommands, the positional arguments of
// the usage line and the flags (local and global) of a --help text.
func parseReferenceHelp(help string) (commands []string, usage []string, flags []refFlag) {
	section := ""
	for _, line := range strings.Split(help, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			continue
		case !strings.HasPrefix(line, " ") && strings.HasSuffix(trimmed, ":"):
			section = trimmed
			continue
		}
		switch section {
		case "Available Commands:":
			commands = append(commands, strings.Fields(trimmed)[0])
		case "Usage:":
			if usage == nil {
				usage = strings.Fields(trimmed)
			}
		case "Flags:", "Global Flags:":
			if m := flagLine.FindStringSubmatch(line); m != nil {
				flags = append(flags, refFlag{short: m[1], long: m[2], typ: m[3]})
			}
		}
	}
	return commands, usage, flags
}

// positionals gives sample values for the required arguments of a usage
// line ("ace-dt mirror gather SOURCES-FILE IMAGE [flags]").
func positionals(usage []string) []string {
	var out []string
	for _, w := range usage[3:] { // ace-dt mirror CMD
		if !strings.HasPrefix(w, "[") {
			out = append(out, "arg-"+strings.ToLower(w))
		}
	}
	return out
}

// sampleValue is a value of the flag's type that the reference would accept.
func sampleValue(dir string, f refFlag) string {
	byName := map[string]string{
		"compression": "zstd", "reference": "sync-1", "platforms": "linux/amd64", "selector": "component=core",
		"existing-from-checkpoint": "checkpoint.txt:12345,checkpoint2.txt:0", "output": "json=" + filepath.Join(dir, "diff.json"),
		"hwm": "90", "block-size": "1MB", "buffer-size": "0", "annotations": "key1=value1,key2=value2",
		"verbosity": "info",
	}
	if v, ok := byName[f.long]; ok {
		if f.typ == "int" { // deserialize and unarchive take --block-size int
			return "1048576"
		}
		return v
	}
	switch f.typ {
	case "int":
		return "1"
	case "bytes":
		return "512KB"
	case "stringToString":
		return "k=v"
	}
	return filepath.Join(dir, f.long+".txt") // strings, files: a path
}

// refused lists the reference's commands and flags that Ferry refuses on
// purpose, each with words its error must contain: what to use instead.
var refused = map[string]string{}

// parseOnly builds Ferry's command tree with every verb's action replaced
// by one that does nothing, except the refused ones, which keep theirs.
func parseOnly(g *globals) *cobra.Command {
	root := newRoot(g)
	var stub func(*cobra.Command)
	stub = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			stub(sub)
		}
		if !c.HasSubCommands() && c.RunE != nil {
			if _, keep := refused[c.Name()]; !keep {
				c.RunE = func(*cobra.Command, []string) error { return nil }
			}
		}
	}
	stub(root)
	return root
}

// parseFerry feeds a command line to Ferry's parser.
func parseFerry(t *testing.T, args ...string) (*globals, string, error) {
	t.Helper()
	var out bytes.Buffer
	g := newGlobals(Options{Stdout: &out, Stderr: &out})
	root := parseOnly(g)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return g, out.String(), err
}

// TestEveryReferenceFlagParses runs the reference's --help for mirror and
// every subcommand and feeds each flag it lists, in each of its forms, to
// Ferry's parser.
func TestEveryReferenceFlagParses(t *testing.T) {
	tool := referenceTool(t)
	t.Setenv("ACE_DT_VERBOSITY", "")
	dir := t.TempDir()
	verbs, _, mirrorFlags := parseReferenceHelp(referenceHelp(t, tool, "mirror"))
	if len(verbs) < 10 || len(mirrorFlags) == 0 {
		t.Fatalf("could not read the reference's mirror help: verbs %v, flags %v", verbs, mirrorFlags)
	}
	checked := 0
	for _, verb := range verbs {
		if verb == "help" || verb == "completion" {
			continue
		}
		_, usage, flags := parseReferenceHelp(referenceHelp(t, tool, "mirror", verb))
		if len(usage) < 3 {
			t.Errorf("%s: no usage line in the reference's help", verb)
			continue
		}
		args := positionals(usage)
		want, isRefused := refused[verb]
		check := func(cmdline ...string) {
			t.Helper()
			checked++
			_, out, err := parseFerry(t, cmdline...)
			switch {
			case isRefused && (err == nil || !strings.Contains(err.Error(), want)):
				t.Errorf("ferry %s: %v; want a refusal naming %q", strings.Join(cmdline, " "), err, want)
			case !isRefused && err != nil:
				t.Errorf("ferry %s: %v\n%s", strings.Join(cmdline, " "), err, out)
			}
		}
		check(append([]string{"mirror", verb}, args...)...)
		for _, f := range flags {
			if f.long == "help" {
				continue
			}
			var forms [][]string
			if f.typ == "" { // a bool
				forms = append(forms, []string{"--" + f.long}, []string{"--" + f.long + "=true"})
				if f.short != "" {
					forms = append(forms, []string{"-" + f.short})
				}
			} else if strings.Contains(f.typ, "[=") {
				// An optional value is attached with "=", or left out:
				// "-v info" is a bare -v and an argument, for either tool.
				v := sampleValue(dir, f)
				forms = append(forms, []string{"--" + f.long + "=" + v}, []string{"--" + f.long})
				if f.short != "" {
					forms = append(forms, []string{"-" + f.short + "=" + v}, []string{"-" + f.short})
				}
			} else {
				v := sampleValue(dir, f)
				forms = append(forms, []string{"--" + f.long, v}, []string{"--" + f.long + "=" + v})
				if f.short != "" {
					forms = append(forms, []string{"-" + f.short, v}, []string{"-" + f.short + v})
				}
			}
			for _, form := range forms {
				check(append(append([]string{"mirror", verb}, form...), args...)...)
				check(append(append([]string{"mirror", verb}, args...), form...)...)
			}
		}
	}
	// The flags of mirror itself (-r) and the global ones also go before the verb.
	for _, f := range mirrorFlags {
		if f.long == "help" {
			continue
		}
		form := []string{"--" + f.long}
		if f.typ != "" && !strings.Contains(f.typ, "[=") {
			form = append(form, sampleValue(dir, f))
		}
		check := append(append([]string{"mirror"}, form...), "gather", "sources.list", "reg.example/t:1")
		if _, out, err := parseFerry(t, check...); err != nil {
			t.Errorf("ferry %s: %v\n%s", strings.Join(check, " "), err, out)
		}
		checked++
	}
	t.Logf("%d reference command lines fed to Ferry's parser", checked)
}
