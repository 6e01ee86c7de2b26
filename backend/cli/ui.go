package cli

import (
	"github.com/spf13/cobra"
)

func newUICmd(g *globals) *cobra.Command {
	var listen, token string
	var allowRemote, noToken bool
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Serve the Ferry UI to a browser (loopback only by default)",
		Long: `Serve the Ferry UI and its backend to a browser. The address printed carries an
access token: open it as printed. Without --allow-remote only loopback addresses are
accepted.`,
		Example: `  ferry ui --listen 127.0.0.1:34115
  ferry ui --listen 0.0.0.0:34115 --allow-remote`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return serveUI(cmd, g, listen, allowRemote, token, noToken)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:34115", "address to listen on")
	cmd.Flags().BoolVar(&allowRemote, "allow-remote", false, "allow a non-loopback address (then a token is required)")
	cmd.Flags().StringVar(&token, "token", "", "access token (random when empty)")
	cmd.Flags().BoolVar(&noToken, "insecure-no-token", false, "serve without a token: any local process may use the UI (automated tests only)")
	cmd.Flags().MarkHidden("insecure-no-token")
	return cmd
}
