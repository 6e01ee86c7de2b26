// Package bridge serves the built frontend and a bound Go value over HTTP, so
// the desktop UI also runs in an ordinary browser: for browser tests, and for
// hosts without a display. It stands in for the Wails IPC: a shim script
// gives the page the same window.go.<pkg>.<Type>.<Method> functions and
// window.runtime.Events* calls that Wails provides in the window.
//
// Calls are POST /api/call with {"method": "Name", "args": [...]}; events are
// server-sent on GET /api/events. It listens on loopback unless told otherwise,
// and then only with a token.
package bridge

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"time"
)

// Options configure a bridge.
type Options struct {
	// Addr is the listen address, host:port. The host must be a loopback
	// address or "localhost" unless AllowRemote is set.
	Addr string
	// AllowRemote permits any listen address. A token is then always
	// required: Token, or a random one when Token is empty.
	AllowRemote bool
	// Token must accompany every /api request, in the X-Ferry-Token header
	// or in the cookie set by visiting /?token=TOKEN. A random one is made
	// when empty: other accounts on a shared laptop must not drive the App.
	Token string
	// NoToken serves /api to anyone who can reach the address; only for
	// automated tests on a single-user machine. Refused with AllowRemote.
	NoToken bool
	// Assets holds the built frontend with index.html at its root.
	Assets fs.FS
	// Bound is the value whose exported methods the page may call, usually
	// a pointer to a struct. The page sees it as window.go.<pkg>.<Type>.
	Bound any
	// Events, when not nil, is streamed to every page at /api/events.
	Events *Events
	// Logf reports what the bridge does and skips; nil discards.
	Logf func(format string, args ...any)
	// Ready, when not nil, is called by Serve once it listens, with the
	// address to open in a browser (carrying the token when one is required).
	Ready func(url string)
}

// TokenHeader and TokenCookie carry the access token on /api requests.
const (
	TokenHeader = "X-Ferry-Token"
	TokenCookie = "ferry_token"
)

// Server is a bridge ready to serve. It is an http.Handler, so tests can
// mount it on httptest.
type Server struct {
	opts    Options
	binding *binding
	shim    []byte
	mux     *http.ServeMux
}

// New checks the options and builds the handler; it does not listen.
// Without Token (and without NoToken) a random token is generated (see Token).
func New(o Options) (*Server, error) {
	if o.Assets == nil {
		return nil, errors.New("bridge: no assets")
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.NoToken && o.AllowRemote {
		return nil, errors.New("bridge: a remote listener always needs a token")
	}
	if o.NoToken {
		o.Token = ""
	} else if o.Token == "" {
		t, err := randomToken()
		if err != nil {
			return nil, err
		}
		o.Token = t
	}
	b, err := bind(o.Bound, o.Logf)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: o, binding: b, shim: shimScript(b), mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /api/call", s.handleCall)
	s.mux.HandleFunc("GET /api/events", s.handleEvents)
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	s.mux.HandleFunc("GET /wails-shim.js", s.handleShim)
	s.mux.Handle("/", s.assetHandler())
	return s, nil
}

// Token returns the token required on /api requests, or "" when none is.
func (s *Server) Token() string { return s.opts.Token }

// ServeHTTP applies the host, origin and token checks, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// A page on another site may resolve its own name to 127.0.0.1 (DNS
	// rebinding); refusing foreign Host headers keeps it out.
	if !s.opts.AllowRemote && !isLoopbackHost(r.Host) {
		writeError(w, http.StatusForbidden, "host not allowed: "+r.Host)
		return
	}
	if t := r.URL.Query().Get("token"); t != "" && r.URL.Path == "/" {
		s.acceptToken(w, r, t)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r.Host) {
			writeError(w, http.StatusForbidden, "cross-origin request refused")
			return
		}
		if !s.authorized(r) {
			writeError(w, http.StatusUnauthorized, "missing or wrong access token")
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) authorized(r *http.Request) bool {
	if s.opts.Token == "" {
		return true
	}
	got := r.Header.Get(TokenHeader)
	if got == "" {
		if c, err := r.Cookie(TokenCookie); err == nil {
			got = c.Value
		}
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.Token)) == 1
}

// acceptToken turns /?token=T into a cookie and sends the browser to / so the
// token does not stay in the address bar or the history.
func (s *Server) acceptToken(w http.ResponseWriter, r *http.Request, t string) {
	if s.opts.Token == "" || subtle.ConstantTimeCompare([]byte(t), []byte(s.opts.Token)) != 1 {
		writeError(w, http.StatusUnauthorized, "wrong access token")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     TokenCookie,
		Value:    t,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// Serve listens on o.Addr and serves until ctx is done.
func Serve(ctx context.Context, o Options) error {
	if err := CheckAddr(o.Addr, o.AllowRemote); err != nil {
		return err
	}
	s, err := New(o)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("bridge: %w", err)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		// Request contexts end with ctx, which ends the event streams too.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	url := "http://" + ln.Addr().String() + "/"
	if s.Token() != "" {
		url += "?token=" + s.Token()
	}
	if o.Ready != nil {
		o.Ready(url)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	return nil
}

// CheckAddr refuses a listen address that is not loopback, unless allowRemote.
// An empty host ("":8080) listens on every interface and so is refused too.
func CheckAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bridge: listen address %q: %w", addr, err)
	}
	if allowRemote || isLoopbackName(host) {
		return nil
	}
	return fmt.Errorf("bridge: %q is not a loopback address; listening beyond this machine needs AllowRemote (and then a token)", addr)
}

func isLoopbackName(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// isLoopbackHost checks a Host header, with or without a port.
func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return isLoopbackName(host)
}

func sameOrigin(origin, host string) bool {
	rest, ok := strings.CutPrefix(origin, "http://")
	if !ok {
		rest, ok = strings.CutPrefix(origin, "https://")
	}
	return ok && strings.EqualFold(rest, host)
}

func randomToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("bridge: token: %w", err)
	}
	return hex.EncodeToString(b), nil
}
