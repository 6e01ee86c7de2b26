package main

import (
	"context"
	"path/filepath"
	"sync"

	"ferry/backend/builtin"
	"ferry/backend/config"
	"ferry/backend/practice"
)

// builtinRegistry is the built-in registry this process serves: one per
// process, whatever the number of windows, since it holds the port.
var builtinRegistry struct {
	mu sync.Mutex
	r  *builtin.Registry
}

// BuiltinStatus is what Settings shows of the built-in registry.
type BuiltinStatus struct {
	// Running: this process serves it. Elsewhere: another process (such
	// as `ferry registry serve`) answers at Address.
	Running      bool     `json:"running"`
	Elsewhere    bool     `json:"elsewhere"`
	Address      string   `json:"address"`
	URL          string   `json:"url"`
	Root         string   `json:"root"`
	Size         int64    `json:"size"`
	Repositories []string `json:"repositories"`
	// Error is why it stopped by itself, if it did.
	Error string `json:"error,omitempty"`
}

// builtinRoot is builtin.DefaultRoot for this session's data directory.
func (a *App) builtinRoot() string { return filepath.Join(a.sess.Paths.DataDir, "registry") }

// BuiltinRegistryStatus reports the built-in registry: whether it runs, its
// address, its size on disk and its repositories.
func (a *App) BuiltinRegistryStatus() (BuiltinStatus, error) {
	builtinRegistry.mu.Lock()
	r := builtinRegistry.r
	builtinRegistry.mu.Unlock()
	addr := config.BuiltinRegistryAddress()
	st := BuiltinStatus{Address: addr, URL: "http://" + addr, Root: a.builtinRoot()}
	if r != nil {
		select {
		case <-r.Done():
			if err := r.Err(); err != nil {
				st.Error = err.Error()
			}
		default:
			st.Running, st.Address, st.URL = true, r.Addr(), r.URL()
		}
	}
	if !st.Running {
		st.Elsewhere = builtin.Answers(context.Background(), st.Address)
	}
	var err error
	if st.Size, err = builtin.Size(st.Root); err != nil {
		return st, err
	}
	st.Repositories, err = builtin.Repositories(context.Background(), st.Root)
	return st, err
}

// StartBuiltinRegistry serves the built-in registry on 127.0.0.1:5000, or
// $FERRY_BUILTIN_REGISTRY (plain HTTP, loopback only), until StopBuiltinRegistry or the end of the
// process; its content stays on disk between runs.
func (a *App) StartBuiltinRegistry() (BuiltinStatus, error) {
	if err := a.startBuiltin(); err != nil {
		return BuiltinStatus{}, err
	}
	return a.BuiltinRegistryStatus()
}

func (a *App) startBuiltin() error {
	builtinRegistry.mu.Lock()
	defer builtinRegistry.mu.Unlock()
	if r := builtinRegistry.r; r != nil {
		select {
		case <-r.Done():
		default:
			return nil
		}
	}
	r, err := builtin.Start(context.Background(), builtin.Options{Listen: config.BuiltinRegistryAddress(), Root: a.builtinRoot(), Log: a.sess.Log})
	if err != nil {
		return err
	}
	builtinRegistry.r = r
	return nil
}

// StopBuiltinRegistry stops the built-in registry this process serves.
func (a *App) StopBuiltinRegistry() (BuiltinStatus, error) {
	builtinRegistry.mu.Lock()
	r := builtinRegistry.r
	builtinRegistry.r = nil
	builtinRegistry.mu.Unlock()
	if r != nil {
		if err := r.Close(); err != nil {
			return BuiltinStatus{}, err
		}
	}
	return a.BuiltinRegistryStatus()
}

// StartPractice sets up the practice transfer: the built-in registry
// (started unless a registry already answers at its address), the practice
// images on its low side, and the sources list and mapping rules in the data
// directory. The window fills its forms from the answer.
func (a *App) StartPractice() (practice.Set, error) {
	if !builtin.Answers(context.Background(), config.BuiltinRegistryAddress()) {
		if err := a.startBuiltin(); err != nil {
			return practice.Set{}, err
		}
	}
	s, err := practice.Push(context.Background(), config.BuiltinRegistryAddress(), filepath.Join(a.sess.Paths.DataDir, "practice"))
	if err != nil {
		return practice.Set{}, err
	}
	return *s, nil
}
