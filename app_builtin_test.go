package main

import (
	"net"
	"slices"
	"testing"

	"ferry/backend/config"
)

func TestBuiltinRegistryStartPracticeStop(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv(config.EnvBuiltinRegistry, addr)
	dir := t.TempDir()
	a := newTestApp(t, dir)
	t.Cleanup(func() { a.StopBuiltinRegistry() })

	st, err := a.BuiltinRegistryStatus()
	if err != nil || st.Running || st.Elsewhere || st.Address != addr || st.Size != 0 || len(st.Repositories) != 0 {
		t.Fatalf("before start: %+v, %v", st, err)
	}
	set, err := a.StartPractice()
	if err != nil {
		t.Fatal(err)
	}
	if set.Host != addr || len(set.Images) != 3 {
		t.Fatalf("practice set %+v", set)
	}
	st, err = a.BuiltinRegistryStatus()
	if err != nil || !st.Running || st.URL != "http://"+addr || st.Size < 1<<20 ||
		!slices.Equal(st.Repositories, []string{"low/apps/docker", "low/apps/multi", "low/artifacts/notes"}) {
		t.Fatalf("after practice: %+v, %v", st, err)
	}
	// Starting again is a no-op; stopping keeps the content.
	if st, err := a.StartBuiltinRegistry(); err != nil || !st.Running {
		t.Fatalf("start again: %+v, %v", st, err)
	}
	st, err = a.StopBuiltinRegistry()
	if err != nil || st.Running || st.Elsewhere || len(st.Repositories) != 3 {
		t.Fatalf("after stop: %+v, %v", st, err)
	}
}
