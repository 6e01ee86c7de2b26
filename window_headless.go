//go:build headless

package main

import (
	"fmt"
	"os"
)

// runWindow in the headless build has no window to open: it points to the
// browser UI, which every build has.
func runWindow() {
	fmt.Fprintln(os.Stderr, `This is Ferry's headless build: it has no desktop window.
Run "ferry ui" to serve the UI to a browser, or "ferry --help" for the command line.`)
	os.Exit(2)
}
