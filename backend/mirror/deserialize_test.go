package mirror

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"ferry/backend/archive"
	ferryreg "ferry/backend/registry"
	"ferry/backend/registrytest"
	"ferry/backend/sources"
)

func serializeFixture(t *testing.T, f *mediaFixture, o SerializeOptions) []byte {
	t.Helper()
	o.Source = f.index
	o.Dest = filepath.Join(t.TempDir(), "sync.tar")
	if _, err := Serialize(context.Background(), testEnv(), o); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(o.Dest)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "medium.tar")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkpointLog collects the blobs a deserialize reports as received.
type checkpointLog struct {
	mu  sync.Mutex
	got []Checkpoint
}

func (c *checkpointLog) env() Env {
	e := testEnv()
	e.Checkpoint = func(cp Checkpoint) { c.mu.Lock(); c.got = append(c.got, cp); c.mu.Unlock() }
	return e
}

func TestDeserializeTruncatedMediumKeepsWhatArrivedAndNamesWhatIsMissing(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newMediaFixture(t, host, true)
	data := serializeFixture(t, f, SerializeOptions{Referrers: true})
	entries, _ := readStream(t, writeTemp(t, data))
	lastBlobEnd := entries[len(entries)-2].end
	cuts := map[string]int{
		"inside the first index.json": 700,
		"inside a blob":               len(data) / 2,
		"before the final index.json": int(lastBlobEnd),
		"inside the end marker":       len(data) - 700,
	}
	for what, cut := range cuts {
		t.Run(what, func(t *testing.T) {
			// A registry of its own: the in-process registry keeps blobs for
			// all repositories together, so another cut's pushes would show.
			repo := registrytest.InProcess(t) + "/cut/" + strings.ReplaceAll(what, " ", "-")
			log := &checkpointLog{}
			res, err := Deserialize(context.Background(), log.env(), DeserializeOptions{Source: writeTemp(t, data[:cut]), Dest: repo + ":sync-1"})
			if what == "inside the end marker" {
				// Everything is there: a missing end marker is accepted.
				if err != nil || !res.Complete {
					t.Fatalf("complete=%v err=%v", res.Complete, err)
				}
				return
			}
			var ie *IncompleteError
			if !errors.As(err, &ie) || res.Complete {
				t.Fatalf("err = %v, want an incomplete report", err)
			}
			if what == "before the final index.json" && (!ie.NoFinalIndex || !strings.Contains(err.Error(), "final index.json")) {
				t.Errorf("a medium cut before its final index.json: %v", err)
			}
			if what == "inside a blob" && (len(ie.Missing) == 0 || !strings.Contains(err.Error(), ie.Missing[0].Digest.String())) {
				t.Errorf("missing blobs not named: %v", err)
			}
			if registrytest.HeadDigest(t, repo+":sync-1") != "" {
				t.Error("an incomplete transfer was tagged")
			}
			// Every blob reported as received is in the target.
			r := testEnv().Open(mustRef(t, repo+":x").Context())
			for _, c := range log.got {
				h, _ := v1.NewHash(c.Digest)
				if ok, _ := r.Has(context.Background(), v1.Descriptor{Digest: h, Size: c.Size, MediaType: "application/octet-stream"}); !ok && !IsManifest(typesOf(c.MediaType)) {
					t.Errorf("%s reported received but not in the target", c.Digest)
				}
			}
			if cut > 5000 && res.Blobs == 0 {
				t.Error("nothing was kept from a medium cut late")
			}
			// Reading the whole medium into the same repository completes it.
			if res, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: writeTemp(t, data), Dest: repo + ":sync-1"}); err != nil || !res.Complete {
				t.Fatalf("rerun: %v", err)
			}
			assertDelivered(t, f, repo, "sync-1")
		})
	}
}

func TestDeserializeRejectsBlobNotMatchingItsName(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newMediaFixture(t, host, false)
	data := serializeFixture(t, f, SerializeOptions{})
	// Flip one byte in the body of the largest layer.
	var victim string
	var body int64
	rd := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := rd.Next()
		if err != nil {
			break
		}
		if hdr.Size > 100_000 {
			victim = strings.TrimPrefix(hdr.Name, "blobs/sha256/")
			body = int64(bytes.Index(data, []byte(hdr.Name))) + 512
			break
		}
	}
	if victim == "" {
		t.Fatal("no large blob in the stream")
	}
	bad := append([]byte(nil), data...)
	bad[body+10] ^= 0xff
	repo := registrytest.InProcess(t) + "/tampered/x" // its own registry: blobs are shared across repositories
	_, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: writeTemp(t, bad), Dest: repo + ":sync-1"})
	var ie *IncompleteError
	if !errors.As(err, &ie) || len(ie.Rejected) != 1 || !strings.Contains(ie.Rejected[0], victim) || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("err = %v", err)
	}
	h, _ := v1.NewHash("sha256:" + victim)
	if ok, _ := testEnv().Open(mustRef(t, repo+":x").Context()).Has(context.Background(), v1.Descriptor{Digest: h, Size: 1}); ok {
		t.Error("the tampered blob reached the target")
	}
}

