package main

import (
	"errors"
	"strings"
	"testing"
)

func TestDisplayProblem(t *testing.T) {
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	none := env(nil)
	msg := displayProblem("linux", none)
	for _, want := range []string{"ferry ui", "DISPLAY", "WAYLAND_DISPLAY"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message without a display does not mention %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "panic") || strings.Contains(msg, "GTK") {
		t.Errorf("message speaks of internals:\n%s", msg)
	}
	if m := displayProblem("linux", env(map[string]string{"DISPLAY": "  "})); m == "" {
		t.Error("a blank DISPLAY was taken for a display")
	}
	for _, vars := range []map[string]string{{"DISPLAY": ":0"}, {"WAYLAND_DISPLAY": "wayland-0"}} {
		if m := displayProblem("linux", env(vars)); m != "" {
			t.Errorf("%v: %s", vars, m)
		}
	}
	if m := displayProblem("freebsd", none); m == "" {
		t.Error("freebsd without DISPLAY: no message")
	}
	for _, goos := range []string{"darwin", "windows"} {
		if m := displayProblem(goos, none); m != "" {
			t.Errorf("%s needs no DISPLAY, got %s", goos, m)
		}
	}
}

func TestWindowFailure(t *testing.T) {
	msg, ok := windowFailure(errors.New("failed to init GTK"))
	if !ok || !strings.Contains(msg, "ferry ui") || !strings.Contains(msg, "DISPLAY") {
		t.Errorf("GTK failure: %v %q", ok, msg)
	}
	if _, ok := windowFailure("index out of range"); ok {
		t.Error("an unrelated panic was taken for a display problem")
	}
	if _, ok := windowFailure(errors.New("something else")); ok {
		t.Error("an unrelated error was taken for a display problem")
	}
}
