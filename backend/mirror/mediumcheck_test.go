package mirror

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/archive"
	"ferry/backend/registrytest"
	"ferry/backend/sources"
)

// smallMedium serializes, with Ferry, a transfer of one small image and
// a referrer of it: a medium of a few KiB.
func smallMedium(t testing.TB) []byte {
	t.Helper()
	host := registrytest.InProcess(t)
	one := host + "/app/one:1"
	registrytest.PushImage(t, one, registrytest.Layer(t, 1, 300))
	registrytest.PushReferrer(t, one, "application/vnd.ferry.test.signature")
	index := host + "/transfer/gather:sync-1"
	if _, err := Gather(context.Background(), testEnv(), GatherOptions{Sources: []sources.Source{{Line: 1, Ref: one}}, Dest: index, Referrers: true}); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "sync-1.tar")
	if _, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: index, Dest: dest, Referrers: true}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(dest)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// craftEntry is one entry of a medium taken apart to be altered.
type craftEntry struct {
	name string
	dir  bool
	body []byte
}

func takeApart(t testing.TB, data []byte) []craftEntry {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(data))
	var out []craftEntry
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, craftEntry{name: hdr.Name, dir: hdr.Typeflag == tar.TypeDir, body: body})
	}
}

// putTogether writes entries as Ferry writes them. With fixDigest, the
// stream digest of the final index.json (the last one) is set to
// that of the bytes before it, re-encoded as Ferry encodes it, so that only
// the alteration under test can give the medium away.
func putTogether(t testing.TB, entries []craftEntry, fixDigest bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	final := -1
	for i, e := range entries {
		if e.name == archive.IndexFile {
			final = i
		}
	}
	for i, e := range entries {
		tw.Flush()
		body := e.body
		if i == final && fixDigest {
			body = withAnnotation(t, body, archive.AnnotationStreamSHA256, sha256Hex(buf.Bytes()))
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: e.name, Size: int64(len(body)), Mode: 0o666, ModTime: time.Unix(0, 0).UTC()}
		if e.dir {
			hdr = &tar.Header{Typeflag: tar.TypeDir, Name: e.name, Mode: 0o777, ModTime: time.Unix(0, 0).UTC()}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// withAnnotation re-encodes an index.json, as Ferry does, with an
// annotation set (or, with value "", removed).
func withAnnotation(t testing.TB, raw []byte, key, value string) []byte {
	t.Helper()
	return reencode(t, raw, func(m *v1.IndexManifest) {
		if value == "" {
			delete(m.Annotations, key)
		} else {
			m.Annotations[key] = value
		}
	})
}

func reencode(t testing.TB, raw []byte, change func(*v1.IndexManifest)) []byte {
	t.Helper()
	m, err := archive.ParseIndex(raw)
	if err != nil {
		t.Fatal(err)
	}
	change(m)
	b, err := archive.Index{Manifests: m.Manifests, Annotations: m.Annotations}.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func indexAt(entries []craftEntry, n int) int {
	for i, e := range entries {
		if e.name == archive.IndexFile {
			if n--; n == 0 {
				return i
			}
		}
	}
	return -1
}

func verifyBytes(data []byte) (VerifyReport, error) {
	return verifyFrom(context.Background(), testEnv(), bytes.NewReader(data), VerifyOptions{Source: "crafted.tar"})
}

// deserializeBytes reads a medium into a fresh local store and reports
// whether the store holds the tag afterwards.
func deserializeBytes(t testing.TB, data []byte) (tagged bool, err error) {
	t.Helper()
	store := filepath.Join(t.TempDir(), "store")
	_, err = Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: writeTemp(t.(*testing.T), data), DestLayout: store, Dest: "sync-1"})
	l, lerr := OpenLayout(store)
	if lerr != nil {
		t.Fatal(lerr)
	}
	_, _, rerr := l.Resolve(context.Background(), "sync-1")
	return rerr == nil, err
}

func TestSmallMediumIsSoundAndRebuildsByteForByte(t *testing.T) {
	data := smallMedium(t)
	if rebuilt := putTogether(t, takeApart(t, data), false); !bytes.Equal(rebuilt, data) {
		t.Fatalf("taking the medium apart and putting it together changes it (%d -> %d bytes)", len(data), len(rebuilt))
	}
	rep, err := verifyBytes(data)
	if err != nil || rep.StreamDigest != "verified" || len(rep.Warnings) > 0 {
		t.Fatalf("verify: %v (stream digest %s, warnings %v)", err, rep.StreamDigest, rep.Warnings)
	}
	if len(rep.Referrers) != 1 {
		t.Fatalf("%d referrers on the medium, want 1", len(rep.Referrers))
	}
	if tagged, err := deserializeBytes(t, data); err != nil || !tagged {
		t.Fatalf("deserialize: tagged=%v, %v", tagged, err)
	}
}

// TestCraftedMediaAreRejected alters a sound Ferry medium in the ways an
// attacker or a clumsy tool would. Where the alteration is before the final
// index.json, its stream digest is recomputed, so that the check named in
// want, not the stream digest, must catch it. Verify must report it, and
// deserialize must not tag.
func TestCraftedMediaAreRejected(t *testing.T) {
	data := smallMedium(t)
	base := takeApart(t, data)
	finalAt := indexAt(base, 2)
	firstAt := indexAt(base, 1)
	var layer craftEntry // the first blob that is not a manifest
	for _, e := range base {
		if strings.HasPrefix(e.name, "blobs/sha256/") && !bytes.HasPrefix(e.body, []byte("{")) {
			layer = e
		}
	}
	if finalAt < 0 || firstAt < 0 || layer.name == "" {
		t.Fatalf("unexpected medium: %d entries", len(base))
	}
	before := func(extra ...craftEntry) []craftEntry { // extra entries just before the final index.json
		out := append([]craftEntry(nil), base[:finalAt]...)
		return append(append(out, extra...), base[finalAt:]...)
	}
	replace := func(i int, body []byte) []craftEntry {
		out := append([]craftEntry(nil), base...)
		out[i] = craftEntry{name: out[i].name, body: body}
		return out
	}
	bytesReplace := func(i int, old, new string) []craftEntry {
		if !bytes.Contains(base[i].body, []byte(old)) {
			t.Fatalf("%q is not in entry %d", old, i)
		}
		return replace(i, bytes.Replace(base[i].body, []byte(old), []byte(new), 1))
	}
	sha512Body := []byte("not a blob of the transfer")
	sum512 := sha512.Sum512(sha512Body)
	rootSize := func(delta int64) func(m *v1.IndexManifest) {
		return func(m *v1.IndexManifest) { m.Manifests[0].Size += delta }
	}
	bothRoots := append([]craftEntry(nil), base...)
	bothRoots[firstAt].body = reencode(t, base[firstAt].body, rootSize(1))
	bothRoots[finalAt].body = reencode(t, base[finalAt].body, rootSize(1))
	keyFlipped := bytesReplace(finalAt, `"vnd.ferry.stream.sha256"`, `"vnd.ferry.stream.sha257"`)
	keyFlipped[firstAt].body = bytes.Replace(keyFlipped[firstAt].body, []byte(`"2"`), []byte(`"3"`), 1)

	cases := []struct {
		name      string
		entries   []craftEntry
		fixDigest bool
		want      string // in verify's problems and deserialize's error
	}{
		// Item 5: what deserialize used to take.
		{"an extra file", before(craftEntry{name: "notes.txt", body: []byte("hello")}), true, `"notes.txt" at offset`},
		{"a duplicate entry whose second copy differs", before(craftEntry{name: layer.name, body: bytes.Repeat([]byte{'x'}, len(layer.body))}), true, "differs from its name"},
		{"a duplicate entry with the same content", before(layer), true, "is written 2 times"},
		{"an extra blobs/sha512 entry", before(craftEntry{name: "blobs/sha512/" + hex.EncodeToString(sum512[:]), body: sha512Body}), true, "named by nothing on the medium"},
		{"an extra sha256 blob", before(craftEntry{name: "blobs/sha256/" + sha256Hex([]byte("stray")), body: []byte("stray")}), true, "named by nothing on the medium"},
		{"a missing oci-layout", base[1:], true, "has no oci-layout"},
		{"a second oci-layout", before(base[0]), true, "second copy"},
		{"an unknown directory", before(craftEntry{name: "extra", dir: true}), true, `"extra" at offset`},
		{"a third index.json", before(base[firstAt]), true, "3 index.json copies"},
		{"a file after the final index.json", append(append([]craftEntry(nil), base...), craftEntry{name: "late.txt", body: []byte("late")}), false, "follows the final index.json"},
		// Item 4: a corrupted final index.json.
		{"the last flag another word", bytesReplace(finalAt, `"vnd.ferry.volume.last": "true"`, `"vnd.ferry.volume.last": "yes"`), false, `not "true" or "false"`},
		{"the root size changed in the final copy", replace(finalAt, reencode(t, base[finalAt].body, rootSize(1))), false, "lists the root as"},
		{"the root size changed in both copies", bothRoots, true, "but the blob on the medium is"},
		{"the top-level mediaType flipped", bytesReplace(finalAt, `"mediaType": "application/vnd.oci.image.index.v1+json",`+"\n  \"manifests\"", `"mediaType": "application/vnd.oci.image.manifest.v1+json",`+"\n  \"manifests\""), false, "mediaType is"},
		{"a bit flipped in the stream digest key, and the first copy damaged", keyFlipped, false, `unknown annotation "vnd.ferry.stream.sha257"`},
		{"the stream digest removed", replace(finalAt, withAnnotation(t, base[finalAt].body, archive.AnnotationStreamSHA256, "")), false, "carries no stream digest"},
		{"a duplicate key", bytesReplace(finalAt, "\n  \"annotations\": {", "\n  \"annotations\": {\"vnd.ferry.volume.last\": \"false\", "), false, "appears twice"},
		{"an unknown top-level field", bytesReplace(finalAt, `"schemaVersion": 2,`, `"schemaVersion": 2, "extra": 1,`), false, `unknown key "extra"`},
		{"a key in other case", bytesReplace(finalAt, `"schemaVersion"`, `"SchemaVersion"`), false, `unknown key "SchemaVersion"`},
		{"indented otherwise", bytesReplace(finalAt, "\n  ", "\n   "), false, "not byte for byte what Ferry writes"},
		{"a volume number that is no positive integer", replace(finalAt, withAnnotation(t, base[finalAt].body, archive.AnnotationVolumeNumber, "01")), false, "not a positive integer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			medium := putTogether(t, c.entries, c.fixDigest)
			rep, err := verifyBytes(medium)
			var ve *VerifyError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("verify: %v; want a problem with %q", err, c.want)
			}
			if c.fixDigest && rep.StreamDigest != "verified" {
				t.Errorf("stream digest %s: the crafted medium should pass it, so that only the check under test can catch it", rep.StreamDigest)
			}
			tagged, err := deserializeBytes(t, medium)
			if tagged || err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("deserialize: tagged=%v, %v; want no tag and an error with %q", tagged, err, c.want)
			}
		})
	}
}