func TestDeserializeRejectsPathTraversal(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name, body string) {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	add("oci-layout", `{"imageLayoutVersion":"1.0.0"}`)
	add("index.json", `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:`+strings.Repeat("a", 64)+`","size":2}]}`)
	add("../../escaped", "x")
	tw.Close()
	dir := t.TempDir()
	src := filepath.Join(dir, "sub", "m.tar")
	os.MkdirAll(filepath.Dir(src), 0o755)
	os.WriteFile(src, buf.Bytes(), 0o644)
	_, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: src, Dest: "example.invalid/x:t", DestLayout: filepath.Join(dir, "store")})
	if !errors.Is(err, archive.ErrUnsafeName) {
		t.Fatalf("err = %v, want an unsafe-name rejection", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "escaped")); err == nil {
		t.Error("a file escaped the store")
	}
}

func TestResumeAfterCancelCompletesAcrossTwoMedia(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newMediaFixture(t, host, true)
	dir := t.TempDir()
	first, second := filepath.Join(dir, "part1.tar"), filepath.Join(dir, "part2.tar")

	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var delivered []v1.Hash
	env := testEnv()
	env.Checkpoint = func(c Checkpoint) {
		if !c.Confirmed {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		h, _ := v1.NewHash(c.Digest)
		if delivered = append(delivered, h); len(delivered) == 6 {
			cancel()
		}
	}
	_, err := Serialize(ctx, env, SerializeOptions{Source: f.index, Dest: first, Referrers: true, BlockSize: 512, BufferSize: 8192, HWM: 1})
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v", err)
	}
	mu.Lock()
	got := append([]v1.Hash(nil), delivered...)
	mu.Unlock()
	res, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: f.index, Dest: second, Referrers: true, Delivered: got})
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped == 0 {
		t.Error("the resumed run skipped nothing")
	}
	repo := host + "/landing/resumed"
	if _, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: first, Dest: repo + ":sync-1"}); !IsIncomplete(err) {
		t.Fatalf("first part: %v, want incomplete", err)
	}
	if res, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: second, Dest: repo + ":sync-1"}); err != nil || !res.Complete {
		t.Fatalf("second part: %v", err)
	}
	assertDelivered(t, f, repo, "sync-1")
}

func TestVerifyMedium(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newMediaFixture(t, host, true)
	data := serializeFixture(t, f, SerializeOptions{Referrers: true, Compression: "gzip"})
	rep, err := VerifyMedium(context.Background(), testEnv(), VerifyOptions{Source: writeTemp(t, data)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.StreamDigest != "verified" || !rep.FinalIndex || len(rep.Referrers) != 1 || rep.Tag != "sync-1" || rep.Blobs != len(f.graph.Nodes) {
		t.Errorf("report = %+v", rep)
	}
	// Cut short: the final index is missing and the report says so.
	plain := serializeFixture(t, f, SerializeOptions{})
	entries, _ := readStream(t, writeTemp(t, plain))
	_, err = VerifyMedium(context.Background(), testEnv(), VerifyOptions{Source: writeTemp(t, plain[:entries[len(entries)-2].end])})
	var ve *VerifyError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "final index.json is missing") {
		t.Errorf("cut medium: %v", err)
	}
	// A medium without the existing image's blobs verifies only when allowed.
	partial := serializeFixture(t, f, SerializeOptions{Existing: []string{f.one}})
	p := writeTemp(t, partial)
	if _, err := VerifyMedium(context.Background(), testEnv(), VerifyOptions{Source: p}); !errors.As(err, &ve) || !strings.Contains(err.Error(), "not on the medium") {
		t.Errorf("blobs left out: %v", err)
	}
	// Missing: the existing image's manifest (it is on the far side, so it
	// is not written again) and the layer app/two shares with it.
	if rep, err := VerifyMedium(context.Background(), testEnv(), VerifyOptions{Source: p, AllowMissing: true}); err != nil || len(rep.Missing) != 2 {
		t.Errorf("allowed missing: %d listed, %v", len(rep.Missing), err)
	}
}

func typesOf(s string) types.MediaType { return types.MediaType(s) }

// A medium cut inside a blob too large to stage is a medium error: the
// upload streaming from it is not retried as if the network had dropped.
func TestCutMediumIsNotRetriedAsANetworkError(t *testing.T) {
	data := bigMedium(t, 1)
	var uploads atomic.Int32
	inner := registrytest.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/blobs/uploads/") {
			uploads.Add(1)
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	dst := strings.TrimPrefix(srv.URL, "http://") + "/landing/big:sync-1"
	_, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: writeTemp(t, data[:len(data)/2]), Dest: dst})
	if !IsIncomplete(err) || !strings.Contains(err.Error(), "offset") {
		t.Fatalf("err = %v, want an incomplete medium naming the offset", err)
	}
	// The gather index and the image manifest are pushed as blobs, then one
	// attempt at the big layer; a retried upload would start more.
	if n := uploads.Load(); n > 4 {
		t.Errorf("%d uploads started: the cut blob was retried", n)
	}
}

