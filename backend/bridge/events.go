package bridge

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Events fans named events out to every connected page. Emit never blocks:
// a page that falls a whole buffer behind is disconnected, and its browser
// reconnects and resynchronises, rather than slowing the job that emits.
type Events struct {
	mu      sync.Mutex
	clients map[*client]struct{}
	buffer  int
}

type client struct {
	ch   chan []byte
	gone chan struct{} // closed when the client is dropped for being slow
}

// DefaultBuffer is how many events a page may lag behind before it is dropped.
const DefaultBuffer = 256

// NewEvents returns a hub whose clients each buffer up to buffer events
// (DefaultBuffer when buffer < 1).
func NewEvents(buffer int) *Events {
	if buffer < 1 {
		buffer = DefaultBuffer
	}
	return &Events{clients: map[*client]struct{}{}, buffer: buffer}
}

// event is the wire form of one event, sent as one SSE data line.
type event struct {
	Name string `json:"name"`
	Data any    `json:"data"`
}

// Emit sends an event to every connected page. It is safe for concurrent use;
// data is encoded as JSON once, and an event that cannot be encoded is dropped.
func (e *Events) Emit(name string, data any) {
	msg, err := json.Marshal(event{Name: name, Data: data})
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for c := range e.clients {
		select {
		case c.ch <- msg:
		default:
			delete(e.clients, c)
			close(c.gone)
		}
	}
}

// Clients returns how many pages are connected.
func (e *Events) Clients() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.clients)
}

func (e *Events) subscribe() *client {
	c := &client{ch: make(chan []byte, e.buffer), gone: make(chan struct{})}
	e.mu.Lock()
	e.clients[c] = struct{}{}
	e.mu.Unlock()
	return c
}

func (e *Events) unsubscribe(c *client) {
	e.mu.Lock()
	if _, ok := e.clients[c]; ok {
		delete(e.clients, c)
		close(c.gone)
	}
	e.mu.Unlock()
}

// keepAlive is how often an idle stream gets a comment line, so proxies and
// the browser keep it open.
var keepAlive = 15 * time.Second

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	if s.opts.Events == nil {
		writeError(w, http.StatusNotFound, "no events")
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	c := s.opts.Events.subscribe()
	defer s.opts.Events.unsubscribe(c)
	// Reconnect quickly after a drop; the page resyncs on reconnect.
	if _, err := w.Write([]byte("retry: 1000\n\n")); err != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.gone:
			return
		case <-tick.C:
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil {
				return
			}
		case msg := <-c.ch:
			if _, err := w.Write(append(append([]byte("data: "), msg...), '\n', '\n')); err != nil {
				return
			}
		}
		if rc.Flush() != nil {
			return
		}
	}
}
