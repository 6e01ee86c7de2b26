//go:build bindings

package main

// generatingBindings is set in the build `make bindings` runs, which has
// no window to open and needs no display.
const generatingBindings = true
