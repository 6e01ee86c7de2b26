package config

import (
	"slices"
	"testing"
)

func TestBuiltinRegistryIsPlainHTTPWithoutAFile(t *testing.T) {
	if got := Default().Registry(BuiltinRegistry).Endpoints; !slices.Equal(got, []string{"http://127.0.0.1:5000"}) {
		t.Errorf("default endpoints of the built-in registry = %v", got)
	}
	c, err := Parse("f.yaml", []byte("apiVersion: "+APIVersion+"\nkind: "+Kind+"\nregistryConfig:\n  registries:\n    127.0.0.1:5000:\n      endpoints: [https://127.0.0.1:5000]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Registry(BuiltinRegistry).Endpoints; !slices.Equal(got, []string{"https://127.0.0.1:5000"}) {
		t.Errorf("a file's own entry was replaced: %v", got)
	}
}

func TestBuiltinRegistryAddressFromTheEnvironment(t *testing.T) {
	t.Setenv(EnvBuiltinRegistry, "127.0.0.1:5999")
	if got := Default().Registry("127.0.0.1:5999").Endpoints; !slices.Equal(got, []string{"http://127.0.0.1:5999"}) {
		t.Errorf("endpoints = %v", got)
	}
	t.Setenv(EnvBuiltinRegistry, "0.0.0.0:5000")
	if got := Default().Registry("0.0.0.0:5000").Endpoints; got != nil {
		t.Errorf("a non-loopback address got plain HTTP: %v", got)
	}
}
