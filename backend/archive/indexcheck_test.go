package archive

import (
	"strings"
	"testing"
)

func TestParseIndexStrict(t *testing.T) {
	const root = `{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:` + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" + `","size":3}`
	const good = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` + root + `],"annotations":{"vnd.act3-ace.data.serialization.version":"2"}}`
	if _, err := ParseIndexStrict([]byte(good)); err != nil {
		t.Fatalf("a sound index: %v", err)
	}
	for _, c := range []struct{ name, data, want string }{
		{"a duplicate top-level key", strings.Replace(good, `{"schemaVersion":2,`, `{"schemaVersion":2,"schemaVersion":2,`, 1), "appears twice"},
		{"a duplicate annotation", strings.Replace(good, `"annotations":{`, `"annotations":{"a":"1","a":"2",`, 1), "appears twice"},
		{"an unknown top-level key", strings.Replace(good, `{"schemaVersion":2,`, `{"schemaVersion":2,"subject":null,`, 1), `unknown key "subject"`},
		{"a key in other case", strings.Replace(good, `"manifests"`, `"Manifests"`, 1), `unknown key "Manifests"`},
		{"an unknown descriptor key", strings.Replace(good, `"size":3`, `"size":3,"sizes":4`, 1), `unknown key "sizes"`},
		{"schemaVersion 1", strings.Replace(good, `"schemaVersion":2`, `"schemaVersion":1`, 1), "schemaVersion is 1"},
		{"a manifest media type", strings.Replace(good, `"mediaType":"application/vnd.oci.image.index.v1+json","manifests"`, `"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests"`, 1), "mediaType is"},
		{"no media type with a serialization version", strings.Replace(good, `"mediaType":"application/vnd.oci.image.index.v1+json","manifests"`, `"manifests"`, 1), "mediaType is"},
		{"data after the object", good + ` {}`, "data after"},
		{"not an object", `[]`, "not a JSON object"},
		{"a negative size", strings.Replace(good, `"size":3`, `"size":-3`, 1), "negative size"},
		{"a descriptor without digest", strings.Replace(good, root, `{"mediaType":"x","size":1}`, 1), "no digest"},
	} {
		if _, err := ParseIndexStrict([]byte(c.data)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
	// Archives of other tools may leave the media type out.
	other := strings.Replace(strings.Replace(good, `"mediaType":"application/vnd.oci.image.index.v1+json","manifests"`, `"manifests"`, 1), `"vnd.act3-ace.data.serialization.version":"2"`, `"x":"y"`, 1)
	if _, err := ParseIndexStrict([]byte(other)); err != nil {
		t.Errorf("an index of another tool without mediaType: %v", err)
	}
}

func TestIsCanonicalIndex(t *testing.T) {
	idx := Index{Annotations: map[string]string{"k": "<v>"}}
	data, err := idx.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := ParseIndex(data)
	if !IsCanonicalIndex(data, m) {
		t.Fatalf("Index.Bytes output is not canonical:\n%s", data)
	}
	for _, changed := range []string{
		strings.Replace(string(data), `\u003c`, `<`, 1), // same content, other escape
		strings.Replace(string(data), "\n  ", "\n ", 1),
		string(data) + "\n",
	} {
		if m, err := ParseIndex([]byte(changed)); err == nil && IsCanonicalIndex([]byte(changed), m) {
			t.Errorf("taken as canonical:\n%s", changed)
		}
	}
}
