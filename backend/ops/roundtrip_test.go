package ops_test

import (
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"ferry/backend/cli"
	"ferry/backend/ops"
)

// TestCommandLineRunsAsIs: the command line of a request, parsed by the
// CLI, gives the same request, for every kind and from either front end
// (the CLI's files and TYPE=ARG, or the window's typed sources and rules,
// which are kept as files). Through a shell too: history's line is typed.
func TestCommandLineRunsAsIs(t *testing.T) {
	dir := t.TempDir()
	vals := ops.FieldValues(t, dir)
	dataDir := filepath.Join(dir, "data")
	for _, k := range ops.Kinds() {
		for _, form := range []string{"cli", "window", "minimal"} {
			window := form == "window"
			req := ops.Full(t, k, vals, window)
			if form == "minimal" { // only the arguments: no flag, no empty list
				req = ops.Request{Kind: k, SourcesFile: req.SourcesFile, BatchList: req.BatchList, Image: req.Image, Path: req.Path, Mapper: req.Mapper, Run: req.Run}
			}
			kept := ops.Kept(dataDir, req)
			words := ops.CommandLine(kept)
			if words[0] != "ferry" {
				t.Fatalf("%s: %q", k, words)
			}
			got, err := cli.Parse(words[1:])
			if err != nil {
				t.Errorf("%s (%s): %q does not parse: %v", k, form, words, err)
				continue
			}
			if !reflect.DeepEqual(got, kept) {
				t.Errorf("%s (%s): %q parses to\n%+v\nwant\n%+v", k, form, words, got, kept)
			}
			out, err := exec.Command("sh", "-c", `printf '%s\n' `+ops.Shell(words[1:])).Output()
			if err != nil {
				t.Fatal(err)
			}
			if shell := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"); !reflect.DeepEqual(shell, words[1:]) {
				t.Errorf("%s: the shell reads %q as %q", k, ops.Shell(words), shell)
			}
		}
	}
}

// The older spelling of a resume reads as the same request as ferry resume.
func TestSerializeResumeFlagIsResume(t *testing.T) {
	got, err := cli.Parse([]string{"mirror", "serialize", "--resume", "run-1", "next.tar", "--force"})
	want := ops.Request{Kind: ops.Resume, Run: "run-1", Path: "next.tar", Force: true}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("serialize --resume = %+v, %v; want %+v", got, err, want)
	}
	if w := ops.CommandLine(want); strings.Join(w, " ") != "ferry resume run-1 next.tar --force" {
		t.Errorf("its command line: %q", w)
	}
}

// An argument that looks like a flag is written after "--".
func TestCommandLineOfADashArgument(t *testing.T) {
	req := ops.Request{Kind: ops.Verify, Path: "-weird.tar", Strict: true}
	got, err := cli.Parse(ops.CommandLine(req)[1:])
	if err != nil || !reflect.DeepEqual(got, req) {
		t.Errorf("%q parses to %+v, %v", ops.CommandLine(req), got, err)
	}
}
