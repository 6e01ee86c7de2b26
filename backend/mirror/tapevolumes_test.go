package mirror

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ferry/backend/progress"
	"ferry/backend/registrytest"
	"ferry/backend/tape"
)

const testDrive = "/dev/nst0" // the path the simulated drive answers to

// recordingDevice wraps a simulated drive and notes the size of every write.
type recordingDevice struct {
	tape.Device
	mu     *sync.Mutex
	writes *[]int
	first  func()
}

func (d recordingDevice) Write(p []byte) (int, error) {
	d.mu.Lock()
	if len(*d.writes) == 0 && d.first != nil {
		d.first()
	}
	*d.writes = append(*d.writes, len(p))
	d.mu.Unlock()
	return d.Device.Write(p)
}

// drive answers opens of testDrive from sim, recording writes.
type drive struct {
	sim    *tape.Simulator
	mu     sync.Mutex
	writes []int
	first  func()
}

func (d *drive) open(path string, write bool) (tape.Device, error) {
	if path != testDrive {
		return nil, &os.PathError{Op: "open", Path: path, Err: os.ErrNotExist}
	}
	dev, err := d.sim.Open(write)
	if err != nil {
		return nil, err
	}
	return recordingDevice{Device: dev, mu: &d.mu, writes: &d.writes, first: d.first}, nil
}

func (d *drive) sizes() []int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]int(nil), d.writes...)
}

// media records the volumes an operation reports.
type media struct {
	mu  sync.Mutex
	got []MediumRecord
}

func (m *media) add(r MediumRecord) { m.mu.Lock(); m.got = append(m.got, r); m.mu.Unlock() }

// dataRecords returns the data records of a medium's first file.
func dataRecords(m *tape.Medium) (sizes []int, filemark bool) {
	for _, r := range m.Records() {
		if r.Filemark {
			return sizes, true
		}
		sizes = append(sizes, len(r.Data))
	}
	return sizes, false
}

func TestSerializeToTapeWritesWholeBlocksAndReadsBackWithDefaults(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newMediaFixture(t, host, false)
	const block = 64 << 10
	for _, tc := range []struct {
		name  string
		pad   bool
		block int
	}{{"variable", false, block}, {"fixed", true, block}, {"variable 1MiB", false, 1 << 20}, {"fixed 1MiB", true, 1 << 20}} {
		t.Run(tc.name, func(t *testing.T) {
			m := &tape.Medium{}
			d := &drive{sim: tape.NewSimulator(m)}
			var recs media
			env := testEnv()
			env.Medium = recs.add
			res, err := Serialize(context.Background(), env, SerializeOptions{Source: f.index, Dest: testDrive, OpenDevice: d.open,
				BlockSize: tc.block, BufferSize: 4 << 20, PadFinalBlock: tc.pad})
			if err != nil {
				t.Fatal(err)
			}
			sizes := d.sizes()
			if len(sizes) < 2 && tc.block == block {
				t.Fatalf("only %d writes", len(sizes))
			}
			for i, n := range sizes {
				last := i == len(sizes)-1
				switch {
				case !last && n != tc.block:
					t.Errorf("write %d of %d is %d bytes, want the block size %d", i+1, len(sizes), n, tc.block)
				case last && tc.pad && n != tc.block:
					t.Errorf("the padded last write is %d bytes, want %d", n, tc.block)
				case last && (n == 0 || n > tc.block):
					t.Errorf("the last write is %d bytes", n)
				}
			}
			recSizes, fm := dataRecords(m)
			if !fm || len(recSizes) != len(sizes) {
				t.Errorf("medium: %d records, filemark %v; want %d records then a filemark", len(recSizes), fm, len(sizes))
			}
			if len(res.Volumes) != 1 || !res.Volumes[0].Last || len(recs.got) != 1 || recs.got[0].Device != testDrive {
				t.Errorf("volumes %+v, recorded %+v", res.Volumes, recs.got)
			}

			// Read back with the defaults: 1 MiB records, variable-block mode.
			dev, err := d.sim.Open(false)
			if err != nil {
				t.Fatal(err)
			}
			if err := dev.Rewind(); err != nil {
				t.Fatal(err)
			}
			dev.SetBlockSize(0)
			rep, err := verifyFrom(context.Background(), testEnv(), tape.NewRecordReader(dev), VerifyOptions{Source: testDrive})
			dev.Close()
			if err != nil || rep.StreamDigest != "verified" || rep.LastVolume != "true" {
				t.Errorf("verify from tape: %v (stream %s, last %q)", err, rep.StreamDigest, rep.LastVolume)
			}
		})
	}
}

