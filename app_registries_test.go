package main

import (
	"os"
	"strings"
	"testing"

	"ferry/backend/registrytest"
)

// Settings set up a plain-HTTP registry and test it without any YAML typed.
func TestRegistrySettingsFromTheWindow(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("ACE_DT_CONFIG", "")
	a := newTestApp(t, t.TempDir())
	host := registrytest.InProcess(t)

	chk, err := a.TestRegistry(host)
	if err != nil {
		t.Fatal(err)
	}
	if len(chk.Endpoints) != 1 {
		t.Fatalf("before: %+v", chk)
	}

	if err := a.SaveRegistry(RegistrySettings{Host: host, PlainHTTP: true}); err != nil {
		t.Fatal(err)
	}
	list, err := a.ListRegistries()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range list {
		if r.Host == host {
			found = r.PlainHTTP && r.InFile && !r.Builtin
		}
	}
	if !found {
		t.Errorf("saved registry not listed as plain HTTP: %+v", list)
	}
	v, err := a.GetConfig()
	if err != nil || !v.Exists || !strings.Contains(v.Text, "http://"+host) {
		t.Errorf("configuration file: %+v %v", v, err)
	}
	chk, err = a.TestRegistry(host)
	if err != nil || !chk.OK || chk.Endpoints[0].Endpoint != "http://"+host || chk.Endpoints[0].TLS != "plain HTTP" {
		t.Errorf("after: %+v %v", chk, err)
	}

	if err := a.RemoveRegistry(host); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(v.Path)
	if strings.Contains(string(b), host) {
		t.Errorf("removed registry still in the file:\n%s", b)
	}
}
