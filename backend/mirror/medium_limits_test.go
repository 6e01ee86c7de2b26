package mirror

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/archive"
	"ferry/backend/registrytest"
	"ferry/backend/sources"
)

// allocated returns the bytes f allocated (every goroutine counted).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A blob larger than the staging limit is hashed as it streams past when
// nothing is pushed (verify, dry run): memory does not grow with its size.
func TestVerifyAndDryRunStreamLargeBlobs(t *testing.T) {
	host := registrytest.InProcess(t)
	const big = 12 << 20
	registrytest.PushImage(t, host+"/big/one:1", registrytest.Layer(t, 41, big))
	index := host + "/transfer/big:sync-1"
	if _, err := Gather(context.Background(), testEnv(), GatherOptions{Sources: []sources.Source{{Line: 1, Ref: host + "/big/one:1"}}, Dest: index}); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "big.tar")
	if _, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: index, Dest: dest}); err != nil {
		t.Fatal(err)
	}
	var rep VerifyReport
	var err error
	n := allocated(func() { rep, err = VerifyMedium(context.Background(), testEnv(), VerifyOptions{Source: dest}) })
	if err != nil || rep.Bytes < big {
		t.Fatalf("verify: %v (%d bytes verified)", err, rep.Bytes)
	}
	if n > big/3 {
		t.Errorf("verify allocated %d bytes for a medium with a %d-byte blob", n, big)
	}
	var res DeserializeResult
	n = allocated(func() { res, err = deserializeFile(t, dest, true) })
	if err != nil || res.Bytes < big {
		t.Fatalf("dry run: %v (%d bytes)", err, res.Bytes)
	}
	if n > big/3 {
		t.Errorf("a dry run allocated %d bytes for a medium with a %d-byte blob", n, big)
	}

	// A blob whose content is not its name is still rejected.
	data, _ := os.ReadFile(dest)
	bad := append([]byte(nil), data...)
	bad[len(bad)/2] ^= 0xff
	_, err = VerifyMedium(context.Background(), testEnv(), VerifyOptions{Source: writeTemp(t, bad)})
	var ve *VerifyError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "does not match its name") {
		t.Errorf("tampered large blob: %v", err)
	}
}

// lyingTar is an archive whose last entry's header claims size bytes but
// whose body is a few bytes and then nothing.
func lyingTar(t *testing.T, root v1.Hash, name string, size int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(n, body string) {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o666, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	add("oci-layout", `{"imageLayoutVersion":"1.0.0"}`)
	add("index.json", `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"`+root.String()+`","size":300,"annotations":{"org.opencontainers.image.ref.name":"sync-1"}}],"annotations":{"vnd.act3-ace.data.serialization.version":"2"}}`)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o666, Size: size, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Flush()
	buf.WriteString("only a few bytes")
	return buf.Bytes()
}

func TestHeaderClaimingAHugeSizeFailsCleanly(t *testing.T) {
	root := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("a", 64)}
	blob := "blobs/sha256/" + strings.Repeat("b", 64)
	const huge = int64(1) << 46
	p := writeTemp(t, lyingTar(t, root, blob, huge))

	_, err := deserializeFile(t, p, true)
	if !IsIncomplete(err) || !errors.Is(err, archive.ErrTruncated) {
		t.Errorf("dry run: %v, want an incomplete medium cut inside an entry", err)
	}
	_, err = VerifyMedium(context.Background(), testEnv(), VerifyOptions{Source: p})
	var ve *VerifyError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "cut") {
		t.Errorf("verify: %v, want a truncation problem", err)
	}
	store := filepath.Join(t.TempDir(), "store")
	_, err = Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: p, DestLayout: store, Dest: "sync-1"})
	if !IsIncomplete(err) || !errors.Is(err, archive.ErrTruncated) {
		t.Errorf("into a layout: %v, want an incomplete medium", err)
	}

	// A manifest (here the root) claiming more than a manifest may hold is
	// refused by name before anything is buffered.
	p = writeTemp(t, lyingTar(t, root, "blobs/sha256/"+root.Hex, huge))
	for _, dry := range []bool{true, false} {
		o := DeserializeOptions{Source: p, DestLayout: filepath.Join(t.TempDir(), "store"), Dest: "sync-1", DryRun: dry}
		if _, err := Deserialize(context.Background(), testEnv(), o); err == nil || !strings.Contains(err.Error(), "larger than the") {
			t.Errorf("dry=%v: a huge manifest: %v", dry, err)
		}
	}
}

// A gather index larger than a registry's usual 4 MiB manifest limit is
// still pushed as a manifest and tagged.
func TestManifestLargerThanFourMiB(t *testing.T) {
	host := registrytest.InProcess(t)
	registrytest.PushImage(t, host+"/app/one:1", registrytest.Layer(t, 51, 2000))
	index := host + "/transfer/wide:sync-1"
	note := strings.Repeat("source-index ", (5<<20)/13)
	if _, err := Gather(context.Background(), testEnv(), GatherOptions{Sources: []sources.Source{{Line: 1, Ref: host + "/app/one:1"}}, Dest: index,
		Annotations: map[string]string{"note": note}}); err != nil {
		t.Fatal(err)
	}
	root := registrytest.HeadDigest(t, index)
	dest := filepath.Join(t.TempDir(), "wide.tar")
	sres, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: index, Dest: dest})
	if err != nil {
		t.Fatal(err)
	}
	if sres.Root.Size <= maxManifestSize {
		t.Fatalf("the gather index is only %d bytes", sres.Root.Size)
	}
	if rep, err := VerifyMedium(context.Background(), testEnv(), VerifyOptions{Source: dest}); err != nil || len(rep.Manifests) != 2 {
		t.Errorf("verify: %v, %d manifests", err, len(rep.Manifests))
	}
	repo := registrytest.InProcess(t) + "/landing/wide"
	res, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: dest, Dest: repo + ":sync-1"})
	if err != nil || !res.Complete {
		t.Fatalf("deserialize: complete=%v, %v", res.Complete, err)
	}
	if got := registrytest.HeadDigest(t, repo+":sync-1"); got != root {
		t.Errorf("tagged %q, want the gather index %s", got, root)
	}
	store := filepath.Join(t.TempDir(), "store")
	if res, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: dest, DestLayout: store}); err != nil || !res.Complete {
		t.Fatalf("into a layout: complete=%v, %v", res.Complete, err)
	}
}