// finalIndexSpan returns where the final index.json's header starts, where
// its body starts and ends, and where its padding ends.
func finalIndexSpan(t testing.TB, data []byte) (hdr, body, end, padEnd int) {
	t.Helper()
	ar, err := archive.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		e, err := ar.Next()
		if err != nil {
			t.Fatalf("no final index.json: %v", err)
		}
		if e.Kind == archive.KindIndex {
			if n++; n == 2 {
				return int(e.Offset), int(e.End - (e.End-e.Offset-512+511)/512*512), int(e.End - (e.End-e.Offset-512+511)/512*512 + e.Size), int(e.End)
			}
		}
	}
}

// TestEveryByteOfTheFinalIndexIsCovered changes each byte of the final
// index.json entry of a small Ferry medium (its tar header, its body and
// its padding), one at a time and in several ways, keeping every size: verify
// must reject each change. No byte is left uncovered: the body must be
// exactly Ferry's encoding of a content consistent with the first copy, the
// blobs and the manifests that name each listed descriptor (referrers: with
// the referrer's own bytes); the header must be the one Ferry writes; the
// padding must be zeros. (The stream digest covers every byte before the
// header.)
func TestEveryByteOfTheFinalIndexIsCovered(t *testing.T) {
	data := smallMedium(t)
	hdr, _, _, padEnd := finalIndexSpan(t, data)
	flips := []byte{0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff}
	if testing.Short() {
		flips = []byte{0x01, 0x20}
	}
	passed := 0
	for i := hdr; i < padEnd; i++ {
		for _, x := range flips {
			changed := append([]byte(nil), data...)
			changed[i] ^= x
			if _, err := verifyBytes(changed); err == nil {
				passed++
				if passed <= 20 {
					t.Errorf("byte %d (offset %d in the entry) ^ %#02x passes verify: %q -> %q", i, i-hdr, x, data[i], changed[i])
				}
			}
		}
	}
	if passed > 0 {
		t.Errorf("%d of %d changes pass verify", passed, (padEnd-hdr)*len(flips))
	}
}

