// Package config loads Ferry's YAML configuration: the reference tool's
// Configuration (apiVersion config.dt.act3-ace.io/v1alpha1), accepted as is,
// plus Ferry's own settings under `ferry:` in a second YAML document, which
// the reference ignores. Every problem in a file is
// reported with its file, line and column, and a file with problems is refused.
package config

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// APIVersion and Kind identify a configuration file; both are required.
const (
	APIVersion = "config.dt.act3-ace.io/v1alpha1"
	Kind       = "Configuration"
)

// Config is the whole configuration file. The fields before Ferry are the
// reference tool's; Ferry reads and keeps all of them so that one file serves
// both tools, though it uses only the registry settings today.
type Config struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`

	// CachePruneMax is the reference tool's maximum cache size after pruning.
	CachePruneMax *Size `yaml:"cachePruneMax,omitempty"`
	// CachePath is the reference tool's cache directory.
	CachePath string `yaml:"cachePath,omitempty"`
	// CompressionLevel is min, normal or max.
	CompressionLevel string `yaml:"compressionLevel,omitempty"`
	// Editor is the text editor the reference tool starts.
	Editor string `yaml:"editor,omitempty"`
	// ChunkSize is the reference tool's upload chunk size; 0 disables chunking.
	ChunkSize *Size `yaml:"chunkSize,omitempty"`
	// ConcurrentHTTP is the reference tool's limit of HTTP requests in flight.
	ConcurrentHTTP int `yaml:"concurrentHTTP,omitempty"`
	// RegistryAuthFile is a docker config.json-style credentials file
	// (auths, credHelpers, credsStore) consulted before the docker
	// configuration's own.
	RegistryAuthFile string `yaml:"registryAuthFile,omitempty"`
	// RegistryConfig holds endpoints, pull rewrites, TLS and referrers settings per registry.
	RegistryConfig RegistryConfig `yaml:"registryConfig,omitempty"`
	// HideProgress disables the reference tool's progress bar.
	HideProgress bool `yaml:"hideProgress,omitempty"`
	// Telemetry lists the reference tool's telemetry servers.
	Telemetry []TelemetryLocation `yaml:"telemetry,omitempty"`
	// TelemetryUserName is the user name the reference tool reports to telemetry.
	TelemetryUserName string `yaml:"telemetryUserName,omitempty"`
	// SigningKeys is the reference tool's signing key metadata.
	SigningKeys []SigningKey `yaml:"keys,omitempty"`

	// Ferry holds Ferry's own settings, read from the file's second YAML
	// document (the reference tool reads only the first).
	Ferry Ferry `yaml:"-"`

	// Source is the file the configuration was read from, "" for built-in defaults.
	Source string `yaml:"-"`

	// builtinKnown is set when the built-in registry's entry was added
	// by knowBuiltinRegistry rather than read from the file.
	builtinKnown bool
}

// RegistryConfig maps registries to their endpoints and endpoints to their settings.
type RegistryConfig struct {
	// Registries is keyed by host[:port] exactly as written in references.
	Registries map[string]Registry `yaml:"registries,omitempty"`
	// EndpointConfig is keyed by endpoint URL, e.g. https://nvcr.io.
	EndpointConfig map[string]EndpointConfig `yaml:"endpointConfig,omitempty"`
}

// Registry is the configuration of one registry.
type Registry struct {
	// Endpoints are URLs (http:// or https://) tried in order when pulling.
	Endpoints []string `yaml:"endpoints,omitempty"`
	// RewritePull rewrites repository paths when pulling through Endpoints.
	RewritePull Rewrites `yaml:"rewritePull,omitempty"`
	// NonCompliant marks a registry that is not OCI compliant (reference tool setting).
	NonCompliant bool `yaml:"noncompliant,omitempty"`
}

// EndpointConfig is the configuration of one endpoint URL.
type EndpointConfig struct {
	TLS *TLS `yaml:"tls,omitempty"`
	// SupportsReferrers says how to list referrers: tag, api or auto (the default).
	SupportsReferrers ReferrersMode `yaml:"supportsReferrers,omitempty"`
}

// TLS holds an endpoint's TLS settings.
type TLS struct {
	// InsecureSkipVerify accepts any server certificate; use only on trusted networks.
	InsecureSkipVerify bool `yaml:"insecureSkipVerify"`
}

// TelemetryLocation is a reference tool telemetry server; Ferry never contacts it.
type TelemetryLocation struct {
	Name    string            `yaml:"name,omitempty"`
	URL     string            `yaml:"url,omitempty"`
	OAuth   *OAuthProvider    `yaml:"oauth,omitempty"`
	Cookies map[string]string `yaml:"cookies,omitempty"`
	Token   string            `yaml:"token,omitempty"`
}

// OAuthProvider is the OAuth 2.0 device-grant provider of a telemetry server.
type OAuthProvider struct {
	Issuer   string `yaml:"issuer,omitempty"`
	ClientID string `yaml:"clientID,omitempty"`
}

// SigningKey is the reference tool's signing key metadata.
type SigningKey struct {
	Alias        string `yaml:"alias,omitempty"`
	KeyPath      string `yaml:"path,omitempty"`
	KeyAPI       string `yaml:"api,omitempty"`
	UserIdentity string `yaml:"userid,omitempty"`
	KeyID        string `yaml:"keyid,omitempty"`
}

// Ferry holds Ferry's own settings. Zero values mean "use the default".
type Ferry struct {
	// BlockSize is the size of every write to a tape (the last one excepted).
	BlockSize Size `yaml:"blockSize,omitempty"`
	// BufferSize bounds the memory of the write buffer between network and medium.
	BufferSize Size `yaml:"bufferSize,omitempty"`
	// Concurrency is how many blobs or images one operation moves at once.
	Concurrency int `yaml:"concurrency,omitempty"`
	// RegistryConcurrency bounds the requests in flight to any one registry host.
	RegistryConcurrency int `yaml:"registryConcurrency,omitempty"`
	// Database is the SQLite file recording runs, media and checkpoints.
	Database string `yaml:"database,omitempty"`
	// Store is the local OCI layout used by archive and unarchive.
	Store string `yaml:"store,omitempty"`
	// Registries holds Ferry's own settings of registries, keyed by
	// host[:port]: those the reference tool has no key for (registries.go).
	Registries map[string]FerryRegistry `yaml:"registries,omitempty"`
}

// Defaults of Ferry's own settings.
const (
	DefaultBlockSize           Size = 1 << 20
	DefaultBufferSize          Size = 256 << 20
	DefaultConcurrency              = 4
	DefaultRegistryConcurrency      = 4
)

// Default returns the configuration used when no file is found.
func Default() *Config {
	c := &Config{APIVersion: APIVersion, Kind: Kind}
	c.applyDefaults()
	return c
}

func (c *Config) applyDefaults() {
	f := &c.Ferry
	if f.BlockSize == 0 {
		f.BlockSize = DefaultBlockSize
	}
	if f.BufferSize == 0 {
		f.BufferSize = DefaultBufferSize
	}
	if f.Concurrency == 0 {
		f.Concurrency = DefaultConcurrency
	}
	if f.RegistryConcurrency == 0 {
		f.RegistryConcurrency = DefaultRegistryConcurrency
	}
	if f.Database == "" {
		f.Database = filepath.Join(DataDir(), "ferry.db")
	}
	if f.Store == "" {
		f.Store = filepath.Join(DataDir(), "store")
	}
	f.Database = expandHome(f.Database)
	f.Store = expandHome(f.Store)
	c.RegistryAuthFile = expandHome(c.RegistryAuthFile)
	c.knowBuiltinRegistry()
}

// Registry returns the configuration of the registry host[:port], or the zero
// Registry when the file has none. docker.io and index.docker.io are one registry.
func (c *Config) Registry(host string) Registry {
	regs := c.RegistryConfig.Registries
	if r, ok := regs[host]; ok {
		return r
	}
	switch host {
	case "docker.io":
		return regs["index.docker.io"]
	case "index.docker.io":
		return regs["docker.io"]
	}
	return Registry{}
}

// Endpoint returns the configuration of an endpoint URL, ignoring a trailing
// slash and the case of scheme and host; the zero EndpointConfig when absent.
func (c *Config) Endpoint(endpoint string) EndpointConfig {
	want := normalizeEndpoint(endpoint)
	for k, v := range c.RegistryConfig.EndpointConfig {
		if normalizeEndpoint(k) == want {
			return v
		}
	}
	return EndpointConfig{}
}

func normalizeEndpoint(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" {
		return strings.TrimRight(s, "/")
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimRight(u.Path, "/")
}

// DataDir is Ferry's data directory: $XDG_DATA_HOME/ferry, with
// ~/.local/share when the variable is unset. It is read on every call, so
// an environment changed at run time (tests do) is followed.
func DataDir() string {
	return filepath.Join(xdgDir("XDG_DATA_HOME", ".local", "share"), "ferry")
}

// ConfigDir is Ferry's configuration directory: $XDG_CONFIG_HOME/ferry,
// with ~/.config when the variable is unset.
func ConfigDir() string {
	return filepath.Join(xdgDir("XDG_CONFIG_HOME", ".config"), "ferry")
}

// xdgDir is an XDG base directory: the variable when set, else the
// default under the home directory.
func xdgDir(env string, def ...string) string {
	if d := os.Getenv(env); d != "" {
		return d
	}
	return filepath.Join(append([]string{homeDir()}, def...)...)
}

func homeDir() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return "."
}

// expandHome expands a leading "~/" so paths written in the file or in
// ACE_DT_CONFIG behave as they would in a shell.
func expandHome(p string) string {
	if p == "~" {
		return homeDir()
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(homeDir(), p[2:])
	}
	return p
}
