//go:build interop

// Package interop runs Ferry and the reference tool (ace-dt) side by side
// against real Distribution registries: each writes what the other reads,
// both map and filter the same sources, and whatever lands is read back
// whole by an independent client. make interop runs it (ACEDT=path).
package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// ferry and acedt are the two tools under test, run as a user runs them.
var ferry, acedt *tool

// crane is go-containerregistry's command line, a third, independent reader
// of what lands (crane validate).
var crane string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ref := os.Getenv("ACEDT")
	if ref == "" {
		fmt.Fprintln(os.Stderr, "interop: ACEDT is not set: give the path of the reference ace-dt binary (make interop does)")
		return 1
	}
	ref, err := filepath.Abs(ref)
	if err == nil {
		_, err = exec.LookPath(ref)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "interop: ACEDT=%s is not an executable: %v\n", os.Getenv("ACEDT"), err)
		return 1
	}
	dir, err := os.MkdirTemp("", "ferry-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "ferry")
	crane = filepath.Join(dir, "crane")
	for out, pkg := range map[string]string{bin: ".", crane: "github.com/google/go-containerregistry/cmd/crane"} {
		build := exec.Command("go", "build", "-o", out, pkg)
		build.Dir = filepath.Join("..", "..")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "interop: building %s: %v\n", pkg, err)
			return 1
		}
	}
	ferry = &tool{name: "ferry", bin: bin}
	acedt = &tool{name: "ace-dt", bin: ref}
	return m.Run()
}