// referenceMedium has the reference tool serialize the transfer of one
// small image and a referrer, gathered by Ferry.
func referenceMedium(t *testing.T) []byte {
	t.Helper()
	acedt := referenceTool(t)
	host := registrytest.InProcess(t)
	one := host + "/app/one:1"
	registrytest.PushImage(t, one, registrytest.Layer(t, 1, 300))
	index := host + "/transfer/gather:sync-1"
	if _, err := Gather(context.Background(), testEnv(), GatherOptions{Sources: []sources.Source{{Line: 1, Ref: one}}, Dest: index}); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	cfg := filepath.Join(home, "ace-dt.yaml")
	conf := "apiVersion: config.dt.act3-ace.io/v1alpha1\nkind: Configuration\nregistryConfig:\n  registries:\n    " + host + ":\n      endpoints:\n        - http://" + host + "\n"
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(home, "sync-1.tar")
	cmd := exec.Command(acedt, "mirror", "serialize", index, dest)
	cmd.Env = append(os.Environ(), "HOME="+home, "ACE_DT_CONFIG="+cfg, "ACE_DT_CACHE_PATH="+filepath.Join(home, "cache"), "XDG_CONFIG_HOME="+home, "XDG_CACHE_HOME="+home, "DOCKER_CONFIG="+home)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ace-dt mirror serialize: %v\n%s", err, out)
	}
	data, err := os.ReadFile(dest)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A medium the reference wrote passes every check, but says loudly that it
