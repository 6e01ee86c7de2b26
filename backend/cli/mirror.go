package cli

import (
	"github.com/spf13/cobra"
)

func init() { register(newMirrorCmd) }

// mirrorVerbs are the `ferry mirror` subcommands; each verb's file adds itself.
var mirrorVerbs []func(*globals) *cobra.Command

func newMirrorCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mirror",
		Short: "Move images: gather, serialize, deserialize, scatter, clone, archive, unarchive, verify",
	}
	for _, v := range mirrorVerbs {
		cmd.AddCommand(v(g))
	}
	return cmd
}
