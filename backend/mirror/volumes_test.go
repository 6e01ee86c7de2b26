package mirror

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"ferry/backend/archive"
	"ferry/backend/registrytest"
	"ferry/backend/sources"
)

// bigFixture is a transfer of about 6 MiB in blobs of 0.6 to 1.2 MiB,
// which does not fit one 3 MiB simulated tape.
func bigFixture(t *testing.T, host string) *mediaFixture {
	t.Helper()
	f := &mediaFixture{host: host, index: host + "/transfer/big:sync-7", one: host + "/big/a:1", digest: map[string]bool{}}
	const mi = 1 << 20
	registrytest.PushImage(t, f.one, registrytest.Layer(t, 11, 6*mi/5), registrytest.Layer(t, 12, 11*mi/10))
	registrytest.PushImage(t, host+"/big/b:1", registrytest.Layer(t, 13, mi), registrytest.Layer(t, 14, 6*mi/5))
	registrytest.PushImage(t, host+"/big/c:1", registrytest.Layer(t, 15, 9*mi/10), registrytest.Layer(t, 16, 6*mi/10))
	srcs := []sources.Source{{Line: 1, Ref: f.one}, {Line: 2, Ref: host + "/big/b:1"}, {Line: 3, Ref: host + "/big/c:1"}}
	if _, err := Gather(context.Background(), testEnv(), GatherOptions{Sources: srcs, Dest: f.index}); err != nil {
		t.Fatalf("gather: %v", err)
	}
	repo := testEnv().Open(mustRef(t, f.index).Context())
	root, raw, err := repo.Resolve(context.Background(), "sync-7")
	if err != nil {
		t.Fatal(err)
	}
	f.root = root
	f.graph = NewGraph()
	if err := f.graph.Add(context.Background(), repo, root, raw, WalkOptions{}); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestVolumeSizeSplitsIntoReadableFiles(t *testing.T) {
	low, high := registrytest.Start(t), registrytest.Start(t)
	f := bigFixture(t, low.Host())
	dir := t.TempDir()
	dest := filepath.Join(dir, "sync-7.tar")
	var written media
	env := testEnv()
	env.Medium = written.add
	res, err := Serialize(context.Background(), env, SerializeOptions{Source: f.index, Dest: dest, VolumeSize: 5 << 19, BlockSize: 64 << 10, BufferSize: 2 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Volumes) < 3 {
		t.Fatalf("%d volumes, want at least 3", len(res.Volumes))
	}
	var paths []string
	for i, v := range res.Volumes {
		p := filepath.Join(dir, "sync-7."+strconv.Itoa(1001 + i)[1:]+".tar")
		if v.Device != p || v.Last != (i == len(res.Volumes)-1) {
			t.Errorf("volume %d: %+v, want %s", i+1, v, p)
		}
		fi, err := os.Stat(p)
		if err != nil || fi.Size() > 5<<19 {
			t.Errorf("%s: %v, %d bytes (limit %d)", p, err, fi.Size(), 5<<19)
		}
		// A volume alone holds part of the transfer: children on other
		// volumes are missing by design. The set is verified below.
		last := i == len(res.Volumes)-1
		rep, err := VerifyMedium(context.Background(), testEnv(), VerifyOptions{Source: p, Strict: true, AllowMissing: true})
		if err != nil || rep.Volume != strconv.Itoa(i+1) || rep.LastVolume != strconv.FormatBool(last) || rep.StreamDigest != "verified" {
			t.Errorf("verify %s: %v (volume %s, last %s, stream %s)", p, err, rep.Volume, rep.LastVolume, rep.StreamDigest)
		}
		paths = append(paths, p)
	}
	if _, err := os.Stat(filepath.Join(dir, "sync-7.tar")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("DEST itself was written: %v", err)
	}
	if len(written.got) != len(res.Volumes) {
		t.Errorf("%d media recorded", len(written.got))
	}
	if rep, err := VerifyVolumes(context.Background(), testEnv(), VerifyOptions{Strict: true}, paths); err != nil || rep.Missing != nil {
		t.Errorf("verify the set: %v, missing %v", err, rep.Missing)
	}
	if _, err := VerifyVolumes(context.Background(), testEnv(), VerifyOptions{}, paths[:len(paths)-1]); err == nil || !strings.Contains(err.Error(), "not the last volume") {
		t.Errorf("verify a set without its last volume: %v", err)
	}

	// The first file finds the others by name.
	repo := high.Ref("landing/files")
	dres, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: paths[0], Dest: repo + ":sync-7", Strict: true})
	if err != nil || !dres.Complete || len(dres.Volumes) != len(paths) {
		t.Fatalf("deserialize %s: complete %v, %d volumes, %v", paths[0], dres.Complete, len(dres.Volumes), err)
	}
	assertDelivered(t, f, repo, "sync-7")

	// Wrong order and a repeated volume are refused before anything is read.
	_, err = Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: paths[1], Volumes: []string{paths[0]}, Dest: repo + ":x"})
	if err == nil || !strings.Contains(err.Error(), "is volume 2 of sync "+res.SyncID+", expected volume 1") {
		t.Errorf("volume 2 first: %v", err)
	}
	_, err = Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: paths[0], Volumes: []string{paths[2]}, Dest: repo + ":x"})
	if err == nil || !strings.Contains(err.Error(), "is volume 3 of sync "+res.SyncID+", expected volume 2") {
		t.Errorf("volume 3 after 1: %v", err)
	}
	_, err = Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: paths[0], Volumes: []string{paths[0]}, Dest: repo + ":x"})
	if err == nil || !strings.Contains(err.Error(), "which was already read; expected volume 2") {
		t.Errorf("volume 1 twice: %v", err)
	}
	// A volume of another transfer.
	other := filepath.Join(t.TempDir(), "other.tar")
	if _, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: f.one, Dest: other}); err != nil {
		t.Fatal(err)
	}
	_, err = Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: paths[0], Volumes: []string{other}, Dest: repo + ":x"})
	if err == nil || !strings.Contains(err.Error(), "another transfer") {
		t.Errorf("a foreign volume: %v", err)
	}
	// A missing volume leaves what arrived and says which one is missing.
	lone := filepath.Join(t.TempDir(), "sync-7.001.tar")
	copyFile(t, paths[0], lone)
	_, err = Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: lone, Dest: high.Ref("landing/lone") + ":sync-7"})
	if !IsIncomplete(err) || !strings.Contains(err.Error(), "volume 2 of sync "+res.SyncID+" is missing") {
		t.Errorf("a lone first volume: %v", err)
	}
}