// carries no stream digest; stripped of Ferry's keys, a Ferry medium reads
// the same way.
func TestMediumWithoutStreamDigestPassesWithAWarning(t *testing.T) {
	parts := takeApart(t, smallMedium(t))
	for i, e := range parts {
		if e.name == archive.IndexFile {
			parts[i].body = reencode(t, e.body, func(m *v1.IndexManifest) {
				for k := range m.Annotations {
					if archive.IsFerryKey(k) {
						delete(m.Annotations, k)
					}
				}
			})
		}
	}
	media := map[string][]byte{"Ferry's keys stripped": putTogether(t, parts, false)}
	if _, err := os.Stat(filepath.Join("..", "..", "..", "shared", "peers", "ace-dt")); err == nil || os.Getenv("ACEDT") != "" {
		media["written by the reference"] = referenceMedium(t)
	}
	for name, data := range media {
		t.Run(name, func(t *testing.T) {
			rep, err := verifyBytes(data)
			if err != nil || rep.Entries < 6 || rep.StreamDigest != "absent" || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "not proven byte for byte") {
				t.Errorf("verify: %v, stream digest %s, warnings %q", err, rep.StreamDigest, rep.Warnings)
			}
			if tagged, err := deserializeBytes(t, data); err != nil || !tagged {
				t.Errorf("deserialize: tagged=%v, %v", tagged, err)
			}
		})
	}
}

// A medium cut before its final index.json does not claim to be the last
// volume: only a final copy knows.
func TestCutMediumDoesNotClaimTheLastVolume(t *testing.T) {
	data := smallMedium(t)
	hdr, _, _, _ := finalIndexSpan(t, data)
	rep, err := verifyBytes(data[:hdr])
	if err == nil || rep.FinalIndex || rep.LastVolume != "" || rep.SyncID == "" {
		t.Errorf("verify of a cut medium: %v, final index %v, last %q, sync %q", err, rep.FinalIndex, rep.LastVolume, rep.SyncID)
	}
	if rep, err := verifyBytes(data); err != nil || rep.LastVolume != "true" {
		t.Errorf("verify of the whole medium: %v, last %q", err, rep.LastVolume)
	}
}
