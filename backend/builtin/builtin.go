// Package builtin is Ferry's own registry: the CNCF Distribution registry
// (github.com/distribution/distribution/v3) embedded as a library, with
// filesystem storage under Ferry's data directory. It lets an operator try
// Ferry, or carry images on a laptop, without installing a registry.
//
// It listens on loopback and speaks plain HTTP unless AllowRemote is set, and
// then only with TLS and htpasswd authentication, both given to Distribution
// through its own configuration.
package builtin

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"

	"ferry/backend/config"
	"ferry/backend/session"

	// The storage driver and access controller the configuration names.
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

// DefaultListen is where the built-in registry listens unless told
// otherwise ($FERRY_BUILTIN_REGISTRY moves it).
const DefaultListen = config.BuiltinRegistry

// DefaultRoot is the storage directory: "registry" in Ferry's data
// directory ($XDG_DATA_HOME/ferry/registry).
func DefaultRoot() string { return filepath.Join(session.DefaultPaths().DataDir, "registry") }

// Options say where and how the registry serves.
type Options struct {
	// Listen is host:port (config.BuiltinRegistryAddress when empty); port 0 picks a free one.
	Listen string
	// Root is the storage directory (DefaultRoot when empty).
	Root string
	// AllowRemote permits a non-loopback address; TLSCert, TLSKey and
	// Htpasswd are then all required.
	AllowRemote bool
	TLSCert     string
	TLSKey      string
	// Htpasswd is an existing bcrypt htpasswd file.
	Htpasswd string
	// Log receives Distribution's log lines (its per-request lines at
	// debug); nil discards them.
	Log *logrus.Logger
}

func (o Options) withDefaults() Options {
	if o.Listen == "" {
		o.Listen = config.BuiltinRegistryAddress()
	}
	if o.Root == "" {
		o.Root = DefaultRoot()
	}
	return o
}

// Configuration is the Distribution configuration for o, after checking
// that a non-loopback address has TLS and credentials. The message of a
// refusal says what to add.
func (o Options) Configuration() (*configuration.Configuration, error) {
	o = o.withDefaults()
	host, _, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: want host:port, e.g. %s", o.Listen, DefaultListen)
	}
	remote := !config.IsLoopback(host)
	if remote && !o.AllowRemote {
		return nil, fmt.Errorf("%s can be reached from other machines: listen on a loopback address (e.g. %s), or add --allow-remote with --tls-cert, --tls-key and --htpasswd", o.Listen, DefaultListen)
	}
	if o.AllowRemote {
		var missing []string
		for _, f := range []struct{ flag, path string }{{"--tls-cert", o.TLSCert}, {"--tls-key", o.TLSKey}, {"--htpasswd", o.Htpasswd}} {
			if f.path == "" {
				missing = append(missing, f.flag+" FILE")
				continue
			}
			if _, err := os.Stat(f.path); err != nil {
				return nil, fmt.Errorf("%s: %w", f.flag, err)
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("remote access needs TLS and htpasswd authentication: add %s (an htpasswd file is made with `htpasswd -Bc FILE USER`)", strings.Join(missing, ", "))
		}
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	c := &configuration.Configuration{Version: "0.1"}
	c.Storage = configuration.Storage{
		"filesystem": configuration.Parameters{"rootdirectory": o.Root},
		"delete":     configuration.Parameters{"enabled": true},
	}
	// Layers with URLs (non-distributable ones, such as Windows base
	// layers) are accepted: Ferry copies them across the gap like any other.
	c.Validation.Manifests.URLs.Allow = []string{"^https?://"}
	// Distribution's defaults, which only its YAML parser would fill in
	// (the parser also reads REGISTRY_* variables, which must not move the
	// storage or the address from under Ferry).
	c.Catalog.MaxEntries, c.Tags.MaxTags = 1000, 1000
	c.HTTP.Addr = o.Listen
	c.HTTP.Secret = hex.EncodeToString(secret)
	if o.AllowRemote {
		c.HTTP.TLS.Certificate = o.TLSCert
		c.HTTP.TLS.Key = o.TLSKey
		c.Auth = configuration.Auth{"htpasswd": configuration.Parameters{"realm": "ferry", "path": o.Htpasswd}}
	}
	return c, nil
}

// Registry is a running built-in registry.
type Registry struct {
	root   string
	addr   string
	tls    bool
	srv    *http.Server
	app    *handlers.App
	unlock func()
	done   chan struct{}

	mu      sync.Mutex
	err     error
	stopped bool
}

// Start serves the registry until Close. The storage directory is locked:
// a second registry, or a garbage collection, on it is refused meanwhile.
func Start(ctx context.Context, o Options) (r *Registry, err error) {
	o = o.withDefaults()
	cfg, err := o.Configuration()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Root, 0o700); err != nil {
		return nil, fmt.Errorf("registry storage: %w", err)
	}
	unlock, err := lockRoot(o.Root)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			unlock()
		}
	}()
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return nil, fmt.Errorf("built-in registry: %w", err)
	}
	app, err := newApp(ctx, cfg, o.Log)
	if err != nil {
		ln.Close()
		return nil, err
	}
	r = &Registry{root: o.Root, addr: ln.Addr().String(), app: app, unlock: unlock, done: make(chan struct{})}
	r.srv = &http.Server{Handler: app, ReadHeaderTimeout: 30 * time.Second, ErrorLog: discardLog()}
	if cfg.HTTP.TLS.Certificate != "" {
		r.tls = true
		r.srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	go func() {
		defer close(r.done)
		var err error
		if r.tls {
			err = r.srv.ServeTLS(ln, cfg.HTTP.TLS.Certificate, cfg.HTTP.TLS.Key)
		} else {
			err = r.srv.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			r.mu.Lock()
			r.err = err
			r.mu.Unlock()
		}
	}()
	return r, nil
}

// newApp builds Distribution's application, turning its panics on a bad
// configuration into an error.
func newApp(ctx context.Context, cfg *configuration.Configuration, log *logrus.Logger) (app *handlers.App, err error) {
	routeLogs(log)
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("built-in registry: %v", p)
		}
	}()
	return handlers.NewApp(ctx, cfg), nil
}

// Addr is the address the registry listens on, host:port.
func (r *Registry) Addr() string { return r.addr }

// Root is the storage directory.
func (r *Registry) Root() string { return r.root }

// URL is the registry's base URL.
func (r *Registry) URL() string {
	if r.tls {
		return "https://" + r.addr
	}
	return "http://" + r.addr
}

// Done is closed when the registry has stopped serving.
func (r *Registry) Done() <-chan struct{} { return r.done }

// Err is why the registry stopped serving by itself, nil after Close.
func (r *Registry) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Close stops the registry, letting requests in flight finish for up to
// three seconds, and releases the storage directory.
func (r *Registry) Close() error {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return nil
	}
	r.stopped = true
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err := r.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// A client still holds a connection: stop it without waiting more.
		err = r.srv.Close()
	}
	<-r.done
	if serr := r.app.Shutdown(); err == nil {
		err = serr
	}
	r.unlock()
	return err
}

// Answers reports whether a registry answers plain HTTP at host: another
// process's built-in registry, for instance.
func Answers(ctx context.Context, host string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/v2/", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.Header.Get("Docker-Distribution-Api-Version") != "" || resp.StatusCode == http.StatusOK
}