// A resumed transfer read in the wrong order: the cut first part, read
// last, cannot tag (it lacks its final index.json) but says that nothing is
// missing and what to do; reading the resumed part again completes it.
func TestResumedTransferReadInReverseOrder(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newMediaFixture(t, host, true)
	dir := t.TempDir()
	full, ledger := filepath.Join(dir, "full.tar"), filepath.Join(dir, "ledger.jsonl")
	if _, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: f.index, Dest: full, CheckpointFile: ledger}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	cut := len(data) / 2
	part1 := writeTemp(t, data[:cut])
	part2 := filepath.Join(dir, "part2.tar")
	if _, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: f.index, Dest: part2,
		ExistingFromCheckpoint: []string{fmt.Sprintf("%s:%d", ledger, cut)}}); err != nil {
		t.Fatal(err)
	}
	dest := registrytest.InProcess(t) + "/landing/rev:sync-1"
	if _, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: part2, Dest: dest}); !IsIncomplete(err) {
		t.Fatalf("the resumed part alone: %v", err)
	}
	res, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: part1, Dest: dest})
	if !IsIncomplete(err) || len(res.Missing) != 0 || !strings.Contains(err.Error(), "read the medium that completes this transfer") {
		t.Fatalf("the cut part last: missing %v, err %v", res.Missing, err)
	}
	if res, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: part2, Dest: dest}); err != nil || !res.Complete {
		t.Fatalf("the resumed part again: complete=%v err=%v", res.Complete, err)
	}
	if registrytest.HeadDigest(t, dest) != f.root.Digest.String() {
		t.Error("not tagged")
	}
}

// A change that only the stream digest can see (a tar header field, here
// the oci-layout entry's time, with its checksum mended) leaves every blob
// proven: deserialize delivers and tags the transfer, and verify, which
// proves the stream byte for byte, refuses the medium (FORMAT.md 7.6).
func TestDeserializeProvesBlobsAndVerifyProvesTheStream(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newMediaFixture(t, host, false)
	data := serializeFixture(t, f, SerializeOptions{})
	bad := append([]byte(nil), data...)
	hdr := bad[:512]
	if string(hdr[:len(archive.LayoutFile)]) != archive.LayoutFile {
		t.Fatalf("first entry is %q", hdr[:16])
	}
	hdr[146] = '1' // mtime, octal: one second after the epoch
	sum := 0
	for i, b := range hdr {
		if i >= 148 && i < 156 {
			b = ' '
		}
		sum += int(b)
	}
	copy(hdr[148:156], fmt.Sprintf("%06o\x00 ", sum))
	dest := registrytest.InProcess(t) + "/tampered/header:sync-1"
	if res, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: writeTemp(t, bad), Dest: dest}); err != nil || !res.Complete {
		t.Fatalf("deserialize: complete %v, err %v", res.Complete, err)
	}
	if registrytest.HeadDigest(t, dest) != f.root.Digest.String() {
		t.Error("not tagged with the transfer's root")
	}
	rep, err := VerifyMedium(context.Background(), testEnv(), VerifyOptions{Source: writeTemp(t, bad)})
	if err == nil || rep.StreamDigest != "mismatch" {
		t.Errorf("verify: stream digest %q, err %v; want a mismatch", rep.StreamDigest, err)
	}
}

