package config

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"ferry/backend/textfile"
)

// RegistrySettings is one registry as the Settings page and `ferry config
// registry` edit it: the settings of the registryConfig entry for Host and
// of its https:// endpoint, in an operator's terms.
type RegistrySettings struct {
	// Host is host[:port] exactly as written in references.
	Host string `json:"host"`
	// PlainHTTP reaches Host itself over plain HTTP: the endpoint
	// http://Host, listed first, which is also where pushes go.
	PlainHTTP bool `json:"plainHttp"`
	// Endpoints are the other endpoints (mirrors), tried in order when pulling.
	Endpoints []string `json:"endpoints"`
	// SkipVerify accepts any certificate from https://Host
	// (tls.insecureSkipVerify); use only on trusted networks.
	SkipVerify bool `json:"skipVerify"`
	// CAFile is a PEM file of CA certificates trusted for Host, besides the
	// system's (ferry.registries[Host].caFile: ace-dt has no such key).
	CAFile string `json:"caFile"`
	// Builtin marks Ferry's built-in registry, which needs no entry.
	Builtin bool `json:"builtin"`
	// InFile is set when the configuration file has an entry for Host.
	InFile bool `json:"inFile"`
}

// FerryRegistry is Ferry's own setting of one registry, in the file's
// second document (the reference tool's first document has no key for it).
type FerryRegistry struct {
	// CAFile is a PEM file of CA certificates trusted for the registry.
	CAFile string `yaml:"caFile,omitempty"`
}

// CAFile is the CA certificate file configured for host, "" when none.
func (c *Config) CAFile(host string) string {
	return expandHome(c.Ferry.Registries[host].CAFile)
}

// Registries lists the registries of c, sorted by host: every entry of the
// file, and the built-in registry, which is known without one.
func (c *Config) Registries() []RegistrySettings {
	hosts := map[string]bool{}
	for h := range c.RegistryConfig.Registries {
		hosts[h] = true
	}
	for h := range c.Ferry.Registries {
		hosts[h] = true
	}
	out := make([]RegistrySettings, 0, len(hosts))
	for h := range hosts {
		out = append(out, c.RegistrySettings(h))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Builtin != out[j].Builtin {
			return out[i].Builtin
		}
		return out[i].Host < out[j].Host
	})
	return out
}

// RegistrySettings is what c says about host, in the terms of
// RegistrySettings (the zero settings, with Host, when c has none).
func (c *Config) RegistrySettings(host string) RegistrySettings {
	r := RegistrySettings{Host: host, Endpoints: []string{}, CAFile: c.Ferry.Registries[host].CAFile}
	reg, listed := c.RegistryConfig.Registries[host]
	builtin := listed && host == BuiltinRegistryAddress() && c.builtinKnown
	_, own := c.Ferry.Registries[host]
	r.InFile = (listed && !builtin) || own
	for _, ep := range reg.Endpoints {
		if normalizeEndpoint(ep) == "http://"+strings.ToLower(host) {
			r.PlainHTTP = true
			continue
		}
		r.Endpoints = append(r.Endpoints, ep)
	}
	if tls := c.Endpoint("https://" + host).TLS; tls != nil {
		r.SkipVerify = tls.InsecureSkipVerify
	}
	r.Builtin = builtin
	return r
}

// Check refuses settings that cannot be written, naming the field.
func (r RegistrySettings) Check() error {
	if err := checkHost(r.Host); err != nil {
		return err
	}
	for _, ep := range r.Endpoints {
		if err := checkEndpoint(ep); err != nil {
			return err
		}
	}
	if r.CAFile != "" {
		if _, err := ReadCAFile(expandHome(r.CAFile)); err != nil {
			return err
		}
	}
	return nil
}

// ReadCAFile reads a PEM file of CA certificates into a pool with the
// system's roots, refusing a file that holds none.
func ReadCAFile(path string) (*x509.CertPool, error) {
	b, err := textfile.Read(path, textfile.Limit)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path)
	}
	return pool, nil
}

// SaveRegistry writes r into the configuration file at path (a new one
// holding nothing else when there is none yet) and leaves everything else
// as it was, comments included: registryConfig.registries[Host].endpoints,
// tls.insecureSkipVerify of endpointConfig[https://Host] and Ferry's
// ferry.registries[Host].caFile. The result is checked as Save checks
// typed text before it replaces the file.
func SaveRegistry(path string, r RegistrySettings) error {
	r.Host = strings.TrimSpace(r.Host)
	if err := r.Check(); err != nil {
		return err
	}
	return editFile(path, func(shared, own *yaml.Node) {
		hosts := mapping(mapping(shared, "registryConfig"), "registries")
		entry := mapping(hosts, r.Host)
		var eps []string
		if r.PlainHTTP {
			eps = append(eps, "http://"+r.Host)
		}
		eps = append(eps, r.Endpoints...)
		if len(eps) == 0 {
			deleteKey(entry, "endpoints")
		} else {
			setKey(entry, "endpoints", stringList(eps))
		}

		epConfigs := mapping(mapping(shared, "registryConfig"), "endpointConfig")
		key := endpointKey(epConfigs, "https://"+r.Host)
		if r.SkipVerify {
			setKey(mapping(mapping(epConfigs, key), "tls"), "insecureSkipVerify", scalar("true", "!!bool"))
		} else if ec := lookup(epConfigs, key); ec != nil {
			deleteKey(ec, "tls")
			dropEmpty(epConfigs, key)
		}
		dropEmpty(mapping(shared, "registryConfig"), "endpointConfig")

		regs := mapping(mapping(own, "ferry"), "registries")
		if r.CAFile != "" {
			setKey(mapping(regs, r.Host), "caFile", scalar(r.CAFile, "!!str"))
		} else if e := lookup(regs, r.Host); e != nil {
			deleteKey(e, "caFile")
			dropEmpty(regs, r.Host)
		}
		dropEmpty(lookup(own, "ferry"), "registries")
		dropEmpty(own, "ferry")
	})
}

