package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func init() { register(newMirrorCmd) }

// mirrorVerbs are the `ferry mirror` subcommands; each verb's file adds itself.
var mirrorVerbs []func(*globals) *cobra.Command

func newMirrorCmd(g *globals) *cobra.Command {
	cmd := groupCommand(&cobra.Command{
		Use:   "mirror",
		Short: "Move images: gather, serialize, deserialize, scatter, clone, archive, unarchive, verify, batch-serialize, batch-deserialize",
	})
	// Persistent, as in the reference: `mirror -r gather` and `mirror gather -r`
	// both work, and every verb takes it.
	cmd.PersistentFlags().BoolVarP(&g.recursive, "recursive", "r", false,
		"also copy the referrers (signatures, SBOMs) of every manifest; deserialize, verify and diff accept it and need nothing more (a medium's referrers are always read)")
	for _, v := range mirrorVerbs {
		cmd.AddCommand(v(g))
	}
	return cmd
}

// groupCommand makes a command that only holds subcommands fail, instead of
// printing its usage and succeeding, when the subcommand is missing or
// unknown: a scheduled job must not "succeed" having done nothing.
func groupCommand(cmd *cobra.Command) *cobra.Command {
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(c *cobra.Command, args []string) error {
		var names []string
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		if len(args) == 0 {
			return fmt.Errorf("%s needs a subcommand: %s (see %s --help)", c.CommandPath(), strings.Join(names, ", "), c.CommandPath())
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
		if c.SuggestionsMinimumDistance <= 0 {
			c.SuggestionsMinimumDistance = 2
		}
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return fmt.Errorf("%s (available: %s)", msg, strings.Join(names, ", "))
	}
	return cmd
}
