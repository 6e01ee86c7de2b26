package tape

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteNearEndGetsEachTrailerRecordOn(t *testing.T) {
	m := &Medium{Capacity: 10_000, EarlyWarning: 3_000}
	dev := openSim(t, NewSimulator(m), true)
	record := make([]byte, 1000)
	for range 7 { // up to the early-warning mark
		mustWrite(t, dev, record)
	}
	if _, err := dev.Write(record); !IsEndOfMedium(err) {
		t.Fatalf("past the early-warning mark: %v, want the end of the medium", err)
	}
	for i := range 3 { // the zone takes every other write: WriteNearEnd gets each on
		if n, err := WriteNearEnd(dev, record); err != nil || n != len(record) {
			t.Fatalf("trailer record %d: %d, %v", i, n, err)
		}
	}
	if _, err := WriteNearEnd(dev, record); !IsEndOfMedium(err) {
		t.Errorf("at the physical end: %v, want the end of the medium", err)
	}
}

func TestFinishWriteAndUnload(t *testing.T) {
	m := &Medium{}
	sim := NewSimulator(m)
	open := func(string, bool) (Device, error) { return sim.Open(true) }
	dev, err := open("sim", true)
	must(t, err)
	mustWrite(t, dev, []byte("data"))
	must(t, FinishWrite(dev, "sim", false))
	if got := summary(m); len(got) != 2 || got[1] != -1 {
		t.Errorf("after FinishWrite: %v, want the record and a filemark", got)
	}
	if !(sim.Medium() != nil) {
		t.Fatal("FinishWrite without unload ejected the tape")
	}
	dev, err = OpenRead(open, "sim")
	must(t, err)
	must(t, dev.Close())
	must(t, Unload(open, "sim"))
	if sim.Medium() != nil {
		t.Error("Unload left the tape in the drive")
	}
	if err := Unload(open, "sim"); err == nil {
		t.Error("Unload of an empty drive succeeded")
	}
}

func TestIsDrive(t *testing.T) {
	file := filepath.Join(t.TempDir(), "archive.tar")
	must(t, os.WriteFile(file, nil, 0o644))
	for _, path := range []string{file, "/dev/null", filepath.Join(t.TempDir(), "none")} {
		if IsDrive(path) {
			t.Errorf("%s counts as a tape drive", path)
		}
	}
}
