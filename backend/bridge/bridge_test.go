package bridge

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

type prefs struct {
	Theme       string `json:"theme"`
	Concurrency int    `json:"concurrency"`
}

// testApp has one method of each shape the bridge must handle.
type testApp struct{}

func (testApp) Version() string                { return "1.2.3" }
func (testApp) Add(x, y int) int               { return x + y }
func (testApp) Echo(p prefs) (prefs, error)    { return p, nil }
func (testApp) Save(text string) error         { return errors.New("line 3: unknown key \"colour\"") }
func (testApp) Lookup(id string) (int, error)  { return 0, errors.New("no run " + id) }
func (testApp) Runs() []string                 { return nil }
func (testApp) Boom() string                   { panic("boom") }
func (testApp) Pair() (int, int)               { return 1, 2 }
func (testApp) Watch(ch chan int)              {}
func (testApp) unexported() string             { return "hidden" }
func (testApp) Many(xs ...int) int             { return len(xs) }
func (testApp) Start(steps, millis int) string { return "job-1" }

var assets = fstest.MapFS{
	"index.html":       {Data: []byte("<!doctype html><html><head><title>Ferry</title><script type=\"module\" src=\"./assets/app.js\"></script></head><body></body></html>")},
	"assets/app.js":    {Data: []byte("console.log('app')")},
	"assets/style.css": {Data: []byte("body{}")},
}

