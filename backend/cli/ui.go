package cli

import (
	"github.com/spf13/cobra"
)

func newUICmd(g *globals) *cobra.Command {
	var listen, token string
	var allowRemote bool
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Serve the Ferry UI to a browser (loopback only by default)",
		Example: `  ferry ui --listen 127.0.0.1:34115
  ferry ui --listen 0.0.0.0:34115 --allow-remote   # prints a token to open the page with`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return serveUI(cmd, g, listen, allowRemote, token)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:34115", "address to listen on")
	cmd.Flags().BoolVar(&allowRemote, "allow-remote", false, "allow a non-loopback address (then a token is required)")
	cmd.Flags().StringVar(&token, "token", "", "access token for --allow-remote (random when empty)")
	return cmd
}
