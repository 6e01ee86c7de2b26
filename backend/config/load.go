package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/renameio/v2"
	"gopkg.in/yaml.v3"
)

// EnvConfig names the environment variable holding a list of configuration
// files separated by ":", as in the reference tool.
const EnvConfig = "ACE_DT_CONFIG"

// DefaultPath is $XDG_CONFIG_HOME/ferry/config.yaml (~/.config when unset).
func DefaultPath() string {
	return filepath.Join(ConfigDir(), "config.yaml")
}

// Resolve picks the configuration file: the first of paths (the --config
// flags) that exists, else the first existing file listed in ACE_DT_CONFIG,
// else DefaultPath if it exists. It returns "" when nothing was asked for and
// the default file is absent (built-in defaults apply), and an error when
// files were named but none exists, so that a mistyped path is not ignored.
func Resolve(paths []string) (string, error) {
	source := "--config"
	if len(paths) == 0 {
		if env := os.Getenv(EnvConfig); env != "" {
			source = EnvConfig
			for _, p := range filepath.SplitList(env) {
				if p != "" {
					paths = append(paths, p)
				}
			}
		}
	}
	if len(paths) == 0 {
		found, err := exists(DefaultPath())
		if err != nil || !found {
			return "", err
		}
		return DefaultPath(), nil
	}
	for _, p := range paths {
		p = expandHome(p)
		found, err := exists(p)
		if err != nil {
			return "", err
		}
		if found {
			return p, nil
		}
	}
	return "", fmt.Errorf("no configuration file found: none of the files named by %s exists (%s)", source, strings.Join(paths, ", "))
}

func exists(path string) (bool, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("configuration file: %w", err)
	case info.IsDir():
		return false, fmt.Errorf("configuration file %s is a directory", path)
	}
	return true, nil
}

// Load resolves the configuration file as Resolve does and reads it; with no
// file it returns Default().
func Load(paths []string) (*Config, error) {
	path, err := Resolve(paths)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return Default(), nil
	}
	return LoadFile(path)
}

// LoadFile reads and checks one configuration file.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	return Parse(path, data)
}

// Parse reads configuration text; name is used in error positions. The
// text is one YAML document, the reference tool's Configuration, optionally
// followed by a second holding Ferry's own settings under `ferry:`. The
// reference reads only the first document and refuses keys it does not know,
// so Ferry's keep out of it and one file serves both tools. Every problem is
// returned at once as an ErrorList. Ferry's own settings that are not given
// get their defaults.
func Parse(name string, data []byte) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var shared, own yaml.Node
	if err := dec.Decode(&shared); errors.Is(err, io.EOF) {
		// An empty file, or one with only comments, means the defaults.
		c := Default()
		c.Source = name
		return c, nil
	} else if err != nil {
		return nil, ErrorList{syntaxError(name, err)}
	}
	err := dec.Decode(&own)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, ErrorList{syntaxError(name, err)}
	}
	if err == nil {
		var third yaml.Node
		if err := dec.Decode(&third); !errors.Is(err, io.EOF) {
			if err != nil {
				return nil, ErrorList{syntaxError(name, err)}
			}
			return nil, ErrorList{{File: name, Line: third.Line, Column: third.Column,
				Msg: "a configuration file holds at most two YAML documents (the shared configuration, then Ferry's `ferry:` settings); remove the third"}}
		}
	}
	if len(shared.Content) == 0 && len(own.Content) == 0 {
		c := Default()
		c.Source = name
		return c, nil
	}

	c := &Config{}
	d := newDecoder(name)
	if len(shared.Content) > 0 {
		d.refuseFerryKey(shared.Content[0])
		d.decode(shared.Content[0], reflect.ValueOf(c).Elem(), "")
	}
	if len(own.Content) > 0 {
		doc := ferryDocument{}
		d.decode(own.Content[0], reflect.ValueOf(&doc).Elem(), "")
		c.Ferry = doc.Ferry
	}
	d.validate(c)
	if len(d.errs) > 0 {
		return nil, d.errs.sorted()
	}
	c.applyDefaults()
	c.Source = name
	return c, nil
}

// ferryDocument is the second document of a configuration file.
type ferryDocument struct {
	Ferry Ferry `yaml:"ferry"`
}

// refuseFerryKey reports a `ferry:` key in the shared document, where the
// reference tool would refuse the whole file, and drops it so that it is
// reported once.
func (d *decoder) refuseFerryKey(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "ferry" {
			d.errorAt(k, "", "Ferry's settings belong in a second YAML document: put a line `---` after the shared settings, then `ferry:`; ace-dt reads only the first document and refuses keys it does not know")
			n.Content = append(n.Content[:i:i], n.Content[i+2:]...)
			return
		}
	}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 parse error ("yaml: line 3: ...") into an Error
// positioned at that line.
func syntaxError(name string, err error) *Error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: name, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{File: name, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// Save checks text as a configuration and, only if it is valid, writes it to
// path atomically (a temporary file in the same directory, then a rename),
// keeping an existing file's permissions. The Settings page uses it.
func Save(path, text string) error {
	if _, err := Parse(path, []byte(text)); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("saving configuration: %w", err)
	}
	if err := WriteFile(path, []byte(text), 0o600); err != nil {
		return fmt.Errorf("saving configuration: %w", err)
	}
	return nil
}

// WriteFile writes data to path atomically: a temporary file in the same
// directory, synced to disk, then renamed over path, so a crash or a full
// disk leaves the old file or the new one, never half of either. An
// existing file keeps its permissions; a new one gets perm.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return renameio.WriteFile(path, data, perm, renameio.WithExistingPermissions())
}

// Redacted replaces secrets (telemetry tokens and cookies) in printed configurations.
const Redacted = "<redacted>"

// Marshal writes c as YAML (two-space indent) for `ferry config`. Telemetry
// tokens and cookie values are printed as Redacted; everything else loads
// back into an equal configuration.
func Marshal(c *Config) ([]byte, error) {
	out := *c
	out.Telemetry = make([]TelemetryLocation, len(c.Telemetry))
	for i, loc := range c.Telemetry {
		if loc.Token != "" {
			loc.Token = Redacted
		}
		if loc.Cookies != nil {
			cookies := make(map[string]string, len(loc.Cookies))
			for k := range loc.Cookies {
				cookies[k] = Redacted
			}
			loc.Cookies = cookies
		}
		out.Telemetry[i] = loc
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	// Two documents, as Parse reads them: the reference tool's, then Ferry's.
	for _, doc := range []any{&out, ferryDocument{Ferry: c.Ferry}} {
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("writing configuration: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing configuration: %w", err)
	}
	return b.Bytes(), nil
}
