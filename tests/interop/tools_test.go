//go:build interop

package interop

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tool is one command-line program under test.
type tool struct {
	name string
	bin  string
	dir  string // the working directory; empty: the run's fresh home
}

// in is the tool run in dir, for command lines with relative paths.
func (tl *tool) in(dir string) *tool {
	c := *tl
	c.dir = dir
	return &c
}

// both lists the tools in a fixed order, for matrices.
func both() []*tool { return []*tool{ferry, acedt} }

// result is one finished run of a tool.
type result struct {
	out string // standard output and error, interleaved
	err error  // nil on exit 0
}

// run runs the tool with args under config, in a home of its own: a fresh
// HOME, caches, data and configuration directories, so no run sees another's
// state (the reference caches every blob it moves).
//
// The reference's gather sometimes fails with MANIFEST_BLOB_UNKNOWN when two
// of its sources upload a shared layer at once on Distribution 2.8 (a known
// defect of it): such a run of the reference, and only of the reference, is
// tried again, up to three times in all, saying so.
func (tl *tool) run(t testing.TB, config string, args ...string) result {
	t.Helper()
	r := tl.runOnce(t, config, args...)
	for try := 2; try <= 3 && tl.name == acedt.name && r.err != nil && strings.Contains(r.out, "blob unknown to registry"); try++ {
		t.Logf("reference defect (its concurrent uploads race on Distribution 2.8): running it again, try %d of 3", try)
		r = tl.runOnce(t, config, args...)
	}
	return r
}

func (tl *tool) runOnce(t testing.TB, config string, args ...string) result {
	t.Helper()
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tl.bin, args...)
	cmd.Dir = home
	if tl.dir != "" {
		cmd.Dir = tl.dir
	}
	cmd.Env = append(cleanEnv(),
		"HOME="+home,
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"),
		"XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"ACE_DT_CACHE_PATH="+filepath.Join(home, "cache", "ace-dt"),
		"DOCKER_CONFIG="+filepath.Join(home, "docker"),
	)
	if config != "" {
		cmd.Env = append(cmd.Env, "ACE_DT_CONFIG="+config)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out: %w", err)
	}
	t.Logf("%s %s (%s, %v)\n%s", tl.name, strings.Join(args, " "), time.Since(start).Round(time.Millisecond), err, clip(out.String()))
	return result{out: out.String(), err: err}
}

// must runs the tool and fails the test unless it exits 0.
func (tl *tool) must(t testing.TB, config string, args ...string) string {
	t.Helper()
	r := tl.run(t, config, args...)
	if r.err != nil {
		t.Fatalf("%s %s: %v\n%s", tl.name, strings.Join(args, " "), r.err, clip(r.out))
	}
	return r.out
}

// cleanEnv is the environment without anything that would point a tool at
// the user's own configuration, data or credentials.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "ACE_DT_") || strings.HasPrefix(k, "FERRY_") || strings.HasPrefix(k, "XDG_") ||
			k == "HOME" || k == "DOCKER_CONFIG" || k == "REGISTRY_AUTH_FILE" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// clip keeps the end of long output, where the errors are.
func clip(s string) string {
	const max = 4000
	if len(s) <= max {
		return s
	}
	return "…" + s[len(s)-max:]
}
