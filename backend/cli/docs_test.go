package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestDocsManWritesAPageForEveryCommand(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, "man", "man1")
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600") // 2026-01-01
	if _, errOut, err := run(t, home, "docs", "man", dir); err != nil {
		t.Fatalf("docs man: %v\n%s", err, errOut)
	}
	// Every command a user can run has its page; hidden ones have none.
	var want []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		want = append(want, strings.ReplaceAll(c.CommandPath(), " ", "-")+".1")
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				walk(sub)
			}
		}
	}
	root := NewRoot(Options{})
	root.InitDefaultCompletionCmd()
	walk(root)
	for _, page := range append(want, "ferry-mirror-serialize.1", "ferry-completion-bash.1") {
		if _, err := os.Stat(filepath.Join(dir, page)); err != nil {
			t.Errorf("no man page %s: %v", page, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(want) {
		t.Errorf("%d pages written, want %d (one per command)", len(entries), len(want))
	}
	if _, err := os.Stat(filepath.Join(dir, "ferry-docs.1")); err == nil {
		t.Error("the hidden docs command has a man page")
	}

	page, err := os.ReadFile(filepath.Join(dir, "ferry-mirror-serialize.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`.TH "FERRY-MIRROR-SERIALIZE" "1" "Jan 2026" "Ferry `, `"Ferry Manual"`,
		`ferry mirror serialize IMAGE DEST`, `\fB--checkpoint\fP`, `ferry-mirror(1)`} {
		if !strings.Contains(string(page), s) {
			t.Errorf("ferry-mirror-serialize.1 lacks %q", s)
		}
	}
}

func TestDocsManNeedsAWritableDirectory(t *testing.T) {
	home := t.TempDir()
	if _, _, err := run(t, home, "docs", "man"); err == nil || !strings.Contains(err.Error(), "accepts 1 arg") {
		t.Errorf("docs man without DIR: %v", err)
	}
	file := writeFile(t, home, "file", "x")
	if _, _, err := run(t, home, "docs", "man", filepath.Join(file, "man1")); err == nil || !strings.Contains(err.Error(), "man pages") {
		t.Errorf("docs man under a file: %v", err)
	}
}

func TestCompletionScriptsForEveryShell(t *testing.T) {
	home := t.TempDir()
	for shell, marker := range map[string]string{
		"bash": "complete -o default -F __start_ferry ferry",
		"zsh":  "#compdef ferry",
		"fish": "complete -c ferry",
	} {
		out, errOut, err := run(t, home, "completion", shell)
		if err != nil {
			t.Fatalf("completion %s: %v\n%s", shell, err, errOut)
		}
		if !strings.Contains(out, marker) {
			t.Errorf("completion %s lacks %q", shell, marker)
		}
	}
	// The scripts ask the binary itself; it offers the verbs under mirror.
	out, _, err := run(t, home, "__complete", "mirror", "ser")
	if err != nil || !strings.Contains(out, "serialize\t") {
		t.Errorf("__complete mirror ser: %v\n%s", err, out)
	}
}
