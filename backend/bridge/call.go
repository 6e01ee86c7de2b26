package bridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"reflect"
	"sort"
)

// binding holds the callable methods of the bound value.
type binding struct {
	namespace string // "main"
	typeName  string // "App"
	methods   map[string]reflect.Value
}

var errorType = reflect.TypeFor[error]()

// bind collects the exported methods of v that the page can call: any
// parameters JSON can decode, and results T, error, or (T, error). Methods of
// other shapes are skipped with a log line.
func bind(v any, logf func(string, ...any)) (*binding, error) {
	b := &binding{namespace: "main", typeName: "App", methods: map[string]reflect.Value{}}
	if v == nil {
		return b, nil
	}
	rv := reflect.ValueOf(v)
	t := rv.Type()
	named := t
	if named.Kind() == reflect.Pointer {
		named = named.Elem()
	}
	if named.Name() == "" {
		return nil, fmt.Errorf("bridge: bound value of unnamed type %s", t)
	}
	// Wails names the object after the Go package and type: window.go.main.App.
	b.typeName = named.Name()
	if p := named.PkgPath(); p != "" {
		b.namespace = path.Base(p)
	}
	for i := 0; i < t.NumMethod(); i++ {
		m := t.Method(i)
		if err := callable(m.Type); err != nil {
			logf("bridge: %s.%s not callable from the page: %v", b.typeName, m.Name, err)
			continue
		}
		b.methods[m.Name] = rv.Method(i)
	}
	return b, nil
}

// callable checks a method's type, receiver included.
func callable(mt reflect.Type) error {
	if mt.IsVariadic() {
		return errors.New("variadic")
	}
	for i := 1; i < mt.NumIn(); i++ {
		switch mt.In(i).Kind() {
		case reflect.Chan, reflect.Func, reflect.UnsafePointer:
			return fmt.Errorf("parameter %d is a %s", i, mt.In(i).Kind())
		}
	}
	switch mt.NumOut() {
	case 0, 1:
		return nil
	case 2:
		if mt.Out(1) != errorType {
			return errors.New("second result is not an error")
		}
		return nil
	}
	return fmt.Errorf("%d results", mt.NumOut())
}

func (b *binding) names() []string {
	names := make([]string, 0, len(b.methods))
	for n := range b.methods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// callError is a failure of the call itself, not of the method.
type callError struct {
	status int
	msg    string
}

func (e *callError) Error() string { return e.msg }

// call decodes args into the method's parameters and calls it. A non-nil
// second result is the method's error, returned as methodErr.
func (b *binding) call(name string, args []json.RawMessage) (result any, methodErr error, err *callError) {
	m, ok := b.methods[name]
	if !ok {
		return nil, nil, &callError{http.StatusNotFound, fmt.Sprintf("unknown method %q", name)}
	}
	mt := m.Type()
	if len(args) != mt.NumIn() {
		return nil, nil, &callError{http.StatusBadRequest, fmt.Sprintf("%s takes %d arguments, got %d", name, mt.NumIn(), len(args))}
	}
	in := make([]reflect.Value, len(args))
	for i, raw := range args {
		p := reflect.New(mt.In(i))
		if err := json.Unmarshal(raw, p.Interface()); err != nil {
			return nil, nil, &callError{http.StatusBadRequest, fmt.Sprintf("%s argument %d: %v", name, i+1, err)}
		}
		in[i] = p.Elem()
	}
	var out []reflect.Value
	var panicked any
	func() {
		defer func() { panicked = recover() }()
		out = m.Call(in)
	}()
	if panicked != nil {
		return nil, nil, &callError{http.StatusInternalServerError, fmt.Sprintf("%s failed: %v", name, panicked)}
	}
	if n := len(out); n > 0 && mt.Out(n-1) == errorType {
		if e := out[n-1].Interface(); e != nil {
			return nil, e.(error), nil
		}
		out = out[:n-1]
	}
	if len(out) == 0 {
		return nil, nil, nil
	}
	return out[0].Interface(), nil, nil
}

type callRequest struct {
	Method string            `json:"method"`
	Args   []json.RawMessage `json:"args"`
}

// maxCallBody bounds a request: the largest argument is a configuration text.
const maxCallBody = 8 << 20

// handleCall answers 200 {"result": ...} on success and 200 {"error": "..."}
// when the method returns an error: the call worked, the operation did not,
// as with Wails. A call that cannot be made (bad JSON, unknown method, wrong
// arguments) gets a 4xx status, a panic 500, both with {"error": "..."}.
func (s *Server) handleCall(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		// Requiring JSON also forces a CORS preflight on any cross-site fetch.
		writeError(w, http.StatusUnsupportedMediaType, "content type must be application/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "request too large")
		return
	}
	var req callRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "bad request: "+err.Error())
		return
	}
	if req.Method == "" {
		writeError(w, http.StatusBadRequest, "bad request: no method")
		return
	}
	result, methodErr, callErr := s.binding.call(req.Method, req.Args)
	switch {
	case callErr != nil:
		if callErr.status >= 500 {
			s.opts.Logf("bridge: %v", callErr)
		}
		writeError(w, callErr.status, callErr.msg)
	case methodErr != nil:
		writeError(w, http.StatusOK, methodErr.Error())
	default:
		data, err := json.Marshal(struct {
			Result any `json:"result"`
		}{result})
		if err != nil {
			s.opts.Logf("bridge: %s result: %v", req.Method, err)
			writeError(w, http.StatusInternalServerError, fmt.Sprintf("%s result cannot be encoded: %v", req.Method, err))
			return
		}
		writeJSON(w, http.StatusOK, data)
	}
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

func writeError(w http.ResponseWriter, status int, msg string) {
	data, _ := json.Marshal(map[string]string{"error": msg})
	writeJSON(w, status, data)
}

func writeJSON(w http.ResponseWriter, status int, data []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(data)
}