// A drive faster than the source empties the buffer after each run: the
// operator is told the tape stops and repositions, with what to do. A file
// is never warned about.
func TestSerializeWarnsWhenTheBufferRunsDry(t *testing.T) {
	host := registrytest.InProcess(t)
	f := bigFixture(t, host)
	for _, toTape := range []bool{true, false} {
		var mu sync.Mutex
		var warnings []string
		env := testEnv()
		env.Logf = func(format string, args ...any) {
			if line := fmt.Sprintf(format, args...); strings.Contains(line, "ran dry") {
				mu.Lock()
				warnings = append(warnings, line)
				mu.Unlock()
			}
		}
		o := SerializeOptions{Source: f.index, BlockSize: 64 << 10, BufferSize: 2 << 20}
		if toTape {
			d := &drive{sim: tape.NewSimulator(&tape.Medium{})}
			o.Dest, o.OpenDevice = testDrive, d.open
		} else {
			o.Dest = filepath.Join(t.TempDir(), "out.tar")
		}
		if _, err := Serialize(context.Background(), env, o); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		switch {
		case toTape && len(warnings) == 0:
			t.Error("tape: no warning although the instant drive emptied the buffer after every run")
		case toTape && !strings.Contains(warnings[0], testDrive) || toTape && !strings.Contains(warnings[0], "--buffer-size"):
			t.Errorf("tape: the warning names neither the drive nor the remedy: %s", warnings[0])
		case !toTape && len(warnings) > 0:
			t.Errorf("file: warned %q", warnings[0])
		}
		mu.Unlock()
	}
}

func TestSerializeToTapeHighWaterMark(t *testing.T) {
	host := registrytest.InProcess(t)
	f := bigFixture(t, host)
	const buffer, block = 4 << 20, 64 << 10
	ring, _ := splitBuffer(buffer, block)
	for _, hwm := range []int{100, 1} {
		t.Run(strconv.Itoa(hwm), func(t *testing.T) {
			d := &drive{sim: tape.NewSimulator(&tape.Medium{})}
			var mu sync.Mutex
			var before, doneBefore int64
			started := false
			d.first = func() { mu.Lock(); started, doneBefore = true, before; mu.Unlock() }
			env := testEnv()
			env.Progress = func(e progress.Event) {
				if e.Phase != "serialize" {
					return
				}
				mu.Lock()
				if !started && e.BytesDone > before {
					before = e.BytesDone
				}
				mu.Unlock()
			}
			res, err := Serialize(context.Background(), env, SerializeOptions{Source: f.index, Dest: testDrive, OpenDevice: d.open,
				BlockSize: block, BufferSize: buffer, HWM: hwm})
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			switch hwm {
			case 100:
				// The drive is not written before the buffer is full
				// (tar headers aside, which progress does not count).
				if doneBefore < int64(ring)-64<<10 {
					t.Errorf("first write to the drive after %d bytes, want the %d-byte buffer full first", doneBefore, ring)
				}
			case 1:
				if doneBefore >= res.Bytes {
					t.Errorf("first write to the drive only after all %d bytes", doneBefore)
				}
			}
		})
	}
}