func newServer(t *testing.T, o Options) *Server {
	t.Helper()
	if o.Assets == nil {
		o.Assets = assets
	}
	if o.Bound == nil {
		o.Bound = &testApp{}
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type reply struct {
	status int
	Result json.RawMessage `json:"result"`
	Error  *string         `json:"error"`
}

func post(t *testing.T, h http.Handler, body string, header ...string) reply {
	t.Helper()
	req := httptest.NewRequest("POST", "http://127.0.0.1:3000/api/call", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var r reply
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("%s: reply is not JSON: %q", body, rec.Body.String())
	}
	r.status = rec.Code
	return r
}

func TestCallReturnsResults(t *testing.T) {
	s := newServer(t, Options{NoToken: true})
	for _, tc := range []struct{ body, want string }{
		{`{"method":"Version","args":[]}`, `"1.2.3"`},
		{`{"method":"Version"}`, `"1.2.3"`},
		{`{"method":"Add","args":[2,3]}`, `5`},
		{`{"method":"Echo","args":[{"theme":"dark","concurrency":4}]}`, `{"theme":"dark","concurrency":4}`},
		{`{"method":"Runs","args":[]}`, `null`},
		{`{"method":"Start","args":[40,250]}`, `"job-1"`},
	} {
		r := post(t, s, tc.body)
		if r.status != http.StatusOK || r.Error != nil || string(r.Result) != tc.want {
			t.Errorf("%s: got %d %s (error %v), want 200 %s", tc.body, r.status, r.Result, r.Error, tc.want)
		}
	}
}

func TestMethodErrorsCarryTheirMessage(t *testing.T) {
	s := newServer(t, Options{NoToken: true})
	for body, want := range map[string]string{
		`{"method":"Save","args":["colour: red"]}`: `line 3: unknown key "colour"`,
		`{"method":"Lookup","args":["r9"]}`:        "no run r9",
	} {
		r := post(t, s, body)
		if r.status != http.StatusOK || r.Error == nil || *r.Error != want {
			t.Errorf("%s: got %d error %v, want 200 error %q", body, r.status, r.Error, want)
		}
	}
}

func TestCallsThatCannotBeMade(t *testing.T) {
	s := newServer(t, Options{NoToken: true})
	for _, tc := range []struct {
		body   string
		status int
		msg    string
	}{
		{`{"method":"Add","args":[2,`, http.StatusBadRequest, "bad request"},
		{`{"args":[]}`, http.StatusBadRequest, "no method"},
		{`{"method":"Nope","args":[]}`, http.StatusNotFound, `unknown method "Nope"`},
		{`{"method":"unexported","args":[]}`, http.StatusNotFound, "unknown method"},
		{`{"method":"Add","args":[1]}`, http.StatusBadRequest, "Add takes 2 arguments, got 1"},
		{`{"method":"Add","args":["two",3]}`, http.StatusBadRequest, "Add argument 1"},
		{`{"method":"Echo","args":[{"concurrency":"many"}]}`, http.StatusBadRequest, "Echo argument 1"},
		{`{"method":"Boom","args":[]}`, http.StatusInternalServerError, "Boom failed: boom"},
		// Methods of shapes the page cannot call are not bound at all.
		{`{"method":"Pair","args":[]}`, http.StatusNotFound, "unknown method"},
		{`{"method":"Watch","args":[null]}`, http.StatusNotFound, "unknown method"},
		{`{"method":"Many","args":[1,2]}`, http.StatusNotFound, "unknown method"},
	} {
		r := post(t, s, tc.body)
		if r.status != tc.status || r.Error == nil || !strings.Contains(*r.Error, tc.msg) {
			t.Errorf("%s: got %d %v, want %d with %q", tc.body, r.status, r.Error, tc.status, tc.msg)
		}
	}
}

func TestCallNeedsJSONContentType(t *testing.T) {
	s := newServer(t, Options{NoToken: true})
	req := httptest.NewRequest("POST", "http://127.0.0.1:3000/api/call", strings.NewReader(`{"method":"Version"}`))
	req.Header.Set("Content-Type", "text/plain")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain call: got %d, want 415", rec.Code)
	}
}

func get(t *testing.T, h http.Handler, url string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestShimDefinesEveryCallableMethod(t *testing.T) {
	s := newServer(t, Options{NoToken: true})
	rec := get(t, s, "http://127.0.0.1:3000/wails-shim.js")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") {
		t.Fatalf("shim: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	want := `{"methods":["Add","Boom","Echo","Lookup","Runs","Save","Start","Version"],"ns":"bridge","type":"testApp"}`
	if !strings.Contains(rec.Body.String(), want) {
		t.Errorf("shim binding: want %s in\n%s", want, rec.Body.String()[:400])
	}
	for _, fn := range []string{"EventsOn:", "EventsOnce:", "EventsOff:", "EventsEmit:", "WindowSetTitle:", "BrowserOpenURL:"} {
		if !strings.Contains(rec.Body.String(), fn) {
			t.Errorf("shim lacks runtime.%s", strings.TrimSuffix(fn, ":"))
		}
	}
}

func TestIndexLoadsShimBeforeTheApp(t *testing.T) {
	s := newServer(t, Options{NoToken: true})
	for _, path := range []string{"/", "/index.html"} {
		body := get(t, s, "http://127.0.0.1:3000"+path).Body.String()
		shim := strings.Index(body, `<script src="/wails-shim.js"></script>`)
		app := strings.Index(body, `./assets/app.js`)
		if shim < 0 || app < 0 || shim > app {
			t.Errorf("%s: shim at %d, app at %d in %s", path, shim, app, body)
		}
	}
	if rec := get(t, s, "http://127.0.0.1:3000/assets/app.js"); rec.Body.String() != "console.log('app')" {
		t.Errorf("asset served as %d %q", rec.Code, rec.Body.String())
	}
	if rec := get(t, s, "http://127.0.0.1:3000/assets/missing.js"); rec.Code != http.StatusNotFound {
		t.Errorf("missing asset: %d", rec.Code)
	}
}

func TestInjectShimWithoutHead(t *testing.T) {
	got := string(injectShim([]byte("<p>hi</p>")))
	if !strings.HasPrefix(got, `<script src="/wails-shim.js"></script>`) {
		t.Errorf("got %q", got)
	}
	got = string(injectShim([]byte(`<HTML><HEAD lang="en"><title>x</title></HEAD></HTML>`)))
	if got != `<HTML><HEAD lang="en"><script src="/wails-shim.js"></script><title>x</title></HEAD></HTML>` {
		t.Errorf("got %q", got)
	}
}

func TestTokenGuardsTheAPI(t *testing.T) {
	s := newServer(t, Options{Token: "s3cret"})
	call := `{"method":"Version","args":[]}`
	if r := post(t, s, call); r.status != http.StatusUnauthorized {
		t.Errorf("no token: %d", r.status)
	}
	if r := post(t, s, call, TokenHeader, "wrong"); r.status != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", r.status)
	}
	if r := post(t, s, call, TokenHeader, "s3cret"); r.status != http.StatusOK || string(r.Result) != `"1.2.3"` {
		t.Errorf("header token: %d %s", r.status, r.Result)
	}
	if rec := get(t, s, "http://127.0.0.1:3000/api/events"); rec.Code != http.StatusUnauthorized {
		t.Errorf("events without token: %d", rec.Code)
	}

	// Visiting /?token= sets the cookie and leaves the token out of the address.
	if rec := get(t, s, "http://127.0.0.1:3000/?token=wrong"); rec.Code != http.StatusUnauthorized {
		t.Errorf("wrong token link: %d", rec.Code)
	}
	rec := get(t, s, "http://127.0.0.1:3000/?token=s3cret")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
		t.Fatalf("token link: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != TokenCookie || !cookies[0].HttpOnly {
		t.Fatalf("token link cookies: %v", cookies)
	}
	if r := post(t, s, call, "Cookie", cookies[0].String()); r.status != http.StatusOK {
		t.Errorf("cookie token: %d", r.status)
	}

	// The page itself is not secret.
	if rec := get(t, s, "http://127.0.0.1:3000/"); rec.Code != http.StatusOK {
		t.Errorf("index without token: %d", rec.Code)
	}
}

func TestRemoteNeedsAToken(t *testing.T) {
	s := newServer(t, Options{AllowRemote: true})
	if len(s.Token()) != 32 {
		t.Fatalf("generated token %q", s.Token())
	}
	if r := post(t, s, `{"method":"Version","args":[]}`); r.status != http.StatusUnauthorized {
		t.Errorf("remote without token: %d", r.status)
	}
	if New2 := newServer(t, Options{AllowRemote: true}); New2.Token() == s.Token() {
		t.Error("two servers generated the same token")
	}
	// A loopback server needs a token too: other accounts on the laptop
	// reach loopback as well.
	local := newServer(t, Options{})
	if len(local.Token()) != 32 {
		t.Errorf("loopback server without a token: %q", local.Token())
	}
	if r := post(t, local, `{"method":"Version","args":[]}`); r.status != http.StatusUnauthorized {
		t.Errorf("loopback call without token: %d", r.status)
	}
	if _, err := New(Options{Assets: assets, AllowRemote: true, NoToken: true}); err == nil {
		t.Error("a remote listener without a token was accepted")
	}
}

func TestForeignHostsAndOriginsRefused(t *testing.T) {
	s := newServer(t, Options{NoToken: true})
	if rec := get(t, s, "http://evil.example:3000/"); rec.Code != http.StatusForbidden {
		t.Errorf("foreign Host: %d", rec.Code)
	}
	if r := post(t, s, `{"method":"Version"}`, "Origin", "http://evil.example"); r.status != http.StatusForbidden {
		t.Errorf("foreign Origin: %d", r.status)
	}
	if r := post(t, s, `{"method":"Version"}`, "Origin", "http://127.0.0.1:3000"); r.status != http.StatusOK {
		t.Errorf("own Origin: %d", r.status)
	}
	for _, host := range []string{"localhost:3000", "[::1]:3000", "127.0.0.1"} {
		if rec := get(t, s, "http://"+host+"/"); rec.Code != http.StatusOK {
			t.Errorf("Host %s: %d", host, rec.Code)
		}
	}
}

func TestCheckAddr(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "127.0.0.2:8080", "[::1]:0", "localhost:34115"} {
		if err := CheckAddr(addr, false); err != nil {
			t.Errorf("%s refused: %v", addr, err)
		}
	}
	for _, addr := range []string{":8080", "0.0.0.0:80", "[::]:80", "192.168.1.10:80", "example.com:80"} {
		if err := CheckAddr(addr, false); err == nil || !strings.Contains(err.Error(), "AllowRemote") {
			t.Errorf("%s: got %v, want a refusal naming AllowRemote", addr, err)
		}
		if err := CheckAddr(addr, true); err != nil {
			t.Errorf("%s with AllowRemote: %v", addr, err)
		}
	}
	if err := CheckAddr("127.0.0.1", false); err == nil {
		t.Error("address without port accepted")
	}
}

func TestServeRefusesNonLoopbackBeforeListening(t *testing.T) {
	called := false
	err := Serve(context.Background(), Options{Addr: "0.0.0.0:0", Assets: assets, Ready: func(string) { called = true }})
	if err == nil || called {
		t.Fatalf("got %v (ready called: %v), want a refusal", err, called)
	}
}

// readEvent returns the next data line of an SSE stream.
func readEvent(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("event stream: %v", err)
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			return strings.TrimSpace(data)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEventsReachEveryPage(t *testing.T) {
	ev := NewEvents(0)
	ts := httptest.NewServer(newServer(t, Options{Events: ev, NoToken: true}))
	defer ts.Close()

	var streams []*bufio.Reader
	for range 2 {
		res, err := http.Get(ts.URL + "/api/events")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("content type %q", ct)
		}
		streams = append(streams, bufio.NewReader(res.Body))
	}
	waitFor(t, "two clients", func() bool { return ev.Clients() == 2 })

	ev.Emit("job:progress", map[string]any{"id": "j1", "progress": map[string]int{"itemsDone": 3}})
	ev.Emit("job:state", map[string]string{"id": "j1", "state": "cancelled"})
	for i, r := range streams {
		if got, want := readEvent(t, r), `{"name":"job:progress","data":{"id":"j1","progress":{"itemsDone":3}}}`; got != want {
			t.Errorf("stream %d first event %s, want %s", i, got, want)
		}
		if got, want := readEvent(t, r), `{"name":"job:state","data":{"id":"j1","state":"cancelled"}}`; got != want {
			t.Errorf("stream %d second event %s, want %s", i, got, want)
		}
	}
}

func TestSlowPageIsDroppedNotWaitedFor(t *testing.T) {
	ev := NewEvents(2)
	slow := ev.subscribe()
	fast := ev.subscribe()
	done := make(chan struct{})
	go func() {
		for i := range 5 {
			ev.Emit("tick", i)
			<-fast.ch
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Emit blocked on a page that does not read")
	}
	select {
	case <-slow.gone:
	default:
		t.Fatal("slow page still subscribed")
	}
	if n := ev.Clients(); n != 1 {
		t.Errorf("%d clients, want only the fast one", n)
	}
	ev.unsubscribe(slow) // dropping twice must be harmless
	ev.unsubscribe(fast)
	ev.Emit("after", nil)
}

func TestDroppedStreamEnds(t *testing.T) {
	ev := NewEvents(1)
	ts := httptest.NewServer(newServer(t, Options{Events: ev, NoToken: true}))
	defer ts.Close()
	res, err := http.Get(ts.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	waitFor(t, "client", func() bool { return ev.Clients() == 1 })
	// Without reading, fill the buffer and overflow it.
	for i := range 1000 {
		ev.Emit("tick", strings.Repeat("x", i))
	}
	waitFor(t, "drop", func() bool { return ev.Clients() == 0 })
	// The server closes the response, so the browser reconnects.
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		t.Fatalf("stream did not end cleanly: %v", err)
	}
}

func TestServeUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ev := NewEvents(0)
	urls := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- Serve(ctx, Options{Addr: "127.0.0.1:0", Assets: assets, Bound: testApp{}, Events: ev, NoToken: true, Ready: func(u string) { urls <- u }})
	}()
	var url string
	select {
	case url = <-urls:
	case err := <-errc:
		t.Fatal(err)
	}
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("index: %d", res.StatusCode)
	}
	stream, err := http.Get(url + "api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	waitFor(t, "client", func() bool { return ev.Clients() == 1 })

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve kept running with an open event stream")
	}
}