// A reader that knows nothing of volumes (the reference tool) reads each
// volume on its own into the same repository and has the whole transfer
// after the last one.
func TestVolumesReadInOrderWithoutVolumeKnowledge(t *testing.T) {
	host := registrytest.InProcess(t)
	f := bigFixture(t, host)
	dir := t.TempDir()
	res, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: f.index, Dest: filepath.Join(dir, "s.tar"), VolumeSize: 5 << 19, BlockSize: 64 << 10, BufferSize: 2 << 20})
	if err != nil {
		t.Fatal(err)
	}
	repo := host + "/landing/ref"
	dst := testEnv().Open(mustRef(t, repo+":x").Context())
	for i, v := range res.Volumes {
		file, err := os.Open(v.Device)
		if err != nil {
			t.Fatal(err)
		}
		ar, err := archive.NewReader(file, archive.Strict(true))
		if err != nil {
			t.Fatal(err)
		}
		d := newDeserializer(context.Background(), testEnv(), dst, ar)
		if err := d.run(ar); err != nil {
			t.Fatalf("volume %d: %v", i+1, err)
		}
		if err := d.settle(context.Background(), true); err != nil {
			t.Fatal(err)
		}
		missing := d.missing()
		if last := i == len(res.Volumes)-1; last != (len(missing) == 0) && (last || i == 0) {
			t.Errorf("volume %d: %d missing", i+1, len(missing))
		}
		ar.Close()
		file.Close()
	}
	r := testEnv().Open(mustRef(t, repo+":x").Context())
	for _, n := range f.graph.Nodes {
		if ok, err := r.Has(context.Background(), n.Desc); err != nil || !ok {
			t.Errorf("%s missing after the last volume", n.Desc.Digest)
		}
	}
}

func TestVolumeOptionsRefused(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		o    SerializeOptions
		want string
	}{
		{SerializeOptions{Source: "x/y:z", Dest: filepath.Join(dir, "a.tar"), VolumeSize: 8 << 20, Compression: "gzip"}, "cannot be combined with --compression"},
		{SerializeOptions{Source: "x/y:z", Dest: "-", VolumeSize: 8 << 20}, "not standard output"},
		{SerializeOptions{Source: "x/y:z", Dest: filepath.Join(dir, "a.tar"), VolumeSize: 1000}, "too small"},
		{SerializeOptions{Source: "x/y:z", Dest: testDrive, VolumeSize: 8 << 20, OpenDevice: (&tapeSet{}).open}, "tape drive"},
	} {
		o := tc.o
		if err := o.fillDefaults(); err != nil {
			t.Fatal(err)
		}
		comp, _ := archive.ParseCompression(o.Compression)
		if _, err := o.volumeTarget(comp); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.want)
		}
	}
	if got := VolumeFileName("/x/sync-45.tar", 2); got != "/x/sync-45.002.tar" {
		t.Errorf("VolumeFileName = %s", got)
	}
	if got, ok := nextVolumeFile("/x/sync-45.002.tar", 3); !ok || got != "/x/sync-45.003.tar" {
		t.Errorf("nextVolumeFile = %s %v", got, ok)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
}

