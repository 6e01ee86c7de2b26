package config

import (
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeCA writes a test server's certificate, a CA of its own, as PEM.
func writeCA(t *testing.T) string {
	t.Helper()
	srv := httptest.NewTLSServer(nil)
	srv.Close()
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func loadText(t *testing.T, path string) (*Config, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(path, b)
	if err != nil {
		t.Fatalf("saved file does not load: %v\n%s", err, b)
	}
	return c, string(b)
}

func TestSaveRegistryWritesTheFileAndKeepsTheRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ferry", "config.yaml")
	ca := writeCA(t)
	want := RegistrySettings{Host: "reg.high.example:5000", PlainHTTP: true, Endpoints: []string{"https://mirror.high.example"}, SkipVerify: true, CAFile: ca}
	if err := SaveRegistry(path, want); err != nil {
		t.Fatal(err)
	}
	c, text := loadText(t, path)
	if !strings.Contains(text, "# Ferry configuration, shared with the reference tool") || strings.Contains(text, "rewritePull") || len(c.Registries()) != 2 {
		t.Errorf("the new file holds more than the registry (and the built-in one):\n%s", text)
	}
	if got := c.Registry(want.Host).Endpoints; !reflect.DeepEqual(got, []string{"http://reg.high.example:5000", "https://mirror.high.example"}) {
		t.Errorf("endpoints %v", got)
	}
	if tls := c.Endpoint("https://reg.high.example:5000").TLS; tls == nil || !tls.InsecureSkipVerify {
		t.Errorf("tls %+v", tls)
	}
	if c.CAFile(want.Host) != ca {
		t.Errorf("caFile %q", c.CAFile(want.Host))
	}
	got := c.RegistrySettings(want.Host)
	want.InFile = true
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back %+v, want %+v", got, want)
	}
	// The CA file is Ferry's own: it stays out of the reference's document.
	shared, _, _ := strings.Cut(text, "\n---\n")
	if strings.Contains(shared, "caFile") {
		t.Errorf("caFile in the shared document:\n%s", text)
	}

	// Plain HTTP, verification and the CA file off again: their keys go,
	// the registry stays listed, the rest of the file is kept.
	if err := SaveRegistry(path, RegistrySettings{Host: want.Host, Endpoints: []string{"https://mirror.high.example"}}); err != nil {
		t.Fatal(err)
	}
	c, text = loadText(t, path)
	if got := c.Registry(want.Host).Endpoints; !reflect.DeepEqual(got, []string{"https://mirror.high.example"}) {
		t.Errorf("endpoints %v", got)
	}
	if keys := uncommented(text); strings.Contains(keys, "insecureSkipVerify: true") || strings.Contains(keys, "caFile:") || strings.Contains(keys, "http://reg.high.example") {
		t.Errorf("settings turned off are still written:\n%s", text)
	}
	if !strings.Contains(text, "# Ferry configuration") || c.Ferry.BlockSize != DefaultBlockSize {
		t.Errorf("the rest of the file changed:\n%s", text)
	}

	var hosts []string
	for _, r := range c.Registries() {
		hosts = append(hosts, r.Host)
		if r.Host == BuiltinRegistryAddress() && (!r.Builtin || !r.PlainHTTP || r.InFile) {
			t.Errorf("built-in registry listed as %+v", r)
		}
	}
	if !reflect.DeepEqual(hosts, []string{BuiltinRegistryAddress(), want.Host}) {
		t.Errorf("registries %v", hosts)
	}

	if err := RemoveRegistry(path, want.Host); err != nil {
		t.Fatal(err)
	}
	c, text = loadText(t, path)
	if strings.Contains(text, want.Host) || c.RegistrySettings(want.Host).InFile {
		t.Errorf("removed registry still there:\n%s", text)
	}
}

func TestSaveRegistryRefusesBadSettings(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	notPEM := filepath.Join(dir, "ca.txt")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o644)
	for name, r := range map[string]RegistrySettings{
		"scheme in host": {Host: "https://reg.example"},
		"empty host":     {Host: ""},
		"bad endpoint":   {Host: "reg.example", Endpoints: []string{"ftp://mirror"}},
		"missing CA":     {Host: "reg.example", CAFile: filepath.Join(dir, "none.pem")},
		"CA not PEM":     {Host: "reg.example", CAFile: notPEM},
	} {
		if err := SaveRegistry(path, r); err == nil {
			t.Errorf("%s: saved", name)
		}
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("a refused registry created the file")
	}
	// A file with problems is not edited behind the operator's back.
	os.WriteFile(path, []byte("apiVersion: config.dt.act3-ace.io/v1alpha1\nkind: Configuration\nbogus: 1\n"), 0o600)
	if err := SaveRegistry(path, RegistrySettings{Host: "reg.example"}); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("file with problems: %v", err)
	}
}

// A registry entry written by hand in flow style, with comments, is
// edited in place.
func TestSaveRegistryEditsAHandWrittenEntry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte(`apiVersion: config.dt.act3-ace.io/v1alpha1
kind: Configuration
# my registries
registryConfig:
  registries:
    reg.example: {} # the lab's
`), 0o600)
	if err := SaveRegistry(path, RegistrySettings{Host: "reg.example", PlainHTTP: true}); err != nil {
		t.Fatal(err)
	}
	c, text := loadText(t, path)
	if !strings.Contains(text, "# my registries") || !strings.Contains(text, "# the lab's") {
		t.Errorf("comments lost:\n%s", text)
	}
	if got := c.Registry("reg.example").Endpoints; !reflect.DeepEqual(got, []string{"http://reg.example"}) {
		t.Errorf("endpoints %v\n%s", got, text)
	}
	if strings.Contains(text, "ferry:") {
		t.Errorf("an empty Ferry document was added:\n%s", text)
	}
}

// uncommented is text without its comments.
func uncommented(text string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if i := strings.Index(l, "#"); i >= 0 {
			l = l[:i]
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// A file written from the sample keeps the sample's comments and entries
// when a registry is added to it.
func TestSaveRegistryKeepsTheSample(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := Save(path, Sample()); err != nil {
		t.Fatal(err)
	}
	if err := SaveRegistry(path, RegistrySettings{Host: "reg.example", PlainHTTP: true}); err != nil {
		t.Fatal(err)
	}
	c, text := loadText(t, path)
	for _, want := range []string{"# Ferry's own settings", "# Regular expression -> replacement", "# registryAuthFile:"} {
		if !strings.Contains(text, want) {
			t.Errorf("lost %q:\n%s", want, text)
		}
	}
	if len(c.Registry("index.docker.io").RewritePull) != 1 || c.Ferry.Concurrency != DefaultConcurrency {
		t.Errorf("the sample's settings changed:\n%s", text)
	}
}
