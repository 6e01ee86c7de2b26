package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// referenceFile uses every key of the reference tool's Configuration.
const referenceFile = `apiVersion: config.dt.act3-ace.io/v1alpha1
kind: Configuration
cachePruneMax: 500Mi
cachePath: /var/cache/ace
compressionLevel: normal
editor: vim
chunkSize: 100Mi
concurrentHTTP: 25
registryAuthFile: ~/.docker/config.json
hideProgress: true
telemetry:
- name: lion
  url: https://telemetry.example.com
  oauth:
    issuer: https://issuer.example.com
    clientID: "123"
  cookies:
    jwt: token
  token: secret
telemetryUserName: someone
keys:
- alias: gitlabExampleKey
  path: path/to/private.key
  api: gitlab
  userid: someone
  keyid: key-title
registryConfig:
  registries:
    index.docker.io:
      endpoints:
        - https://mirror.example.com
        - https://index.docker.io
      rewritePull:
        "^rancher/(.*)": "ace/dt/rancher-images/$1"
        "^ubuntu/(.*)": "ace/dt/ubuntu-images/$1"
    localhost:5000:
      endpoints:
        - http://localhost:5000
      noncompliant: true
  endpointConfig:
    https://nvcr.io:
      supportsReferrers: "tag"
    http://localhost:5000:
      tls:
        insecureSkipVerify: true
`

func TestParseAcceptsReferenceFile(t *testing.T) {
	c, err := Parse("ref.yaml", []byte(referenceFile))
	if err != nil {
		t.Fatal(err)
	}
	if c.CachePruneMax == nil || *c.CachePruneMax != 500<<20 || *c.ChunkSize != 100<<20 {
		t.Errorf("sizes: cachePruneMax %v chunkSize %v", c.CachePruneMax, c.ChunkSize)
	}
	if c.ConcurrentHTTP != 25 || !c.HideProgress || c.Editor != "vim" || c.CompressionLevel != "normal" {
		t.Errorf("scalars not kept: %+v", c)
	}
	if len(c.Telemetry) != 1 || c.Telemetry[0].OAuth.ClientID != "123" || c.Telemetry[0].Cookies["jwt"] != "token" {
		t.Errorf("telemetry not kept: %+v", c.Telemetry)
	}
	if len(c.SigningKeys) != 1 || c.SigningKeys[0].KeyID != "key-title" {
		t.Errorf("keys not kept: %+v", c.SigningKeys)
	}

	hub := c.Registry("docker.io") // references name Docker Hub either way
	if got := strings.Join(hub.Endpoints, " "); got != "https://mirror.example.com https://index.docker.io" {
		t.Errorf("endpoints = %s", got)
	}
	if got, ok := hub.RewritePull.Apply("rancher/rancher"); !ok || got != "ace/dt/rancher-images/rancher" {
		t.Errorf("rewrite = %q, %v", got, ok)
	}
	if got, ok := hub.RewritePull.Apply("library/alpine"); ok || got != "library/alpine" {
		t.Errorf("non-matching path rewritten to %q", got)
	}
	if !c.Registry("localhost:5000").NonCompliant {
		t.Error("noncompliant not kept")
	}
	if c.Endpoint("https://nvcr.io/").SupportsReferrers != ReferrersTag {
		t.Error("endpoint lookup must ignore a trailing slash")
	}
	if tls := c.Endpoint("http://localhost:5000").TLS; tls == nil || !tls.InsecureSkipVerify {
		t.Error("insecureSkipVerify not kept")
	}
	if c.Endpoint("https://elsewhere.io").SupportsReferrers.OrAuto() != ReferrersAuto {
		t.Error("an unconfigured endpoint must default to auto")
	}
}

