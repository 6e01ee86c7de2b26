package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"ferry/backend/version"
)

func init() { register(newDocsCmd) }

// newDocsCmd writes reference documents generated from the command tree, so
// the man pages a package installs always match the binary. Hidden: it is a
// packaging step, not a verb users need.
func newDocsCmd(g *globals) *cobra.Command {
	docs := &cobra.Command{
		Use:    "docs",
		Short:  "Write reference documents generated from the command tree",
		Hidden: true,
		Args:   cobra.NoArgs,
	}
	docs.AddCommand(&cobra.Command{
		Use:   "man DIR",
		Short: "Write a man page (section 1) for every command into DIR",
		Long: `Write a man page (section 1) for every command into DIR, which is created if
missing. The pages are dated by SOURCE_DATE_EPOCH when it is set, so a package
build is reproducible.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return writeManPages(cmd.Root(), args[0])
		},
	})
	return docs
}

// writeManPages writes ferry.1, ferry-mirror.1, ferry-mirror-serialize.1, ...
func writeManPages(root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	header := &doc.GenManHeader{
		Section: "1",
		Source:  "Ferry " + version.Version,
		Manual:  "Ferry Manual",
	}
	if err := doc.GenManTree(root, header, dir); err != nil {
		return fmt.Errorf("man pages in %s: %w", dir, err)
	}
	return nil
}
