package builtin

import (
	"context"
	"sync"

	"github.com/sirupsen/logrus"

	"ferry/backend/config"
)

// Service is the built-in registry as a long-lived process (the window)
// serves it: started and stopped on request, at most one at a time, since it
// holds the port and the storage lock.
type Service struct {
	root string
	log  *logrus.Logger

	mu sync.Mutex
	r  *Registry
}

// NewService returns a stopped service storing under root.
func NewService(root string, log *logrus.Logger) *Service {
	return &Service{root: root, log: log}
}

// Status is what Settings shows of the built-in registry.
type Status struct {
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

// live is the registry this service serves, nil when none is serving; s.mu
// is held.
func (s *Service) live() *Registry {
	if s.r == nil {
		return nil
	}
	select {
	case <-s.r.Done():
		return nil
	default:
		return s.r
	}
}

// running is the registry this service serves, nil when none is serving,
// with why it stopped by itself when it did.
func (s *Service) running() (*Registry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.live(); r != nil || s.r == nil {
		return r, nil
	}
	return nil, s.r.Err()
}

// Status reports whether the registry runs (here or in another process),
// its address, its size on disk and its repositories.
func (s *Service) Status(ctx context.Context) (Status, error) {
	addr := config.BuiltinRegistryAddress()
	st := Status{Address: addr, URL: "http://" + addr, Root: s.root}
	r, err := s.running()
	switch {
	case r != nil:
		st.Running, st.Address, st.URL = true, r.Addr(), r.URL()
	case err != nil:
		st.Error = err.Error()
	}
	if !st.Running {
		st.Elsewhere = Answers(ctx, st.Address)
	}
	if st.Size, err = Size(s.root); err != nil {
		return st, err
	}
	st.Repositories, err = Repositories(ctx, s.root)
	return st, err
}

// Start serves the registry on config.BuiltinRegistryAddress (plain HTTP,
// loopback only) unless this service already does.
func (s *Service) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live() != nil {
		return nil
	}
	r, err := Start(context.Background(), Options{Listen: config.BuiltinRegistryAddress(), Root: s.root, Log: s.log})
	if err != nil {
		return err
	}
	s.r = r
	return nil
}

// EnsureAnswering starts the registry unless one (this service's or another
// process's) already answers at its address.
func (s *Service) EnsureAnswering(ctx context.Context) error {
	if Answers(ctx, config.BuiltinRegistryAddress()) {
		return nil
	}
	return s.Start()
}

// Stop stops the registry this service serves; its content stays on disk.
func (s *Service) Stop() error {
	s.mu.Lock()
	r := s.r
	s.r = nil
	s.mu.Unlock()
	if r == nil {
		return nil
	}
	return r.Close()
}
