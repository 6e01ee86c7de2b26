package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"ferry/backend/config"
)

func init() { register(newConfigCmd) }

func newConfigCmd(g *globals) *cobra.Command {
	var sample bool
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration, or a commented sample",
		Example: `  ferry config                 # the configuration in effect, defaults filled in
  ferry config --sample > ~/.config/ferry/config.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if sample {
				fmt.Fprint(cmd.OutOrStdout(), config.Sample())
				return nil
			}
			cfg, err := g.config()
			if err != nil {
				return err
			}
			b, err := config.Marshal(cfg)
			if err != nil {
				return err
			}
			if path, _ := config.Resolve(g.configFiles); path != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "# from %s\n", path)
			} else {
				fmt.Fprintln(cmd.OutOrStdout(), "# no configuration file found: defaults")
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	cmd.Flags().BoolVarP(&sample, "sample", "s", false, "print a valid, commented sample configuration")
	return cmd
}

// config loads the configuration the global flags and environment name.
// Unknown keys and bad values stop the verb with their file and line.
func (g *globals) config() (*config.Config, error) {
	return config.Load(g.configFiles)
}