func TestSerializeRefusesWriteProtectedOrEmptyDriveBeforeWriting(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newMediaFixture(t, host, false)
	ledger := filepath.Join(t.TempDir(), "ledger.jsonl")
	for _, tc := range []struct {
		medium *tape.Medium
		want   string
	}{{&tape.Medium{WriteProtected: true}, "write-protected"}, {nil, "no tape"}} {
		d := &drive{sim: tape.NewSimulator(tc.medium)}
		_, err := Serialize(context.Background(), testEnv(), SerializeOptions{Source: f.index, Dest: testDrive, OpenDevice: d.open, CheckpointFile: ledger})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), testDrive) {
			t.Errorf("serialize to %s: %v, want %q", tc.want, err, tc.want)
		}
		if len(d.sizes()) != 0 || (tc.medium != nil && len(tc.medium.Records()) != 0) {
			t.Errorf("%s: data written: %v", tc.want, d.sizes())
		}
		if _, err := os.Stat(ledger); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: ledger left behind", tc.want)
		}
	}
}

// tapeSet is a simulated drive and the cartridges of a transfer.
type tapeSet struct {
	sim   *tape.Simulator
	tapes []*tape.Medium
}

func newTapeSet(n int) *tapeSet {
	s := &tapeSet{}
	for range n {
		s.tapes = append(s.tapes, &tape.Medium{Capacity: 3 << 20, EarlyWarning: 512 << 10})
	}
	s.sim = tape.NewSimulator(s.tapes[0])
	return s
}

func (s *tapeSet) open(path string, write bool) (tape.Device, error) { return s.sim.Open(write) }

// swap plays the operator: take out what is in the drive, load tape i.
func (s *tapeSet) swap(t *testing.T, i int) {
	t.Helper()
	if s.sim.Medium() != nil {
		dev, err := s.sim.OpenStatus()
		if err != nil {
			t.Fatal(err)
		}
		dev.Eject()
		dev.Close()
	}
	if err := s.sim.Load(s.tapes[i]); err != nil {
		t.Fatal(err)
	}
}

func serializeToTapes(t *testing.T, f *mediaFixture, set *tapeSet, env Env) (SerializeResult, []MediumRequest, error) {
	t.Helper()
	var asked []MediumRequest
	env.NextMedium = func(ctx context.Context, req MediumRequest) error {
		asked = append(asked, req)
		if req.Volume > len(set.tapes) {
			t.Fatalf("asked for volume %d", req.Volume)
		}
		set.swap(t, req.Volume-1)
		return nil
	}
	res, err := Serialize(context.Background(), env, SerializeOptions{Source: f.index, Dest: testDrive, OpenDevice: set.open,
		BlockSize: 64 << 10, BufferSize: 2 << 20})
	return res, asked, err
}

func TestMultiVolumeTapeTransferIntoRealRegistry(t *testing.T) {
	low, high := registrytest.Start(t), registrytest.Start(t)
	f := bigFixture(t, low.Host())
	set := newTapeSet(3)
	var written media
	var cps checkpointLog
	env := cps.env()
	env.Medium = written.add
	res, asked, err := serializeToTapes(t, f, set, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Volumes) != 3 || len(asked) != 2 {
		t.Fatalf("%d volumes, %d prompts; want 3 and 2", len(res.Volumes), len(asked))
	}
	for i, req := range asked {
		want := "Insert volume " + strconv.Itoa(i+2) + " of transfer " + res.SyncID + " into " + testDrive + " and press Enter"
		if req.Message != want || !req.Write {
			t.Errorf("prompt %d: %+v, want %q", i+1, req, want)
		}
	}
	for i, m := range set.tapes {
		sizes, fm := dataRecords(m)
		if !fm || len(sizes) == 0 {
			t.Errorf("tape %d: %d records, filemark %v", i+1, len(sizes), fm)
		}
		rep := verifyTape(t, set, i)
		wantLast := strconv.FormatBool(i == 2)
		if rep.SyncID != res.SyncID || rep.Volume != strconv.Itoa(i+1) || rep.LastVolume != wantLast || rep.StreamDigest != "verified" || !rep.FinalIndex {
			t.Errorf("tape %d: sync %s volume %s last %s stream %s final %v", i+1, rep.SyncID, rep.Volume, rep.LastVolume, rep.StreamDigest, rep.FinalIndex)
		}
	}
	if len(written.got) != 3 || written.got[2].Volume != 3 || !written.got[2].Last || written.got[0].Last || written.got[1].SyncID != res.SyncID {
		t.Errorf("media recorded: %+v", written.got)
	}
	// Every confirmed checkpoint names its volume; every blob is confirmed once.
	confirmed := map[string]int{}
	for _, c := range cps.got {
		if c.Confirmed {
			confirmed[c.Digest]++
			if c.Volume < 1 || c.Volume > 3 {
				t.Errorf("checkpoint with volume %d", c.Volume)
			}
		}
	}
	for _, n := range f.graph.Nodes {
		if n.Desc.Digest != f.root.Digest && confirmed[n.Desc.Digest.String()] != 1 {
			t.Errorf("%s confirmed %d times", n.Desc.Digest, confirmed[n.Desc.Digest.String()])
		}
	}

	// Read the three tapes as one transfer: the drive asks for each next one.
	set.swap(t, 0)
	var readAsk []MediumRequest
	renv := testEnv()
	renv.NextMedium = func(ctx context.Context, req MediumRequest) error {
		readAsk = append(readAsk, req)
		set.swap(t, req.Volume-1)
		return nil
	}
	repo := high.Ref("landing/big")
	dres, err := Deserialize(context.Background(), renv, DeserializeOptions{Source: testDrive, Dest: repo + ":sync-7", OpenDevice: set.open})
	if err != nil || !dres.Complete {
		t.Fatalf("deserialize: complete %v, %v", dres.Complete, err)
	}
	if len(readAsk) != 2 || readAsk[0].Volume != 2 || readAsk[1].Write || len(dres.Volumes) != 3 || dres.SyncID != res.SyncID {
		t.Errorf("read prompts %+v, volumes %+v", readAsk, dres.Volumes)
	}
	assertDelivered(t, f, repo, "sync-7")
}

