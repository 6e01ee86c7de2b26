package mirror

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"ferry/backend/archive"
	"ferry/backend/registrytest"
)

func TestManifestJSONIsTheLastEntryOfTheArchive(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newMediaFixture(t, host, false)
	path := filepath.Join(t.TempDir(), "medium.tar")
	res, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: f.index, Dest: path, ManifestJSON: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.ManifestJSON != archive.DockerManifestFile {
		t.Errorf("result names %q", res.ManifestJSON)
	}
	if _, err := os.Stat(path + ".manifest.json"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a side file was written: %v", err)
	}
	// Strict reading accepts it after the final index.json.
	entries, _ := readStream(t, path)
	last := entries[len(entries)-1]
	if last.name != archive.DockerManifestFile || entries[len(entries)-2].kind != archive.KindIndex {
		t.Fatalf("last entries %q, %q: want index.json then manifest.json", entries[len(entries)-2].name, last.name)
	}
	names := map[string]bool{}
	for _, e := range entries {
		names[e.name] = true
	}
	data := readTarFile(t, path, archive.DockerManifestFile)
	var dm []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(data, &dm); err != nil {
		t.Fatal(err)
	}
	if len(dm) != 3 {
		t.Fatalf("%d images described, want 3 (one per source): %s", len(dm), data)
	}
	for _, m := range dm {
		for _, p := range append([]string{m.Config}, m.Layers...) {
			if !names[p] {
				t.Errorf("manifest.json names %s, which the archive lacks", p)
			}
		}
	}
	if rep, err := VerifyMedium(context.Background(), testEnv(), VerifyOptions{Source: path, Strict: true}); err != nil {
		t.Errorf("verify --strict: %v %v", err, rep.Problems)
	}
}

// readTarFile returns the content of one entry of a plain tar.
func readTarFile(t *testing.T, path, name string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in %s: %v", name, path, err)
		}
		if h.Name == name {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
	}
}
