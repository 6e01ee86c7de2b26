package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// fail records a problem at the position of path, or without a line when the
// file does not mention path.
func (d *decoder) fail(path, format string, args ...any) {
	e := &Error{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n := d.position(path); n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// failValue is fail positioned at the value rather than the key.
func (d *decoder) failValue(path, format string, args ...any) {
	n := d.values[path]
	if n == nil {
		d.fail(path, format, args...)
		return
	}
	d.errorAt(n, path, format, args...)
}

// validate checks what types alone cannot: identity, URLs, hosts and ranges.
func (d *decoder) validate(c *Config) {
	switch {
	case d.values["apiVersion"] == nil:
		d.errs = append(d.errs, &Error{File: d.file, Line: 1, Column: 1, Msg: "apiVersion is missing: start the file with apiVersion: " + APIVersion})
	case c.APIVersion != APIVersion:
		d.failValue("apiVersion", "expected %s, got %q", APIVersion, c.APIVersion)
	}
	switch {
	case d.values["kind"] == nil:
		d.errs = append(d.errs, &Error{File: d.file, Line: 1, Column: 1, Msg: "kind is missing: add kind: " + Kind})
	case c.Kind != Kind:
		d.failValue("kind", "expected %s, got %q", Kind, c.Kind)
	}
	switch c.CompressionLevel {
	case "", "min", "normal", "max":
	default:
		d.failValue("compressionLevel", "expected min, normal or max, got %q", c.CompressionLevel)
	}
	if c.ConcurrentHTTP < 0 {
		d.failValue("concurrentHTTP", "must be positive")
	}

	for host, reg := range c.RegistryConfig.Registries {
		path := "registryConfig.registries[" + host + "]"
		if err := checkHost(host); err != nil {
			d.fail(path, "%v", err)
		}
		for i, ep := range reg.Endpoints {
			if err := checkEndpoint(ep); err != nil {
				d.failValue(path+".endpoints["+strconv.Itoa(i)+"]", "%v", err)
			}
		}
	}
	for ep := range c.RegistryConfig.EndpointConfig {
		if err := checkEndpoint(ep); err != nil {
			d.fail("registryConfig.endpointConfig["+ep+"]", "%v", err)
		}
	}

	for host := range c.Ferry.Registries {
		if err := checkHost(host); err != nil {
			d.fail("ferry.registries["+host+"]", "%v", err)
		}
	}

	f := c.Ferry
	if f.BlockSize != 0 && (f.BlockSize < 512 || f.BlockSize%512 != 0) {
		d.failValue("ferry.blockSize", "must be a multiple of 512 bytes, got %d", int64(f.BlockSize))
	}
	block := f.BlockSize
	if block == 0 {
		block = DefaultBlockSize
	}
	if f.BufferSize != 0 && f.BufferSize < block {
		d.failValue("ferry.bufferSize", "must hold at least one block (%s), got %s", block, f.BufferSize)
	}
	if f.Concurrency < 0 {
		d.failValue("ferry.concurrency", "must be positive")
	}
	if f.RegistryConcurrency < 0 {
		d.failValue("ferry.registryConcurrency", "must be positive")
	}
}

// checkHost accepts host[:port] as written in references.
func checkHost(host string) error {
	if strings.Contains(host, "://") {
		return fmt.Errorf("registry %q must be host[:port] without a scheme; put URLs under endpoints", host)
	}
	u, err := url.Parse("//" + host)
	if err != nil || u.Host != host || host == "" || u.User != nil {
		return fmt.Errorf("registry %q is not a host[:port]", host)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("registry %q has an invalid port", host)
		}
	}
	return nil
}

// checkEndpoint accepts http:// or https:// URLs naming a host, without a path.
func checkEndpoint(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("endpoint %q is not a URL: %v", s, unwrapURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("endpoint %q must start with http:// or https://", s)
	}
	if u.Host == "" {
		return fmt.Errorf("endpoint %q has no host", s)
	}
	if err := checkHost(u.Host); err != nil {
		return fmt.Errorf("endpoint %q: %v", s, err)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("endpoint %q must be scheme://host[:port] only (registries are served at /v2/ of their host)", s)
	}
	return nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