// verifyTape verifies tape i on its own; missing children are expected on
// all but the last volume.
func verifyTape(t *testing.T, set *tapeSet, i int) VerifyReport {
	t.Helper()
	set.swap(t, i)
	dev, err := set.sim.Open(false)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	dev.SetBlockSize(0)
	rep, err := verifyFrom(context.Background(), testEnv(), tape.NewRecordReader(dev), VerifyOptions{Source: testDrive, AllowMissing: true})
	if err != nil {
		t.Errorf("tape %d does not verify: %v", i+1, err)
	}
	return rep
}

func TestMultiVolumeTapeRejectsWrongAndRepeatedVolumes(t *testing.T) {
	host := registrytest.InProcess(t)
	f := bigFixture(t, host)
	set := newTapeSet(3)
	res, _, err := serializeToTapes(t, f, set, testEnv())
	if err != nil || len(res.Volumes) != 3 {
		t.Fatalf("serialize: %d volumes, %v", len(res.Volumes), err)
	}
	set.swap(t, 0)
	var problems []string
	offer := []int{2, 0, 1, 2} // volume 3 first, then volume 1 again, then the right ones
	renv := testEnv()
	renv.NextMedium = func(ctx context.Context, req MediumRequest) error {
		if req.Problem != "" {
			problems = append(problems, req.Problem)
		}
		set.swap(t, offer[0])
		offer = offer[1:]
		return nil
	}
	dres, err := Deserialize(context.Background(), renv, DeserializeOptions{Source: testDrive, Dest: host + "/landing/big:sync-7", OpenDevice: set.open})
	if err != nil || !dres.Complete {
		t.Fatalf("deserialize: %v", err)
	}
	want := []string{"is volume 3 of sync " + res.SyncID + ", expected volume 2", "is volume 1 of sync " + res.SyncID + ", which was already read; expected volume 2"}
	if len(problems) != 2 || !strings.Contains(problems[0], want[0]) || !strings.Contains(problems[1], want[1]) {
		t.Errorf("problems %q, want %q", problems, want)
	}

	// Writing: a tape that already holds a volume of the transfer is refused.
	set2 := newTapeSet(2)
	offered := 0
	var wproblems []string
	wenv := testEnv()
	wenv.NextMedium = func(ctx context.Context, req MediumRequest) error {
		if req.Problem != "" {
			wproblems = append(wproblems, req.Problem)
		}
		offered++
		switch offered {
		case 1:
			set2.swap(t, 0) // volume 1 again
		case 2:
			set2.swap(t, 1)
		case 3:
			set2.tapes = append(set2.tapes, &tape.Medium{Capacity: 3 << 20, EarlyWarning: 512 << 10})
			set2.swap(t, 2)
		default:
			return ErrMediumCancelled
		}
		return nil
	}
	if _, err := Serialize(context.Background(), wenv, SerializeOptions{Source: f.index, Dest: testDrive, OpenDevice: set2.open, BlockSize: 64 << 10, BufferSize: 2 << 20}); err != nil {
		t.Fatal(err)
	}
	if len(wproblems) != 1 || !strings.Contains(wproblems[0], "already holds volume 1 of this transfer") {
		t.Errorf("write problems %q", wproblems)
	}
}

