package config

// BuiltinRegistry is the address of Ferry's built-in registry (`ferry
// registry serve`, the window's Settings): plain HTTP on loopback.
const BuiltinRegistry = "127.0.0.1:5000"

// knowBuiltinRegistry lists the built-in registry as a plain-HTTP endpoint,
// so that it is reached without any configuration file and without trying
// HTTPS first. A file's own entry for that address wins.
func (c *Config) knowBuiltinRegistry() {
	if _, ok := c.RegistryConfig.Registries[BuiltinRegistry]; ok {
		return
	}
	if c.RegistryConfig.Registries == nil {
		c.RegistryConfig.Registries = map[string]Registry{}
	}
	c.RegistryConfig.Registries[BuiltinRegistry] = Registry{Endpoints: []string{"http://" + BuiltinRegistry}}
}
