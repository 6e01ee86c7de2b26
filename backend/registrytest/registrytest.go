// Package registrytest runs registries for tests: the real Distribution
// registry from Debian's docker-registry package (Start) and
// go-containerregistry's in-process registry (InProcess), plus helpers that
// push small, deterministic images, indexes and referrers to them.
package registrytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
)

// Binary is where Debian installs the Distribution registry.
const Binary = "/usr/bin/docker-registry"

// RequireEnv, set to 1 (as CI does), turns a missing registry binary from a
// skipped test into a failed one.
const RequireEnv = "FERRY_REQUIRE_REGISTRY"

// Registry is a Distribution registry process serving plain HTTP on loopback,
// with its storage in a temporary directory and deletes enabled.
type Registry struct {
	host    string
	cmd     *exec.Cmd
	exited  chan struct{}
	logFile string

	stopOnce sync.Once
	stopErr  error
}

// Start runs a registry for the test and stops it in t.Cleanup. It skips the
// test when docker-registry is not installed, unless FERRY_REQUIRE_REGISTRY=1.
func Start(t testing.TB) *Registry {
	t.Helper()
	bin, err := binary()
	if err != nil {
		missing(t, err)
		return nil
	}

	dir := t.TempDir()
	// A free port can be taken between choosing and binding it; try again then.
	var lastErr error
	for range 3 {
		r, err := start(bin, dir)
		if err == nil {
			t.Cleanup(func() {
				if err := r.Stop(); err != nil {
					t.Errorf("stopping registry: %v", err)
				}
			})
			return r
		}
		lastErr = err
	}
	t.Fatalf("starting docker-registry: %v", lastErr)
	return nil
}

func binary() (string, error) {
	if _, err := os.Stat(Binary); err == nil {
		return Binary, nil
	}
	if found, err := exec.LookPath("docker-registry"); err == nil {
		return found, nil
	}
	return "", errors.New("docker-registry is not installed (apt-get install docker-registry)")
}

// missing skips t, or fails it when FERRY_REQUIRE_REGISTRY=1.
func missing(t testing.TB, err error) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%v, and %s=1 requires it", err, RequireEnv)
		return
	}
	t.Skipf("%v; set %s=1 to fail instead of skipping", err, RequireEnv)
}

const configTemplate = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: registrytest
`

func start(bin, dir string) (*Registry, error) {
	host, err := freeAddr()
	if err != nil {
		return nil, err
	}
	storage, err := os.MkdirTemp(dir, "storage-")
	if err != nil {
		return nil, err
	}
	cfg := storage + ".yaml"
	if err := os.WriteFile(cfg, fmt.Appendf(nil, configTemplate, storage, host), 0o600); err != nil {
		return nil, err
	}
	logFile := storage + ".log"
	out, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer out.Close()

	cmd := exec.Command(bin, "serve", cfg)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &Registry{host: host, cmd: cmd, exited: make(chan struct{}), logFile: logFile}
	go func() {
		_ = cmd.Wait()
		close(r.exited)
	}()
	if err := r.waitReady(10 * time.Second); err != nil {
		_ = r.Stop()
		return nil, err
	}
	return r, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitReady polls /v2/ until the registry answers 200.
func (r *Registry) waitReady(limit time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-r.exited:
			return fmt.Errorf("registry exited at start: %s", r.log())
		default:
		}
		resp, err := client.Get("http://" + r.host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("registry on %s did not answer within %s: %s", r.host, limit, r.log())
}

func (r *Registry) log() string {
	b, _ := os.ReadFile(r.logFile)
	return strings.TrimSpace(string(b))
}

// Host is the registry's address, "127.0.0.1:PORT", ready for references.
func (r *Registry) Host() string { return r.host }

// Ref returns Host()+"/"+path, e.g. r.Ref("app/web:1").
func (r *Registry) Ref(path string) string { return r.host + "/" + path }

// PID is the registry process id.
func (r *Registry) PID() int { return r.cmd.Process.Pid }

// Stop ends the registry (SIGTERM, then SIGKILL after 5 s) and waits for it to
// exit. It is safe to call more than once; Start's cleanup calls it.
func (r *Registry) Stop() error {
	r.stopOnce.Do(func() {
		if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			r.stopErr = err
		}
		select {
		case <-r.exited:
		case <-time.After(5 * time.Second):
			_ = r.cmd.Process.Kill()
			<-r.exited
		}
	})
	return r.stopErr
}

// InProcess starts go-containerregistry's in-process registry (with the OCI
// referrers API) on a loopback httptest server for the test and returns its
// host, "127.0.0.1:PORT". Its requests are not logged.
func InProcess(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(Handler())
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// Handler is the in-process registry as an http.Handler, for tests that wrap
// it (to demand credentials, fail requests, count them...).
func Handler() http.Handler {
	return ggcrregistry.New(
		ggcrregistry.WithReferrersSupport(true),
		ggcrregistry.Logger(log.New(io.Discard, "", 0)),
	)
}

// ctx is the context of helper pushes: tests are short, so a hung registry
// should fail the test rather than hang it.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}
