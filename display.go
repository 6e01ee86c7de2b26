package main

import (
	"fmt"
	"runtime"
	"strings"
)

// noDisplayMessage is what `ferry` with no arguments says when there is no
// display to open its window on, instead of GTK's panic.
const noDisplayMessage = `Ferry cannot open its window: %s.
Run "ferry ui" to use Ferry in a web browser, or set DISPLAY (or WAYLAND_DISPLAY)
to a display you can use; "ferry --help" lists the command-line verbs.`

// displayProblem says why a window cannot be opened in an environment
// (getenv reads it), or "" when it may be. Only X11 and Wayland systems
// need a display named by the environment.
func displayProblem(goos string, getenv func(string) string) string {
	switch goos {
	case "windows", "darwin", "ios", "android", "js", "wasip1":
		return ""
	}
	if strings.TrimSpace(getenv("DISPLAY")) != "" || strings.TrimSpace(getenv("WAYLAND_DISPLAY")) != "" {
		return ""
	}
	return fmt.Sprintf(noDisplayMessage, "no display is set (neither DISPLAY nor WAYLAND_DISPLAY)")
}

// windowFailure turns GTK's refusal to start, which Wails raises as a
// panic, into the same message; other panics are not Ferry's to hide.
func windowFailure(recovered any) (string, bool) {
	err, ok := recovered.(error)
	if !ok || !strings.Contains(err.Error(), "failed to init GTK") {
		return "", false
	}
	return fmt.Sprintf(noDisplayMessage, "the display cannot be opened (GTK failed to start)"), true
}

var hostOS = runtime.GOOS