func TestRewriteRulesApplyInFileOrder(t *testing.T) {
	text := header + `registryConfig:
  registries:
    r.io:
      rewritePull:
        "^a/(.*)": "first/$1"
        "^a/b$": "second"
`
	// Map order would pick either rule at random; file order must win every time.
	for range 20 {
		c, err := Parse("f.yaml", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := c.Registry("r.io").RewritePull.Apply("a/b"); got != "first/b" {
			t.Fatalf("Apply = %q, want the first rule's result", got)
		}
	}
}

const header = "apiVersion: config.dt.act3-ace.io/v1alpha1\nkind: Configuration\n"

func TestParseReportsProblemsWithPositions(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string // each must appear in the error, in this order
	}{
		{"unknown top-level key", header + "cachePrunemax: 5\n",
			[]string{`f.yaml:3:1: unknown key "cachePrunemax" (did you mean "cachePruneMax"?)`}},
		{"unknown nested key", header + "registryConfig:\n  registries:\n    r.io:\n      endpoint: [https://r.io]\n",
			[]string{`f.yaml:6:7: registryConfig.registries[r.io]: unknown key "endpoint"`}},
		{"type error", header + "concurrentHTTP: many\nhideProgress: 3\n",
			[]string{`f.yaml:3:17: concurrentHTTP: expected an integer, got "many"`, `f.yaml:4:15: hideProgress: expected true or false`}},
		{"list expected", header + "registryConfig:\n  registries:\n    r.io:\n      endpoints: https://r.io\n",
			[]string{`f.yaml:6:18: registryConfig.registries[r.io].endpoints: expected a list`}},
		{"bad regex", header + "registryConfig:\n  registries:\n    r.io:\n      rewritePull:\n        \"^(x\": y\n",
			[]string{`f.yaml:7:9: registryConfig.registries[r.io].rewritePull: invalid regular expression "^(x": missing closing )`}},
		{"bad endpoint", header + "registryConfig:\n  registries:\n    r.io:\n      endpoints: [ftp://r.io, https://r.io/sub]\n",
			[]string{`f.yaml:6:19:`, `must start with http:// or https://`, `f.yaml:6:31:`, `must be scheme://host[:port] only`}},
		{"bad endpoint key", header + "registryConfig:\n  endpointConfig:\n    nvcr.io:\n      supportsReferrers: tag\n",
			[]string{`f.yaml:5:5: registryConfig.endpointConfig[nvcr.io]: endpoint "nvcr.io" must start with http:// or https://`}},
		{"scheme in registry key", header + "registryConfig:\n  registries:\n    https://r.io: {}\n",
			[]string{`f.yaml:5:5:`, `without a scheme`}},
		{"bad referrers mode", header + "registryConfig:\n  endpointConfig:\n    https://r.io:\n      supportsReferrers: maybe\n",
			[]string{`f.yaml:6:26:`, `expected tag, api or auto, got "maybe"`}},
		{"duplicate key", header + "editor: vi\neditor: vim\n",
			[]string{`f.yaml:4:1: key "editor" appears twice (first at line 3)`}},
		{"bad size", header + "---\nferry:\n  bufferSize: lots\n  blockSize: 1000\n",
			[]string{`f.yaml:5:15: ferry.bufferSize: "lots" is not a size`, `f.yaml:6:14: ferry.blockSize: must be a multiple of 512`}},
		{"unknown Ferry key", header + "---\nferry:\n  blocksize: 1Mi\n",
			[]string{`f.yaml:5:3: ferry: unknown key "blocksize" (did you mean "blockSize"?)`}},
		{"Ferry settings in the shared document", header + "ferry:\n  blockSize: 1Mi\n",
			[]string{`f.yaml:3:1: Ferry's settings belong in a second YAML document`, "ace-dt reads only the first document"}},
		{"wrong apiVersion", "apiVersion: v1\nkind: Configuration\n",
			[]string{`f.yaml:1:13: apiVersion: expected config.dt.act3-ace.io/v1alpha1, got "v1"`}},
		{"missing apiVersion", "kind: Configuration\n",
			[]string{`f.yaml:1:1: apiVersion is missing`}},
		{"bad yaml", header + "registryConfig:\n  a: b\n   c: d\n",
			[]string{`f.yaml:5: invalid YAML: mapping values are not allowed`}},
		{"shared settings in the second document", header + "---\n" + header,
			[]string{`f.yaml:4:1: unknown key "apiVersion"`}},
		{"three documents", header + "---\nferry: {}\n---\nferry: {}\n",
			[]string{`f.yaml:5:1: a configuration file holds at most two YAML documents`}},
		{"compression level", header + "compressionLevel: best\n",
			[]string{`f.yaml:3:19: compressionLevel: expected min, normal or max`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("f.yaml", []byte(tc.text))
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %v is not an ErrorList", err)
			}
			msg, at := err.Error(), 0
			for _, w := range tc.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("error lacks %q (in order):\n%s", w, msg)
				}
				at += i + len(w)
			}
		})
	}
}

