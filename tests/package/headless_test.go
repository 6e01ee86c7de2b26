//go:build package

// Package pkgtest checks the headless release binary as a server without a
// desktop runs it: built by `make package`, named by FERRY_HEADLESS_BIN.
package pkgtest

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"ferry/backend/registrytest"
)

func headlessBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("FERRY_HEADLESS_BIN")
	if bin == "" {
		t.Fatal("FERRY_HEADLESS_BIN is not set: run these tests with make package-test")
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// ferry runs the binary with its data and configuration under home.
func ferry(t *testing.T, home string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(headlessBin(t), args...)
	cmd.Env = append(os.Environ(),
		"HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"FERRY_DB=", "ACE_DT_CONFIG=", "DISPLAY=", "WAYLAND_DISPLAY=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestHeadlessLinksNoDesktopLibraries(t *testing.T) {
	out, err := exec.Command("ldd", headlessBin(t)).CombinedOutput()
	if err != nil {
		t.Fatalf("ldd: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "libc.so") {
		t.Fatalf("ldd lists no libc: is this the release binary?\n%s", out)
	}
	if m := regexp.MustCompile(`(?i)\S*(gtk|gdk|webkit|javascriptcore|soup)\S*`).FindString(string(out)); m != "" {
		t.Errorf("the headless binary links %s:\n%s", m, out)
	}
}

func TestHeadlessWithoutArgumentsPointsToUI(t *testing.T) {
	out, err := ferry(t, t.TempDir())
	var ee *exec.ExitError
	if err == nil || !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("ferry with no arguments: want exit status 2, got %v\n%s", err, out)
	}
	if !strings.Contains(out, `"ferry ui"`) || !strings.Contains(out, "headless") {
		t.Errorf("ferry with no arguments does not point to ferry ui:\n%s", out)
	}
}

// The four steps of a transfer, low side to high side, on two real registries.
func TestHeadlessTransferOnRealRegistries(t *testing.T) {
	low, high := registrytest.Start(t), registrytest.Start(t)
	web, _ := registrytest.PushImage(t, low.Ref("app/web:1")).Digest()
	multi, _ := registrytest.PushIndex(t, low.Ref("app/multi:2")).Digest()
	home := t.TempDir()
	list := filepath.Join(home, "sources.list")
	if err := os.WriteFile(list, []byte(low.Ref("app/web:1")+"\n"+low.Ref("app/multi:2")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tar := filepath.Join(home, "transfer.tar")
	for _, step := range [][]string{
		{"mirror", "gather", list, low.Ref("transfer/sync:1")},
		{"mirror", "serialize", low.Ref("transfer/sync:1"), tar},
		{"mirror", "deserialize", tar, high.Ref("transfer/sync:1")},
		{"mirror", "scatter", high.Ref("transfer/sync:1"), "nest=" + high.Host() + "/site"},
	} {
		if out, err := ferry(t, home, step...); err != nil {
			t.Fatalf("ferry %s: %v\n%s", strings.Join(step, " "), err, out)
		}
	}
	src := strings.Replace(low.Host(), ":", "_", 1)
	for ref, want := range map[string]string{
		high.Host() + "/site/" + src + "/app/web:1":   web.String(),
		high.Host() + "/site/" + src + "/app/multi:2": multi.String(),
	} {
		r, err := name.ParseReference(ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		d, err := remote.Head(r)
		if err != nil {
			t.Errorf("%s after the transfer: %v", ref, err)
			continue
		}
		if d.Digest.String() != want {
			t.Errorf("%s is %s, want %s", ref, d.Digest, want)
		}
	}
}

// `ferry ui` is the headless build's window: it serves the embedded frontend.
func TestHeadlessServesTheUI(t *testing.T) {
	home := t.TempDir()
	cmd := exec.Command(headlessBin(t), "ui", "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "FERRY_DB=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	url := regexp.MustCompile(`http://\S+`).FindString(line)
	if url == "" {
		t.Fatalf("ferry ui printed no address (%v): %q\n%s", err, line, stderr.String())
	}
	jar, _ := cookiejar.New(nil)
	resp, err := (&http.Client{Jar: jar, Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<title>Ferry</title>") {
		t.Errorf("GET %s: %s, want the frontend's index.html:\n%.300s", url, resp.Status, body)
	}
}