// sizedMedium serializes one image whose layers have the sizes given.
func sizedMedium(t *testing.T, sizes ...int64) []byte {
	t.Helper()
	host := registrytest.InProcess(t)
	img := host + "/app/sized:1"
	var layers []v1.Layer
	for i, n := range sizes {
		layers = append(layers, registrytest.Layer(t, int64(40+i), n))
	}
	registrytest.PushImage(t, img, layers...)
	index := host + "/transfer/sized:sync-1"
	if _, err := Gather(context.Background(), testEnv(), GatherOptions{Sources: []sources.Source{{Line: 1, Ref: img}}, Dest: index}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "full.tar")
	if _, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: index, Dest: path}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// corruptMediumBlobs flips a byte in the middle of the body of every blob entry
// of data larger than min, and returns the copy and the blobs' digests.
func corruptMediumBlobs(t *testing.T, data []byte, min int64) ([]byte, []string) {
	t.Helper()
	bad := append([]byte(nil), data...)
	var victims []string
	rd := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := rd.Next()
		if err != nil {
			break
		}
		if hdr.Size > min && strings.HasPrefix(hdr.Name, "blobs/") {
			body := int64(bytes.Index(data, []byte(hdr.Name))) + 512
			bad[body+hdr.Size/2] ^= 0xff
			victims = append(victims, "sha256:"+strings.TrimPrefix(hdr.Name, "blobs/sha256/"))
		}
	}
	if len(victims) == 0 {
		t.Fatal("no blob to corrupt")
	}
	return bad, victims
}

// Blobs too large to be manifests are not hashed by Ferry on their way to a
// registry: Distribution itself refuses a corrupt one at its closing PUT
// (DIGEST_INVALID), one staged in memory as one streamed through a spool,
// and Ferry rejects it by name, keeps it out of the target and does not
// tag. When the target holds such blobs already, nothing is sent and the
// medium's copies are hashed by Ferry, with the same outcome. The intact
// medium then completes the transfer.
func TestDeserializeCorruptBlobsAreRejectedWhetherSentOrHeld(t *testing.T) {
	good := sizedMedium(t, maxManifestSize+1<<20, stagedBlobMax+1<<20)
	bad, victims := corruptMediumBlobs(t, good, maxManifestSize)
	if len(victims) != 2 {
		t.Fatalf("%d blobs corrupted, want the two layers", len(victims))
	}
	reg := registrytest.Start(t) // the real Distribution: its own check is what is relied on
	// From a plain file the uploads read the layers from the file itself;
	// from a compressed one they are staged and spooled as they are read.
	forms := []struct {
		name  string
		write func([]byte) string
	}{
		{"plain", func(b []byte) string { return writeTemp(t, b) }},
		{"gzip", func(b []byte) string { return writeTemp(t, gzipped(t, b)) }},
	}
	for _, form := range forms {
		t.Run(form.name, func(t *testing.T) {
			rejected := func(what, dest string) {
				t.Helper()
				_, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: form.write(bad), Dest: dest})
				var ie *IncompleteError
				if !errors.As(err, &ie) || len(ie.Rejected) != 2 {
					t.Fatalf("%s: err = %v, want %v rejected", what, err, victims)
				}
				for _, v := range victims {
					if !strings.Contains(err.Error(), v) {
						t.Errorf("%s: %s is not named: %v", what, v, err)
					}
				}
				if registrytest.HeadDigest(t, dest) != "" {
					t.Errorf("%s: tagged", what)
				}
			}
			sent := reg.Host() + "/corrupt-" + form.name + "/sent:sync-1"
			rejected("sent", sent)
			for _, v := range victims {
				h, _ := v1.NewHash(v)
				if ok, _ := testEnv().Open(mustRef(t, sent).Context()).Has(context.Background(), v1.Descriptor{Digest: h, Size: 1}); ok {
					t.Errorf("corrupt blob %s reached the target", v)
				}
			}
			if res, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: form.write(good), Dest: sent}); err != nil || !res.Complete || res.Pushed == 0 {
				t.Fatalf("the intact medium: complete %v, pushed %d, err %v", res.Complete, res.Pushed, err)
			}
			held := reg.Host() + "/corrupt-" + form.name + "/sent:sync-2" // the same repository: it holds every blob now
			rejected("held", held)
		})
	}
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bigMedium serializes one image of n layers too large to stage.
func bigMedium(t *testing.T, n int) []byte {
	t.Helper()
	sizes := make([]int64, n)
	for i := range sizes {
		sizes[i] = stagedBlobMax + 1<<20
	}
	return sizedMedium(t, sizes...)
}