func TestParseReportsEveryProblemAtOnce(t *testing.T) {
	_, err := Parse("f.yaml", []byte(header+"editor: [x]\nconcurrentHTTP: x\nbogus: 1\n"))
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
	if list[0].Line != 3 || list[1].Line != 4 || list[2].Line != 5 {
		t.Errorf("problems not in file order: %v", err)
	}
}

func TestDefaultsAndEmptyFile(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	for _, text := range []string{"", "# only a comment\n", header} {
		c, err := Parse("f.yaml", []byte(text))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		f := c.Ferry
		if f.BlockSize != 1<<20 || f.BufferSize != 256<<20 || f.Concurrency != 4 || f.RegistryConcurrency != 4 {
			t.Errorf("%q: defaults not applied: %+v", text, f)
		}
		if f.Database != "/data/ferry/ferry.db" || f.Store != "/data/ferry/store" {
			t.Errorf("%q: data paths %q %q", text, f.Database, f.Store)
		}
	}
	c, err := Parse("f.yaml", []byte(header+"---\nferry:\n  blockSize: 256Ki\n  bufferSize: 1.5Gi\n  concurrency: 8\n  store: ~/oci\n"))
	if err != nil {
		t.Fatal(err)
	}
	home, _ := os.UserHomeDir()
	if c.Ferry.BlockSize != 256<<10 || c.Ferry.BufferSize != 3<<29 || c.Ferry.Concurrency != 8 || c.Ferry.Store != filepath.Join(home, "oci") {
		t.Errorf("ferry settings: %+v", c.Ferry)
	}
}

func TestSampleLoads(t *testing.T) {
	c, err := Parse("sample", []byte(Sample()))
	if err != nil {
		t.Fatalf("the sample must load as is:\n%v", err)
	}
	if len(c.Registry("index.docker.io").Endpoints) == 0 {
		t.Error("the sample should show a registry with endpoints")
	}
	// Ferry's own settings in the sample's second document are read.
	edited := strings.Replace(Sample(), "\n  concurrency: 4 ", "\n  concurrency: 9 ", 1)
	if edited == Sample() {
		t.Fatal("the sample has no ferry concurrency line to edit")
	}
	if c, err := Parse("sample", []byte(edited)); err != nil || c.Ferry.Concurrency != 9 {
		t.Errorf("edited sample: concurrency %v, err %v; want 9", c, err)
	}
}

func TestMarshalRoundTrips(t *testing.T) {
	c, err := Parse("ref.yaml", []byte(referenceFile))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("marshalled", out)
	if err != nil {
		t.Fatalf("Marshal output does not load:\n%s\n%v", out, err)
	}
	again, _ := Marshal(back)
	if string(again) != string(out) {
		t.Errorf("round trip changed the configuration:\n%s\n---\n%s", out, again)
	}
	if !strings.Contains(string(out), "cachePruneMax: 500Mi") || !strings.Contains(string(out), `^rancher/(.*)`) {
		t.Errorf("Marshal lost settings:\n%s", out)
	}
	if strings.Contains(string(out), "secret") || strings.Contains(string(out), "jwt: token") || !strings.Contains(string(out), "jwt: "+Redacted) {
		t.Errorf("Marshal must not print telemetry secrets:\n%s", out)
	}
	if c.Telemetry[0].Token != "secret" {
		t.Error("Marshal changed the configuration it printed")
	}
}

