package config

import (
	"net"
	"os"
	"strings"
)

// BuiltinRegistry is the default address of Ferry's built-in registry
// (`ferry registry serve`, the window's Settings): plain HTTP on loopback.
const BuiltinRegistry = "127.0.0.1:5000"

// EnvBuiltinRegistry moves the built-in registry to another loopback
// address, for a laptop where port 5000 is taken (and for tests).
const EnvBuiltinRegistry = "FERRY_BUILTIN_REGISTRY"

// BuiltinRegistryAddress is where the built-in registry listens by default:
// EnvBuiltinRegistry when set, else BuiltinRegistry.
func BuiltinRegistryAddress() string {
	if a := strings.TrimSpace(os.Getenv(EnvBuiltinRegistry)); a != "" {
		return a
	}
	return BuiltinRegistry
}

// knowBuiltinRegistry lists the built-in registry as a plain-HTTP endpoint,
// so that it is reached without any configuration file and without trying
// HTTPS first. A file's own entry for that address wins, and an address
// off loopback gets none (the registry serves TLS there).
func (c *Config) knowBuiltinRegistry() {
	addr := BuiltinRegistryAddress()
	if host, _, err := net.SplitHostPort(addr); err != nil || !IsLoopback(host) {
		return
	}
	if _, ok := c.RegistryConfig.Registries[addr]; ok {
		return
	}
	if c.RegistryConfig.Registries == nil {
		c.RegistryConfig.Registries = map[string]Registry{}
	}
	c.RegistryConfig.Registries[addr] = Registry{Endpoints: []string{"http://" + addr}}
	c.builtinKnown = true
}

// IsLoopback reports whether host (a name or an IP address, without port)
// is loopback only.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