// RemoveRegistry deletes host's entries (registry, its https:// endpoint's
// settings and Ferry's own) from the configuration file at path.
func RemoveRegistry(path, host string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no configuration file to remove %s from: %w", host, err)
	}
	return editFile(path, func(shared, own *yaml.Node) {
		rc := lookup(shared, "registryConfig")
		deleteKey(lookup(rc, "registries"), host)
		eps := lookup(rc, "endpointConfig")
		deleteKey(eps, endpointKey(eps, "https://"+host))
		dropEmpty(rc, "endpointConfig")
		dropEmpty(rc, "registries")
		dropEmpty(shared, "registryConfig")
		ferry := lookup(own, "ferry")
		deleteKey(lookup(ferry, "registries"), host)
		dropEmpty(ferry, "registries")
		dropEmpty(own, "ferry")
	})
}

// newFile starts a configuration file that a registry edit creates. It is
// not the sample: the sample's example registry and rewrite rule would
// change pulls the operator never asked about.
const newFile = `# Ferry configuration, shared with the reference tool (ace-dt --config FILE).
# "ferry config --sample" prints every setting, explained.
apiVersion: ` + APIVersion + `
kind: ` + Kind + `
`

// editFile reads the configuration at path (newFile when missing), lets
// edit change its two documents as YAML nodes, and saves the result.
func editFile(path string, edit func(shared, own *yaml.Node)) error {
	text, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		text, err = []byte(newFile), nil
	}
	if err != nil {
		return fmt.Errorf("reading configuration: %w", err)
	}
	if _, err := Parse(path, text); err != nil {
		return fmt.Errorf("the configuration file has problems; fix them on the Settings page (or in %s) first:\n%w", path, err)
	}
	docs, err := documents(text)
	if err != nil {
		return err
	}
	edit(docs[0], docs[1])
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	for i, d := range docs {
		if len(d.Content) == 0 {
			continue
		}
		if i == 1 && len(d.Content[0].Content) == 0 {
			continue // no Ferry settings: no second document
		}
		if err := enc.Encode(d); err != nil {
			return fmt.Errorf("writing configuration: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("writing configuration: %w", err)
	}
	return Save(path, b.String())
}

// documents decodes the shared and Ferry documents, each a document node
// holding one mapping (created empty when the text lacks it).
func documents(text []byte) ([2]*yaml.Node, error) {
	var docs [2]*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(text))
	for i := range docs {
		n := &yaml.Node{}
		err := dec.Decode(n)
		if err != nil && !errors.Is(err, io.EOF) {
			return docs, fmt.Errorf("reading configuration: %w", err)
		}
		if n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
			n = &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
			if i == 0 {
				n.Content[0].Content = []*yaml.Node{scalar("apiVersion", "!!str"), scalar(APIVersion, "!!str"), scalar("kind", "!!str"), scalar(Kind, "!!str")}
			}
		}
		docs[i] = n
	}
	return docs, nil
}

// body is the mapping of a document node, or n itself.
func body(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return n.Content[0]
	}
	return n
}

// lookup is the value of key in mapping m (a document's mapping when m is
// a document), nil when m or the key is missing.
func lookup(m *yaml.Node, key string) *yaml.Node {
	_, v := entry(m, key)
	return v
}

// entry is the key and value nodes of key in mapping m, nil when missing.
func entry(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = body(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// mapping is the mapping under key in m, created (or made a mapping, when
// it was empty) if needed.
func mapping(m *yaml.Node, key string) *yaml.Node {
	if k, v := entry(m, key); v != nil && v.Kind == yaml.MappingNode {
		if v.Style&yaml.FlowStyle != 0 && v.LineComment != "" && k.LineComment == "" {
			// `host: {} # note` becomes a block: the note stays on its line.
			k.LineComment, v.LineComment = v.LineComment, ""
		}
		return v
	}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	setKey(m, key, v)
	return v
}

func setKey(m *yaml.Node, key string, v *yaml.Node) {
	m = body(m)
	m.Style &^= yaml.FlowStyle // an entry written `{}` grows into a block
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v.HeadComment, v.LineComment, v.FootComment = m.Content[i+1].HeadComment, m.Content[i+1].LineComment, m.Content[i+1].FootComment
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, scalar(key, "!!str"), v)
}

func deleteKey(m *yaml.Node, key string) {
	m = body(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = slices.Delete(m.Content, i, i+2)
			return
		}
	}
}

// dropEmpty deletes key from m when its value is an empty mapping.
func dropEmpty(m *yaml.Node, key string) {
	if v := lookup(m, key); v != nil && v.Kind == yaml.MappingNode && len(v.Content) == 0 {
		deleteKey(m, key)
	}
}

// endpointKey is the key under which endpoints holds ep (keys are
// compared as Endpoint compares them), or ep itself when none does.
func endpointKey(endpoints *yaml.Node, ep string) string {
	if endpoints != nil && endpoints.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(endpoints.Content); i += 2 {
			if k := endpoints.Content[i].Value; normalizeEndpoint(k) == normalizeEndpoint(ep) {
				return k
			}
		}
	}
	return ep
}

func scalar(v, tag string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v}
}

func stringList(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, s := range items {
		n.Content = append(n.Content, scalar(s, "!!str"))
	}
	return n
}