func TestResolveOrder(t *testing.T) {
	dir := t.TempDir()
	write := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(header), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	xdg := filepath.Join(dir, "xdg")
	t.Setenv("XDG_CONFIG_HOME", xdg)
	t.Setenv(EnvConfig, "")

	// Nothing asked for and no default file: built-in defaults.
	if p, err := Resolve(nil); err != nil || p != "" {
		t.Fatalf("Resolve(nil) = %q, %v", p, err)
	}
	c, err := Load(nil)
	if err != nil || c.Source != "" {
		t.Fatalf("Load(nil) = %+v, %v", c, err)
	}

	if err := os.MkdirAll(filepath.Join(xdg, "ferry"), 0o755); err != nil {
		t.Fatal(err)
	}
	def := filepath.Join(xdg, "ferry", "config.yaml")
	if err := os.WriteFile(def, []byte(header), 0o644); err != nil {
		t.Fatal(err)
	}
	if p, _ := Resolve(nil); p != def {
		t.Errorf("default file not used: %q", p)
	}

	env := write("env.yaml")
	t.Setenv(EnvConfig, filepath.Join(dir, "missing.yaml")+string(os.PathListSeparator)+env)
	if p, _ := Resolve(nil); p != env {
		t.Errorf("ACE_DT_CONFIG: got %q, want the first existing file %q", p, env)
	}

	flag := write("flag.yaml")
	if p, _ := Resolve([]string{filepath.Join(dir, "nope.yaml"), flag, env}); p != flag {
		t.Errorf("--config: got %q, want the first existing file %q", p, flag)
	}

	_, err = Resolve([]string{filepath.Join(dir, "nope.yaml")})
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("a --config naming no existing file must fail and name it, got %v", err)
	}
}

func TestLoadFileNamesTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(header+"bogus: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(p)
	if err == nil || !strings.HasPrefix(err.Error(), p+":3:1: ") {
		t.Errorf("error must start with the file position, got %v", err)
	}
}

func TestSaveValidatesAndReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "config.yaml")
	if err := Save(p, Sample()); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != Sample() {
		t.Error("saved text differs")
	}
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}

	err := Save(p, header+"bogus: 1\n")
	if err == nil || !strings.Contains(err.Error(), `unknown key "bogus"`) {
		t.Fatalf("invalid text must be refused, got %v", err)
	}
	if got, _ := os.ReadFile(p); string(got) != Sample() {
		t.Error("a refused save changed the file")
	}

	if err := Save(p, header); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(p)
	if err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("permissions not kept: %v %v", info.Mode(), err)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestParseSize(t *testing.T) {
	good := map[string]Size{"0": 0, "4096": 4096, "1Ki": 1024, "1Mi": 1 << 20, "1.5Gi": 3 << 29, "2G": 2e9, "100k": 1e5, "0.5": 1}
	for in, want := range good {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "Mi", "9Ei", "1e6", "1 000", "1Zi", "1MiBs"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
	for _, s := range []Size{1 << 20, 3 << 29, 1000, 512 << 10} {
		if back, err := ParseSize(s.String()); err != nil || back != s {
			t.Errorf("%d -> %q -> %d, %v", s, s.String(), back, err)
		}
	}
}

// The reference's size flags read MB as 10^6 and MiB as 2^20, in any case,
// with an optional space and thousands separators (measured with its
// `util mbuffer -b`: 1MB writes 1000000-byte blocks, 1MiB 1048576).
func TestParseSizeAcceptsTheReferenceSpellings(t *testing.T) {
	for in, want := range map[string]Size{
		"1MiB": 1 << 20, " 1Mi ": 1 << 20, "2GiB": 2 << 30, "4096": 4096, "1 MiB": 1 << 20, "1mib": 1 << 20,
		"1MB": 1e6, "1mb": 1e6, "1 MB": 1e6, "1M": 1e6, "512KB": 512e3, "512kb": 512e3, "1Kb": 1000, "1.5MB": 15e5,
		"1,000,000": 1e6, "1B": 1, "0": 0, "1GB": 1e9, "1Gi": 1 << 30, "1TB": 1e12,
	} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"MiB", "1iB", "1  MiB", "1XB", "-5"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
}
