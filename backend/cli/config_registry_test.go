package cli

import (
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ferry/backend/registrytest"
)

// caPEM writes a test server's certificate, a CA of its own, as PEM.
func caPEM(t *testing.T, dir string) string {
	t.Helper()
	srv := httptest.NewTLSServer(nil)
	srv.Close()
	return writeFile(t, dir, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
}

// ferry config registry: set, ls, test and rm edit the file the window's
// Settings edit, and the file stays one the reference tool loads.
func TestConfigRegistryVerbs(t *testing.T) {
	home := t.TempDir()
	host := registrytest.InProcess(t)
	if _, errOut, err := run(t, home, "config", "registry", "set", host, "--plain-http"); err != nil {
		t.Fatalf("set: %v\n%s", err, errOut)
	}
	ca := caPEM(t, home)
	if _, errOut, err := run(t, home, "config", "registry", "add", "reg.high.example", "--ca-file", ca, "--endpoint", "https://mirror.high.example"); err != nil {
		t.Fatalf("add: %v\n%s", err, errOut)
	}
	// Flags not given keep their value.
	if _, errOut, err := run(t, home, "config", "registry", "set", "reg.high.example", "--skip-verify"); err != nil {
		t.Fatalf("set again: %v\n%s", err, errOut)
	}
	out, _, err := run(t, home, "config", "registry", "ls")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{host, "reg.high.example", ca, "https://mirror.high.example", "(built-in)"} {
		if !strings.Contains(out, want) {
			t.Errorf("ls lacks %q:\n%s", want, out)
		}
	}
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "reg.high.example ") {
			line = l
		}
	}
	if f := strings.Fields(line); len(f) != 5 || f[1] != "no" || f[2] != "no" {
		t.Errorf("reg.high.example: %q (want plain HTTP no, TLS verify no)", line)
	}

	out, _, err = run(t, home, "config", "registry", "test", host)
	if err != nil || !strings.Contains(out, "ok   http://"+host) || !strings.Contains(out, "plain HTTP") {
		t.Errorf("test: %v\n%s", err, out)
	}
	if _, _, err := run(t, home, "config", "registry", "test", "127.0.0.1:1"); err == nil {
		t.Error("test of a registry that does not answer succeeded")
	}

	file := filepath.Join(home, "config", "ferry", "config.yaml")
	t.Run("the reference loads the file", func(t *testing.T) {
		if out, ok := referenceLoadsConfig(t, referenceTool(t), file); !ok {
			b, _ := os.ReadFile(file)
			t.Errorf("the reference refuses the edited file:\n%s\n%s", out, b)
		}
	})

	if _, _, err := run(t, home, "config", "registry", "rm", "reg.high.example"); err != nil {
		t.Fatal(err)
	}
	if out, _, _ := run(t, home, "config", "registry", "ls"); strings.Contains(out, "reg.high.example") {
		t.Errorf("removed registry listed:\n%s", out)
	}
	if _, _, err := run(t, home, "config", "registry", "login", host, "-u", "x"); err == nil || !strings.Contains(err.Error(), "--password-stdin") {
		t.Errorf("login without --password-stdin: %v", err)
	}
}