func TestMultiVolumeCancelAtPromptKeepsAndRecordsWhatWasWritten(t *testing.T) {
	host := registrytest.InProcess(t)
	f := bigFixture(t, host)
	set := newTapeSet(1)
	var written media
	var cps checkpointLog
	env := cps.env()
	env.Medium = written.add
	env.NextMedium = func(ctx context.Context, req MediumRequest) error { return ErrMediumCancelled }
	res, err := Serialize(context.Background(), env, SerializeOptions{Source: f.index, Dest: testDrive, OpenDevice: set.open, BlockSize: 64 << 10, BufferSize: 2 << 20})
	if !errors.Is(err, ErrMediumCancelled) || !strings.Contains(err.Error(), "volumes 1 to 1 are complete and kept") {
		t.Fatalf("serialize: %v", err)
	}
	if len(res.Volumes) != 1 || len(written.got) != 1 || written.got[0].Last || written.got[0].Volume != 1 || written.got[0].Bytes == 0 {
		t.Errorf("volumes %+v, recorded %+v", res.Volumes, written.got)
	}
	confirmed := 0
	for _, c := range cps.got {
		if c.Confirmed && c.Volume == 1 {
			confirmed++
		}
	}
	if confirmed == 0 || confirmed != res.Blobs {
		t.Errorf("%d confirmed checkpoints, %d blobs on volume 1", confirmed, res.Blobs)
	}
	// The cartridge holds a complete archive of what it has.
	dev, err := set.sim.OpenStatus()
	if err != nil {
		t.Fatal(err)
	}
	dev.Close()
	if set.sim.Medium() == nil {
		set.swap(t, 0)
	}
	rep := verifyTape(t, set, 0)
	if rep.Blobs != res.Blobs || rep.LastVolume != "false" {
		t.Errorf("tape holds %d blobs (last %q), serialize wrote %d", rep.Blobs, rep.LastVolume, res.Blobs)
	}
}

func TestDriveRateFromSysfs(t *testing.T) {
	root := t.TempDir()
	sys, dev := filepath.Join(root, "sys"), filepath.Join(root, "dev")
	stats := filepath.Join(sys, "nst0", "stats")
	if err := os.MkdirAll(stats, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(tape.EnvSysfsRoot, sys)
	t.Setenv(tape.EnvDevDir, dev)
	counter := filepath.Join(stats, "write_byte_cnt")
	os.WriteFile(counter, []byte("0"), 0o644)
	now := time.Unix(1000, 0)
	rate := driveRate(filepath.Join(dev, "nst0"), tape.WithClock(func() time.Time { return now }))
	if rate == nil {
		t.Fatal("no rate for a drive in sysfs")
	}
	if txt := rate(); txt != "" {
		t.Errorf("a rate %q before a second sample", txt)
	}
	now = now.Add(2 * time.Second)
	os.WriteFile(counter, []byte(strconv.FormatInt(316_600_000, 10)), 0o644)
	if txt := rate(); txt != "drive 151.0 MiB/s" {
		t.Errorf("rate text %q, want drive 151.0 MiB/s", txt)
	}
	if none := driveRate("/nonexistent/nst9"); none != nil {
		t.Error("a drive not in sysfs reports a rate")
	}
}
