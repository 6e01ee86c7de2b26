package cli

import (
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"ferry/backend/bridge"
)

// serveUI serves the frontend and the bound App to a browser until Ctrl-C.
func serveUI(cmd *cobra.Command, g *globals, listen string, allowRemote bool, token string, noToken bool) error {
	if err := bridge.CheckAddr(listen, allowRemote); err != nil {
		return err
	}
	if g.opts.Frontend == nil {
		return fmt.Errorf("this build cannot serve the UI")
	}
	assets := g.opts.Assets
	if assets == nil || !hasIndex(assets) {
		return fmt.Errorf("this binary was built without the frontend; build it with `make build` (or go build -tags production)")
	}
	sess, err := g.openSession()
	if err != nil {
		return err
	}
	defer sess.Close()
	events := bridge.NewEvents(256)
	bound, detach := g.opts.Frontend.Attach(sess, events.Emit)
	defer detach()
	return bridge.Serve(cmd.Context(), bridge.Options{
		Addr: listen, AllowRemote: allowRemote, Token: token, NoToken: noToken,
		Assets: assets, Bound: bound, Events: events,
		Logf: sess.Log.Debugf,
		Ready: func(url string) {
			fmt.Fprintf(cmd.OutOrStdout(), "Ferry UI at %s (Ctrl-C to stop)\n", url)
		},
	})
}

func hasIndex(f fs.FS) bool {
	_, err := fs.Stat(f, "index.html")
	return err == nil
}