// Blobs too large to stage are still sent several at once: the medium is
// read on while one is uploaded. The registry holds the first large upload
// until a second one arrives, which only a concurrent deserialize sends.
func TestDeserializeUploadsLargeBlobsConcurrently(t *testing.T) {
	data := bigMedium(t, 3)
	inner := registrytest.Handler()
	var large atomic.Int32
	second := make(chan struct{})
	var held atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodPatch || r.Method == http.MethodPut) && r.ContentLength > stagedBlobMax {
			switch large.Add(1) {
			case 1:
				select {
				case <-second:
				case <-time.After(30 * time.Second):
					held.Store(true) // no second upload while the first waited
				}
			case 2:
				close(second)
			}
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	dst := strings.TrimPrefix(srv.URL, "http://") + "/landing/big:sync-1"
	res, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: writeTemp(t, data), Dest: dst})
	if err != nil || !res.Complete {
		t.Fatalf("complete=%v err=%v", res.Complete, err)
	}
	if held.Load() {
		t.Error("the second large blob was not sent while the first was being uploaded")
	}
	if res.Pushed != res.Blobs || res.Present != 0 {
		t.Errorf("pushed %d, present %d of %d blobs into an empty registry", res.Pushed, res.Present, res.Blobs)
	}
	// A second run finds everything there and sends nothing again.
	res, err = Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: writeTemp(t, data), Dest: dst})
	if err != nil || res.Pushed != 0 || res.Present == 0 {
		t.Errorf("second run: pushed %d, present %d, err %v", res.Pushed, res.Present, err)
	}
}

// A large blob whose last byte is wrong is rejected and never reaches the
// target, though its upload was under way when the medium proved it wrong.
func TestDeserializeRejectsALargeBlobWrongAtItsEnd(t *testing.T) {
	data := bigMedium(t, 1)
	rd := tar.NewReader(bytes.NewReader(data))
	var victim string
	var end int64
	for {
		hdr, err := rd.Next()
		if err != nil {
			break
		}
		if hdr.Size > stagedBlobMax {
			victim = strings.TrimPrefix(hdr.Name, "blobs/sha256/")
			end = int64(bytes.Index(data, []byte(hdr.Name))) + 512 + hdr.Size
			break
		}
	}
	if victim == "" {
		t.Fatal("no large blob in the stream")
	}
	bad := append([]byte(nil), data...)
	bad[end-1] ^= 0xff
	repo := registrytest.InProcess(t) + "/tampered/big"
	_, err := Deserialize(context.Background(), testEnv(), DeserializeOptions{Source: writeTemp(t, bad), Dest: repo + ":sync-1"})
	var ie *IncompleteError
	if !errors.As(err, &ie) || len(ie.Rejected) != 1 || !strings.Contains(ie.Rejected[0], victim) {
		t.Fatalf("err = %v, want %s rejected", err, victim)
	}
	h, _ := v1.NewHash("sha256:" + victim)
	if ok, _ := testEnv().Open(mustRef(t, repo+":x").Context()).Has(context.Background(), v1.Descriptor{Digest: h, Size: 1}); ok {
		t.Error("the tampered blob reached the target")
	}
}

// Several referrers of one subject all end in its referrers tag on a
// registry without the referrers API (Distribution 2.8): their puts, which
// each rewrite that tag, are not made at once.
func TestDeserializeKeepsEveryReferrerOfASubject(t *testing.T) {
	src := registrytest.InProcess(t)
	subject := src + "/app/signed:1"
	registrytest.PushImage(t, subject)
	want := map[string]bool{}
	for i := range 6 {
		want[registrytest.PushReferrer(t, subject, fmt.Sprintf("application/vnd.ferry.test.sig%d", i)).Digest.String()] = true
	}
	index := src + "/transfer/signed:sync-1"
	ctx := context.Background()
	if _, err := Gather(ctx, testEnv(), GatherOptions{Sources: []sources.Source{{Line: 1, Ref: subject}}, Dest: index, Referrers: true}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sync.tar")
	if _, err := Serialize(ctx, testEnv(), SerializeOptions{Source: index, Dest: path, Referrers: true}); err != nil {
		t.Fatal(err)
	}
	dst := registrytest.Start(t).Host() + "/landing/signed"
	if _, err := Deserialize(ctx, testEnv(), DeserializeOptions{Source: path, Dest: dst + ":sync-1"}); err != nil {
		t.Fatal(err)
	}
	sd := registrytest.HeadDigest(t, subject)
	got, err := ferryreg.New(nil).Referrers(ctx, mustRef(t, dst+"@"+sd).(name.Digest))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range got {
		delete(want, d.Digest.String())
	}
	if len(want) > 0 {
		t.Errorf("%d of 6 referrers are not found from their subject: %v", len(want), want)
	}
}
