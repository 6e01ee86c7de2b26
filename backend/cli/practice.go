package cli

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"ferry/backend/builtin"
	"ferry/backend/config"
	"ferry/backend/practice"
	"ferry/backend/session"
)

func init() { register(newPracticeCmd) }

func newPracticeCmd(g *globals) *cobra.Command {
	var listen, dir, root string
	cmd := &cobra.Command{
		Use:   "practice",
		Short: "Set up a practice transfer on the built-in registry and print its four steps",
		Long: `Pushes a small synthetic set (a multi-platform index, a Docker v2 image, an
artifact that is not an image, and a signature referrer; a few MiB) to the "low"
repositories of the built-in registry, writes a matching sources list and mapping
rules, and prints the commands of a whole transfer: gather, serialize, deserialize
to the "high" repositories, scatter. Everything stays on this machine.

When no registry answers at --listen, the built-in registry is started and served
until Ctrl-C, so that the steps can be run from another terminal.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				dir = filepath.Join(session.DefaultPaths().DataDir, "practice")
			}
			var served *builtin.Registry
			if !builtin.Answers(cmd.Context(), listen) {
				r, err := startBuiltin(cmd.Context(), g, builtin.Options{Listen: listen, Root: root})
				if err != nil {
					return err
				}
				served, listen = r, r.Addr()
			}
			s, err := practice.Push(cmd.Context(), listen, dir)
			if err != nil {
				if served != nil {
					served.Close()
				}
				return err
			}
			printPractice(cmd.OutOrStdout(), s)
			if served == nil {
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "\nThe built-in registry serves at %s until Ctrl-C; run the steps in another terminal.\n", served.URL())
			return serveUntilDone(cmd.Context(), served)
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", config.BuiltinRegistryAddress(), "address of the built-in registry (started there when nothing answers)")
	f.StringVar(&dir, "dir", "", "where the sources list, the mapping rules and the archive go (default $XDG_DATA_HOME/ferry/practice)")
	rootFlag(cmd, &root)
	return cmd
}

func printPractice(w io.Writer, s *practice.Set) {
	fmt.Fprintf(w, "Practice images on the low side of %s:\n", s.Host)
	for _, img := range append(s.Images, s.Signature) {
		fmt.Fprintf(w, "  %-13s %s\n", img.Kind, img.Ref)
	}
	fmt.Fprintf(w, "Sources list: %s\nMapping rules: %s\n\nThe transfer, step by step:\n", s.Sources, s.Rules)
	for i, c := range s.Commands() {
		fmt.Fprintf(w, "  %d. %s\n", i+1, c)
	}
	fmt.Fprintf(w, "Then the images are on the high side, e.g. %s, with the same digests.\n", s.Scattered(s.Images[0]))
}
