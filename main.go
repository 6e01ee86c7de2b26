// Ferry moves OCI images and artifacts across an air gap. With no arguments
// it opens the desktop window; with a verb it runs the CLI and never touches
// GTK, so it works over SSH with no display. The headless build (tag
// headless) links no GTK or WebKit at all: see window_headless.go.
package main

import (
	"os"

	"ferry/backend/cli"
	"ferry/backend/session"
)

func main() {
	if len(os.Args) > 1 {
		// `ferry ui` serves the same App as the window, to a browser.
		os.Exit(cli.Execute(cli.Options{Assets: assets, Frontend: browserUI{}}))
	}
	runWindow()
}

// browserUI gives `ferry ui` a new App over the session the CLI opened.
type browserUI struct{}

func (browserUI) Attach(s *session.Session, emit func(string, any)) (bound any, detach func()) {
	a := NewApp(s, emit)
	return a, a.detach
}
