package tape

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ now time.Time }

func (c *fakeClock) time() time.Time         { return c.now }
func (c *fakeClock) advance(d time.Duration) { c.now = c.now.Add(d) }
func setCounter(t *testing.T, dir, name string, v int64) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "stats", name), []byte(strconv.FormatInt(v, 10)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMeterMeasuresTheDriveBetweenSamples(t *testing.T) {
	class := fakeSysfs(t)
	clock := &fakeClock{now: time.Unix(1000, 0)}
	m, err := NewMeter(class, "nst2", WithClock(clock.time), WithSpan(time.Second), WithStale(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	node := m.Drive().SysfsDir
	if r, err := m.Sample(); err != nil || r != (Rate{}) {
		t.Fatalf("first sample: %+v, %v; want a zero rate", r, err)
	}
	clock.advance(2 * time.Second)
	setCounter(t, node, "write_byte_cnt", 1_000_000_000+300_000_000) // 300 MB in 2 s
	setCounter(t, node, "io_ns", 3_500_000_000+1_000_000_000)        // busy 1 s of 2
	r, err := m.Sample()
	if err != nil {
		t.Fatal(err)
	}
	if r.WriteMBps != 150 || r.Busy != 0.5 || r.Interval != 2*time.Second {
		t.Errorf("rate %+v, want 150 MB/s written, half busy, over 2s", r)
	}

	// Sooner than the span: the counters are not read, the last rate stays.
	clock.advance(500 * time.Millisecond)
	setCounter(t, node, "write_byte_cnt", 9_000_000_000)
	if again, err := m.Sample(); err != nil || again != r || m.Rate() != r {
		t.Errorf("within the span: %+v, %v; want the last rate %+v", again, err, r)
	}

	// After a long pause the old sample says nothing of now: start again.
	clock.advance(time.Minute)
	if r, err := m.Sample(); err != nil || r != (Rate{}) || m.Rate() != (Rate{}) {
		t.Errorf("after a stale pause: %+v, %v; want a zero rate", r, err)
	}

	// Counters that go backwards fail once, then measure from there.
	clock.advance(2 * time.Second)
	setCounter(t, node, "write_byte_cnt", 5)
	if _, err := m.Sample(); err == nil || !strings.Contains(err.Error(), "backwards") {
		t.Errorf("counters reset: %v", err)
	}
	clock.advance(2 * time.Second)
	setCounter(t, node, "write_byte_cnt", 5+2_000_000)
	if r, err := m.Sample(); err != nil || r.WriteMBps != 1 {
		t.Errorf("after the reset: %+v, %v; want 1 MB/s", r, err)
	}
}

func TestMeterOfADriveWithoutCounters(t *testing.T) {
	class := fakeSysfs(t)
	if _, err := NewMeter(class, "nst7"); err == nil {
		t.Error("a meter of a drive that does not exist")
	}
	m, err := (Drives{SysfsRoot: class, DevDir: "/devices"}).Meter("/devices/nst10")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Sample(); err == nil {
		t.Error("a drive without stats/ gave a sample")
	}
}

func TestMetersKeepOneMeterPerDrive(t *testing.T) {
	class := fakeSysfs(t)
	clock := &fakeClock{now: time.Unix(1000, 0)}
	ms := Drives{SysfsRoot: class, DevDir: "/dev"}.Meters(WithClock(clock.time), WithSpan(time.Second))
	if r, err := ms.Sample("nst2"); err != nil || r != (Rate{}) {
		t.Fatalf("first sample: %+v, %v; want a zero rate (measuring)", r, err)
	}
	m, err := NewMeter(class, "nst2")
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(2 * time.Second)
	setCounter(t, m.Drive().SysfsDir, "write_byte_cnt", 1_000_000_000+200_000_000)
	// Another name of the same drive continues its measure.
	if r, err := ms.Sample("/dev/nst2"); err != nil || r.WriteMBps != 100 {
		t.Errorf("second sample by another name: %+v, %v; want 100 MB/s", r, err)
	}
	if _, err := ms.Sample("nst9"); err == nil {
		t.Error("a sample of a drive that does not exist")
	}
}
