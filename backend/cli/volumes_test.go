package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ferry/backend/mirror"
	"ferry/backend/registrytest"
)

func TestSerializeVolumeSizeThenDeserializeTheSet(t *testing.T) {
	low, high := registrytest.Start(t), registrytest.Start(t)
	home := t.TempDir()
	registrytest.PushImage(t, low.Ref("app/a:1"), registrytest.Layer(t, 21, 1<<20), registrytest.Layer(t, 22, 1<<20))
	registrytest.PushImage(t, low.Ref("app/b:1"), registrytest.Layer(t, 23, 1<<20))
	list := writeFile(t, home, "sources.list", low.Ref("app/a:1")+"\n"+low.Ref("app/b:1")+"\n")
	idx := low.Ref("transfer/sync:46")
	if _, errOut, err := run(t, home, "mirror", "gather", list, idx); err != nil {
		t.Fatalf("gather: %v\n%s", err, errOut)
	}
	dest := filepath.Join(home, "sync-46.tar")
	out, errOut, err := run(t, home, "mirror", "serialize", idx, dest, "-b", "64Ki", "-m", "1Mi", "--volume-size", "1.5M")
	if err != nil || !strings.Contains(out, "volumes of transfer") {
		t.Fatalf("serialize: %v\n%s%s", err, out, errOut)
	}
	vols, _ := filepath.Glob(filepath.Join(home, "sync-46.0*.tar"))
	if len(vols) < 2 || !strings.HasSuffix(vols[0], "sync-46.001.tar") {
		t.Fatalf("volume files: %v", vols)
	}
	for _, v := range vols {
		if fi, err := os.Stat(v); err != nil || fi.Size() > 1_500_000 {
			t.Errorf("%s: %v (%d bytes, limit 1.5 MB)", v, err, fi.Size())
		}
	}
	// Out of order: refused, naming both volumes.
	args := append([]string{"mirror", "deserialize", vols[1], vols[0]}, high.Ref("landing/x:46"))
	if _, _, err := run(t, home, args...); err == nil || !strings.Contains(err.Error(), "is volume 2 of sync") || !strings.Contains(err.Error(), "expected volume 1") {
		t.Errorf("volumes out of order: %v", err)
	}
	// In order, as a shell glob gives them.
	landing := high.Ref("landing/sync:46")
	args = append(append([]string{"mirror", "deserialize"}, vols...), landing)
	out, errOut, err = run(t, home, args...)
	if err != nil || !strings.Contains(out, "Deserialized") || !strings.Contains(out, "volumes of transfer") {
		t.Fatalf("deserialize: %v\n%s%s", err, out, errOut)
	}
	if registrytest.HeadDigest(t, landing) != registrytest.HeadDigest(t, idx) {
		t.Error("the gather index is not tagged on the far side")
	}
}

func TestVolumeSizeFlagForms(t *testing.T) {
	for in, want := range map[string]int64{"4.7G": 4_700_000_000, "25GB": 25_000_000_000, "700Mi": 700 << 20, "1048576": 1 << 20} {
		if o, err := serializeFlags("--volume-size", in); err != nil || o.VolumeSize != want {
			t.Errorf("--volume-size %s = %d, %v; want %d", in, o.VolumeSize, err, want)
		}
	}
	for _, bad := range []string{"", "abc", "-1G", "4.7X"} {
		if _, err := serializeFlags("--volume-size", bad); err == nil {
			t.Errorf("--volume-size %q: no error", bad)
		}
	}
}

func TestMediumPrompt(t *testing.T) {
	saved := stdinTerminal
	defer func() { stdinTerminal = saved }()
	req := mirror.MediumRequest{Device: "/dev/nst0", SyncID: "abc", Volume: 2, Message: "Insert volume 2 of transfer abc into /dev/nst0 and press Enter"}

	stdinTerminal = func() bool { return false }
	err := mediumPrompt(strings.NewReader("\n"), io.Discard)(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "standard input is not a terminal") || !strings.Contains(err.Error(), "--volume-size") {
		t.Errorf("no terminal: %v", err)
	}

	stdinTerminal = func() bool { return true }
	var out strings.Builder
	ask := mediumPrompt(strings.NewReader("\nq\n"), &out)
	if err := ask(context.Background(), req); err != nil {
		t.Errorf("Enter: %v", err)
	}
	if !strings.Contains(out.String(), req.Message) {
		t.Errorf("prompt %q lacks the request", out.String())
	}
	if err := ask(context.Background(), req); !errors.Is(err, mirror.ErrMediumCancelled) {
		t.Errorf("q: %v", err)
	}
	if err := ask(context.Background(), req); !errors.Is(err, mirror.ErrMediumCancelled) {
		t.Errorf("end of input: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pr, pw := io.Pipe()
	defer pw.Close()
	if err := mediumPrompt(pr, io.Discard)(ctx, req); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled while waiting: %v", err)
	}
}
