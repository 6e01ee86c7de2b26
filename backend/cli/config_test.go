package cli

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// referenceLoadsConfig runs the reference tool with file as its --config
// on a command that loads the configuration strictly before it contacts a
// registry (ace-dt's own `config` verb falls back to defaults silently on
// a bad file). The registry is a loopback listener that only counts
// connections: a connection means the configuration was accepted.
func referenceLoadsConfig(t *testing.T, tool, file string) (output string, accepted bool) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, "--config", file, "oci", "tree", ln.Addr().String()+"/probe:1")
	// ace-dt refuses an empty ACE_DT_VERBOSITY, so its variables are dropped, not emptied.
	cmd.Env = []string{"HOME=" + home, "ACE_DT_CACHE_PATH=" + filepath.Join(home, "cache")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ACE_DT_") && !strings.HasPrefix(kv, "HOME=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, _ := cmd.CombinedOutput()
	ln.Close()
	return string(out), conns.Load() > 0 && !strings.Contains(string(out), "failed to load config")
}

// TestConfigSampleSharedWithReference: the sample and the printed
// configuration load in the reference tool as they are, and Ferry still
// reads its own settings from them.
func TestConfigSampleSharedWithReference(t *testing.T) {
	tool := referenceTool(t)
	home := t.TempDir()

	// The probe tells a refused file from an accepted one.
	bad := writeFile(t, home, "bad.yaml", "apiVersion: config.dt.act3-ace.io/v1alpha1\nkind: Configuration\nbogus: 1\n")
	if out, ok := referenceLoadsConfig(t, tool, bad); ok || !strings.Contains(out, `unknown field "bogus"`) {
		t.Fatalf("the reference accepted an unknown key, so this test proves nothing:\n%s", out)
	}

	sample, _, err := run(t, home, "config", "--sample")
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(sample, "\n  concurrency: 4 ", "\n  concurrency: 9 ", 1)
	if edited == sample {
		t.Fatalf("the sample has no ferry concurrency line:\n%s", sample)
	}
	file := writeFile(t, home, "config.yaml", edited)
	if out, ok := referenceLoadsConfig(t, tool, file); !ok {
		t.Errorf("the reference refuses `ferry config --sample`:\n%s", out)
	}
	printed, _, err := run(t, home, "--config", file, "config")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(printed, "\n  concurrency: 9\n") {
		t.Errorf("Ferry did not read its settings from the sample:\n%s", printed)
	}
	if out, ok := referenceLoadsConfig(t, tool, writeFile(t, home, "printed.yaml", printed)); !ok {
		t.Errorf("the reference refuses the output of `ferry config`:\n%s", out)
	}
}