// A set whose last volume was cut after its blobs but before its final
// index.json (which alone says the volume is the last, and alone lists the
// referrers) is incomplete: the root is not tagged.
func TestLastVolumeCutBeforeItsFinalIndexIsIncomplete(t *testing.T) {
	host := registrytest.InProcess(t)
	f := &mediaFixture{host: host, index: host + "/transfer/big:sync-8", one: host + "/big/a:1", digest: map[string]bool{}}
	const mi = 1 << 20
	registrytest.PushImage(t, f.one, registrytest.Layer(t, 21, 6*mi/5), registrytest.Layer(t, 22, 11*mi/10))
	registrytest.PushImage(t, host+"/big/b:1", registrytest.Layer(t, 23, mi), registrytest.Layer(t, 24, 6*mi/5))
	registrytest.PushReferrer(t, host+"/big/b:1", "application/vnd.ferry.test.signature")
	srcs := []sources.Source{{Line: 1, Ref: f.one}, {Line: 2, Ref: host + "/big/b:1"}}
	if _, err := Gather(context.Background(), testEnv(), GatherOptions{Sources: srcs, Dest: f.index, Referrers: true}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	res, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: f.index, Dest: filepath.Join(dir, "sync-8.tar"), Referrers: true,
		VolumeSize: 5 << 19, BlockSize: 64 << 10, BufferSize: 2 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Volumes) < 2 {
		t.Fatalf("%d volumes, want several", len(res.Volumes))
	}
	last := res.Volumes[len(res.Volumes)-1].Device
	entries, _ := readStream(t, last)
	if entries[len(entries)-1].kind != archive.KindIndex {
		t.Fatalf("the last volume ends with %s", entries[len(entries)-1].name)
	}
	cut := entries[len(entries)-2].end // just after its last blob
	data, err := os.ReadFile(last)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(last, data[:cut], 0o666); err != nil {
		t.Fatal(err)
	}

	repo := host + "/landing/cut"
	first := res.Volumes[0].Device
	dres, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: first, Dest: repo + ":sync-8"})
	var ie *IncompleteError
	if !errors.As(err, &ie) || !ie.NoFinalIndex || dres.Complete {
		t.Fatalf("complete=%v err=%v, want incomplete without the final index.json", dres.Complete, err)
	}
	if len(dres.Volumes) != len(res.Volumes) || dres.Volumes[len(dres.Volumes)-1].Last {
		t.Errorf("volumes read: %+v", dres.Volumes)
	}
	if got := registrytest.HeadDigest(t, repo+":sync-8"); got != "" {
		t.Errorf("the incomplete transfer was tagged: %s", got)
	}
	var paths []string
	for _, v := range res.Volumes {
		paths = append(paths, v.Device)
	}
	rep, err := VerifyVolumes(context.Background(), testEnv(), VerifyOptions{}, paths)
	if err == nil || rep.FinalIndex {
		t.Errorf("verify the set: final index %v, %v", rep.FinalIndex, err)
	}
	if rep, err := VerifyMedium(context.Background(), testEnv(), VerifyOptions{Source: last, AllowMissing: true}); err == nil || rep.FinalIndex {
		t.Errorf("verify the cut volume: final index %v, %v", rep.FinalIndex, err)
	}

	// Restored, the same set completes, referrers included.
	if err := os.WriteFile(last, data, 0o666); err != nil {
		t.Fatal(err)
	}
	dres, err = Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: first, Dest: repo + ":sync-8"})
	if err != nil || !dres.Complete {
		t.Fatalf("the whole set: complete=%v, %v", dres.Complete, err)
	}
	repoF := NewGraph()
	r := testEnv().Open(mustRef(t, f.index).Context())
	root, raw, err := r.Resolve(context.Background(), "sync-8")
	if err != nil {
		t.Fatal(err)
	}
	if err := repoF.Add(context.Background(), r, root, raw, WalkOptions{Referrers: true}); err != nil {
		t.Fatal(err)
	}
	f.graph, f.root = repoF, root
	assertDelivered(t, f, repo, "sync-8")
}

// A file volume's size does not depend on the tape block size: volumes of
// 2.5 MiB work with the default 1 MiB block, and each stays within its size.
func TestSmallFileVolumesWithTheDefaultBlockSize(t *testing.T) {
	host := registrytest.InProcess(t)
	f := bigFixture(t, host)
	dir := t.TempDir()
	const size = 5 << 19
	res, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: f.index, Dest: filepath.Join(dir, "s.tar"), VolumeSize: size})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Volumes) < 2 {
		t.Fatalf("%d volumes, want several", len(res.Volumes))
	}
	for _, v := range res.Volumes {
		fi, err := os.Stat(v.Device)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > size {
			t.Errorf("%s is %d bytes, over the volume size %d", v.Device, fi.Size(), size)
		}
	}
	dest := host + "/landing/small:sync-1"
	if _, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: res.Volumes[0].Device, Dest: dest}); err != nil {
		t.Fatalf("deserialize: %v", err)
	}
	if registrytest.HeadDigest(t, dest) != f.root.Digest.String() {
		t.Error("the transfer was not tagged complete")
	}
}
